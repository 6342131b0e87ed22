internal import CZlib

/// gzip (RFC 1952) compression and decompression through zlib, streaming in fixed-size chunks.
enum Gzip {
  /// Size of the output chunks handed to zlib.
  static let chunkSize = 1 << 18

  /// Whether `bytes` start with the gzip magic number `1f 8b`.
  static func isCompressed(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
  }

  /// The decompressed content of a gzip stream (several concatenated members are accepted).
  ///
  /// - Parameter source: the file name used in error messages.
  /// - Throws: ``DatasetError/corruptGzip(path:reason:)`` for corrupt, truncated or over-long input.
  static func decompress(_ input: [UInt8], source: String) throws(DatasetError) -> [UInt8] {
    guard input.count <= Int(UInt32.max) else {
      throw .corruptGzip(path: source, reason: "larger than 4 GiB, which this reader does not handle")
    }
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer {
      stream.deinitialize(count: 1)
      stream.deallocate()
    }
    // 15 + 32: maximal window, detect zlib or gzip header automatically.
    let initStatus = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard initStatus == Z_OK else {
      throw .corruptGzip(path: source, reason: "zlib could not start inflating (status \(initStatus))")
    }
    defer { inflateEnd(stream) }

    var output: [UInt8] = []
    output.reserveCapacity(expectedSize(of: input))
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    let failure: String? = input.withUnsafeBufferPointer { inputBuffer in
      stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
      stream.pointee.avail_in = UInt32(inputBuffer.count)
      while true {
        let (status, produced) = chunk.withUnsafeMutableBufferPointer { outputBuffer in
          stream.pointee.next_out = outputBuffer.baseAddress
          stream.pointee.avail_out = UInt32(outputBuffer.count)
          let status = inflate(stream, Z_NO_FLUSH)
          return (status, outputBuffer.count - Int(stream.pointee.avail_out))
        }
        output.append(contentsOf: chunk[0..<produced])
        switch status {
        case Z_OK:
          continue
        case Z_STREAM_END:
          let remaining = Int(stream.pointee.avail_in)
          if remaining == 0 { return nil }
          let next = inputBuffer.count - remaining
          guard remaining >= 2, inputBuffer[next] == 0x1f, inputBuffer[next + 1] == 0x8b else {
            return "\(remaining) bytes of trailing data after the end of the gzip stream"
          }
          inflateReset(stream)  // another gzip member follows
        case Z_BUF_ERROR where stream.pointee.avail_in == 0:
          return "the stream ends early: the file is truncated"
        default:
          let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
          return message + " at compressed byte \(inputBuffer.count - Int(stream.pointee.avail_in))"
        }
      }
    }
    if let failure { throw .corruptGzip(path: source, reason: failure) }
    return output
  }

  /// `input` compressed as a single gzip member at zlib's default level.
  static func compress(_ input: [UInt8]) -> [UInt8] {
    precondition(input.count <= Int(UInt32.max), "Gzip.compress: \(input.count) bytes is more than 4 GiB")
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer {
      stream.deinitialize(count: 1)
      stream.deallocate()
    }
    // 15 + 16: maximal window, gzip header and trailer.
    let initStatus = deflateInit2_(
      stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
      Int32(MemoryLayout<z_stream>.size))
    precondition(initStatus == Z_OK, "deflateInit2 failed with zlib status \(initStatus)")
    defer { deflateEnd(stream) }

    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    input.withUnsafeBufferPointer { inputBuffer in
      stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
      stream.pointee.avail_in = UInt32(inputBuffer.count)
      var status = Z_OK
      while status != Z_STREAM_END {
        let produced = chunk.withUnsafeMutableBufferPointer { outputBuffer in
          stream.pointee.next_out = outputBuffer.baseAddress
          stream.pointee.avail_out = UInt32(outputBuffer.count)
          status = deflate(stream, Z_FINISH)
          return outputBuffer.count - Int(stream.pointee.avail_out)
        }
        // With Z_FINISH and fresh output space, deflate can only make progress or finish.
        precondition(status == Z_OK || status == Z_STREAM_END, "deflate failed with zlib status \(status)")
        output.append(contentsOf: chunk[0..<produced])
      }
    }
    return output
  }

  /// The uncompressed size recorded in the gzip trailer (modulo 2³²), capped, for reserving space.
  private static func expectedSize(of input: [UInt8]) -> Int {
    guard input.count >= 18 else { return 0 }
    let n = input.count
    let size = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
    return min(size, 1 << 30)
  }
}
