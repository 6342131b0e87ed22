/// Everything a user can get wrong about data: missing, corrupt, truncated or mismatched files,
/// wrong checksums, failed downloads, out-of-range arguments.
///
/// Every message names the file involved, says what was wrong and what to do about it.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A file could not be read (missing, unreadable, a directory, …).
  case unreadableFile(path: String, reason: String)
  /// A file could not be written or renamed into place.
  case unwritableFile(path: String, reason: String)
  /// The first two bytes of an IDX file are not zero (`bytes` are the first four found).
  case badMagic(path: String, bytes: [UInt8])
  /// The IDX element type is not 0x08 (unsigned byte), the only one supported.
  case unsupportedTypeCode(path: String, code: UInt8)
  /// The IDX header declares zero dimensions.
  case badDimensionCount(path: String, count: Int)
  /// The file ends inside the IDX header.
  case truncatedHeader(path: String, needed: Int, actual: Int)
  /// The IDX data is shorter (truncated) or longer than the product of the dimensions.
  case dataLengthMismatch(path: String, expected: Int, actual: Int)
  /// The IDX dimensions multiply to more elements than this machine can address.
  case dimensionsOverflow(path: String, dimensions: [Int])
  /// A gzip file is corrupt or truncated; `reason` is zlib's diagnosis.
  case corruptGzip(path: String, reason: String)
  /// The SHA-256 of a file's (decompressed) content is not the published one.
  case checksumMismatch(path: String, expected: String, actual: String)
  /// An image file and its label file hold different numbers of samples.
  case sampleCountMismatch(imagesPath: String, imageCount: Int, labelsPath: String, labelCount: Int)
  /// A label is not in `0..<classCount`.
  case labelOutOfRange(path: String, index: Int, label: Int, classCount: Int)
  /// An IDX file has dimensions other than the dataset requires.
  case unexpectedDimensions(path: String, expected: String, actual: [Int])
  /// None of the usual file names of a dataset was found in the searched directories.
  case missingFiles(dataset: String, searched: [String], candidates: [String])
  /// A dataset is neither present nor obtainable (download disabled or every mirror failed).
  case unavailable(dataset: String, directory: String, failures: [String])
  /// An argument is out of its documented range.
  case invalidArgument(String)

  /// A one-paragraph message: what was wrong, which file, what to do.
  public var description: String {
    let refetch = "re-fetch it (`make data`) or point --data-dir / DLRT_DATA at a directory with good files"
    switch self {
    case .unreadableFile(let path, let reason):
      return "cannot read \(path): \(reason). Check that the file exists and is readable."
    case .unwritableFile(let path, let reason):
      return "cannot write \(path): \(reason). Check that the directory exists, is writable and has space."
    case .badMagic(let path, let bytes):
      let shown = bytes.map { String($0, radix: 16) }.joined(separator: " ")
      return "\(path) is not an IDX file: it starts with bytes [\(shown)], an IDX file starts with "
        + "two zero bytes. It may be another format or corrupt; \(refetch)."
    case .unsupportedTypeCode(let path, let code):
      return "\(path): IDX element type code 0x\(String(code, radix: 16)) is not supported, only "
        + "0x08 (unsigned byte) is. Convert the file to unsigned bytes or use the original dataset files."
    case .badDimensionCount(let path, let count):
      return "\(path): the IDX header declares \(count) dimensions; at least one is needed. "
        + "The file is corrupt; \(refetch)."
    case .truncatedHeader(let path, let needed, let actual):
      return
        "\(path) is truncated: its IDX header needs \(needed) bytes but the file has \(actual). \(refetch)."
    case .dataLengthMismatch(let path, let expected, let actual):
      let kind = actual < expected ? "truncated" : "too long"
      return "\(path) is \(kind): its dimensions call for \(expected) data bytes but it holds \(actual). "
        + "The file is damaged or not what its header says; \(refetch)."
    case .dimensionsOverflow(let path, let dimensions):
      return "\(path): the IDX dimensions \(dimensions) multiply to more elements than can be addressed. "
        + "The header is corrupt; \(refetch)."
    case .corruptGzip(let path, let reason):
      return "\(path) is not a valid gzip stream (\(reason)). The download was probably cut short or "
        + "damaged; delete the file and \(refetch)."
    case .checksumMismatch(let path, let expected, let actual):
      return "\(path): SHA-256 of the (decompressed) content is \(actual), expected \(expected). "
        + "The file is corrupt or not the original; delete it and \(refetch)."
    case .sampleCountMismatch(let imagesPath, let imageCount, let labelsPath, let labelCount):
      return "\(imagesPath) holds \(imageCount) images but \(labelsPath) holds \(labelCount) labels. "
        + "The two files belong to different splits or datasets; use a matching pair."
    case .labelOutOfRange(let path, let index, let label, let classCount):
      return "\(path): label \(label) of sample \(index) is outside 0..<\(classCount). "
        + "The file belongs to another dataset or is corrupt; \(refetch)."
    case .unexpectedDimensions(let path, let expected, let actual):
      return "\(path) has dimensions \(actual), expected \(expected). "
        + "It belongs to another dataset or split; use the right file."
    case .missingFiles(let dataset, let searched, let candidates):
      return "\(dataset): none of \(candidates.joined(separator: ", ")) was found in "
        + "\(searched.joined(separator: ", ")). Run `make data`, or pass --data-dir / set DLRT_DATA "
        + "to the directory holding the files."
    case .unavailable(let dataset, let directory, let failures):
      return "\(dataset) is not available in \(directory)"
        + (failures.isEmpty ? "" : " (\(failures.joined(separator: "; ")))")
        + ". Run `make data` (it fetches verified files into data/mnist), or copy the original IDX "
        + "files (raw or .gz) into \(directory), or pass --data-dir / set DLRT_DATA to where they are."
    case .invalidArgument(let message):
      return "invalid argument: \(message)"
    }
  }
}
