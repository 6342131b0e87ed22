import Foundation

/// An IDX file of unsigned bytes, the format of MNIST and Fashion-MNIST (LeCun et al. 1998).
///
/// Layout: two zero bytes, the element type code (only `0x08`, unsigned byte, is supported), the
/// number of dimensions `d`, then `d` big-endian `UInt32` sizes, then the elements in row-major
/// order (the last dimension varies fastest). Files may be stored raw or gzip-compressed; gzip is
/// recognised by its magic bytes `1f 8b`, not by the file name.
public struct IDXFile: Sendable, Equatable {
  /// The IDX type code of unsigned bytes, the only element type this reader accepts.
  public static let unsignedByteTypeCode: UInt8 = 0x08

  /// The sizes of the dimensions, outermost first (for MNIST images: count, rows, columns).
  public let dimensions: [Int]
  /// The elements in row-major order; `bytes.count` is the product of `dimensions`.
  public let bytes: [UInt8]

  /// An IDX file with the given dimensions and elements.
  /// - Throws: ``DatasetError/invalidArgument(_:)`` when there are no dimensions, a negative or
  ///   too large one, or `bytes.count` differs from their product.
  public init(dimensions: [Int], bytes: [UInt8]) throws(DatasetError) {
    guard !dimensions.isEmpty, dimensions.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }) else {
      throw .invalidArgument("IDX dimensions must be 1 or more sizes in 0...\(UInt32.max), got \(dimensions)")
    }
    guard let count = Self.elementCount(dimensions), count == bytes.count else {
      throw .invalidArgument("IDX dimensions \(dimensions) do not match \(bytes.count) elements")
    }
    self.dimensions = dimensions
    self.bytes = bytes
  }

  /// Reads and validates the IDX file at `url`, raw or gzip-compressed.
  ///
  /// - Throws: ``DatasetError`` when the file cannot be read, is not valid gzip, has a bad magic
  ///   number or type code, or holds fewer or more data bytes than its dimensions call for.
  public init(contentsOf url: URL) throws(DatasetError) {
    try self.init(parsing: FileAccess.readDecompressed(url), source: url.path)
  }

  /// Parses the uncompressed content of an IDX file.
  ///
  /// - Parameters:
  ///   - content: the bytes of the file, already decompressed.
  ///   - source: the file name used in error messages.
  /// - Throws: ``DatasetError`` for a bad magic number, an unsupported type code, zero dimensions,
  ///   a truncated header, or a data length other than the product of the dimensions.
  public init(parsing content: [UInt8], source: String) throws(DatasetError) {
    guard content.count >= 4 else {
      if content.count >= 2, content[0] != 0 || content[1] != 0 {
        throw .badMagic(path: source, bytes: Array(content.prefix(4)))
      }
      throw .truncatedHeader(path: source, needed: 4, actual: content.count)
    }
    guard content[0] == 0, content[1] == 0 else {
      throw .badMagic(path: source, bytes: Array(content.prefix(4)))
    }
    guard content[2] == Self.unsignedByteTypeCode else {
      throw .unsupportedTypeCode(path: source, code: content[2])
    }
    let dimensionCount = Int(content[3])
    guard dimensionCount >= 1 else { throw .badDimensionCount(path: source, count: dimensionCount) }
    let headerSize = 4 + 4 * dimensionCount
    guard content.count >= headerSize else {
      throw .truncatedHeader(path: source, needed: headerSize, actual: content.count)
    }
    let dimensions = (0..<dimensionCount).map { k in
      content[(4 + 4 * k)..<(8 + 4 * k)].reduce(0) { $0 << 8 | Int($1) }
    }
    guard let expected = Self.elementCount(dimensions) else {
      throw .dimensionsOverflow(path: source, dimensions: dimensions)
    }
    let actual = content.count - headerSize
    guard actual == expected else {
      throw .dataLengthMismatch(path: source, expected: expected, actual: actual)
    }
    self.dimensions = dimensions
    self.bytes = Array(content[headerSize...])
  }

  /// The complete uncompressed file: header followed by the elements.
  public func encoded() -> [UInt8] {
    var result: [UInt8] = [0, 0, Self.unsignedByteTypeCode, UInt8(dimensions.count)]
    result.reserveCapacity(4 + 4 * dimensions.count + bytes.count)
    for size in dimensions {
      let value = UInt32(size)
      result += [
        UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff),
      ]
    }
    result += bytes
    return result
  }

  /// Writes the file atomically (temporary file in the same directory, then rename).
  ///
  /// - Parameters:
  ///   - url: where to write.
  ///   - compressed: write gzip (as the `.gz` downloads are) instead of raw IDX.
  /// - Throws: ``DatasetError/unwritableFile(path:reason:)``.
  public func write(to url: URL, compressed: Bool = false) throws(DatasetError) {
    let content = encoded()
    try FileAccess.writeAtomically(compressed ? Gzip.compress(content) : content, to: url)
  }

  /// The product of the sizes, or nil when it overflows `Int`.
  private static func elementCount(_ dimensions: [Int]) -> Int? {
    var count = 1
    for size in dimensions {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      if overflow { return nil }
      count = product
    }
    return count
  }
}
