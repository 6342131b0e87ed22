import Foundation
import Testing

@testable import Datasets

@Suite struct IDXFileTests {
  @Test(arguments: [false, true])
  func roundTrip(compressed: Bool) throws {
    try withTemporaryDirectory { directory in
      let (images, labels) = sampleFiles(count: 7, shape: [4, 3])
      let imagesURL = directory.appendingPathComponent("images.idx3-ubyte" + (compressed ? ".gz" : ""))
      let labelsURL = directory.appendingPathComponent("labels.idx1-ubyte" + (compressed ? ".gz" : ""))
      try images.write(to: imagesURL, compressed: compressed)
      try labels.write(to: labelsURL, compressed: compressed)

      let stored = [UInt8](try Data(contentsOf: imagesURL))
      #expect(Array(stored.prefix(2)) == (compressed ? [0x1f, 0x8b] : [0, 0]))
      #expect(try IDXFile(contentsOf: imagesURL) == images)
      #expect(try IDXFile(contentsOf: labelsURL) == labels)
      #expect(images.dimensions == [7, 4, 3])
      // The atomic writer leaves no temporary files behind.
      let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
      #expect(names == [imagesURL.lastPathComponent, labelsURL.lastPathComponent].sorted())
    }
  }

  @Test func headerIsBigEndian() throws {
    let file = try IDXFile(dimensions: [258, 1], bytes: [UInt8](repeating: 9, count: 258))
    #expect(Array(file.encoded().prefix(12)) == [0, 0, 8, 2, 0, 0, 1, 2, 0, 0, 0, 1])
  }

  @Test func corruptMagicIsRejected() throws {
    var content = sampleFiles(count: 2).images.encoded()
    content[0] = 0x42
    let error = thrownError { _ = try IDXFile(parsing: content, source: "bad.idx") }
    guard case .badMagic(let path, let bytes) = error else {
      Issue.record("got \(String(describing: error))"); return
    }
    #expect(path == "bad.idx")
    #expect(bytes == [0x42, 0, 8, 3])
    #expect(error?.description.contains("bad.idx") == true)
  }

  @Test func unsupportedTypeCodeIsNamed() throws {
    var content = sampleFiles(count: 2).images.encoded()
    content[2] = 0x0D  // float
    let error = thrownError { _ = try IDXFile(parsing: content, source: "floats.idx") }
    #expect(error == .unsupportedTypeCode(path: "floats.idx", code: 0x0D))
    #expect(error?.description.contains("0xd") == true)
  }

  @Test func zeroDimensionsAreRejected() {
    let error = thrownError { _ = try IDXFile(parsing: [0, 0, 8, 0], source: "scalar.idx") }
    #expect(error == .badDimensionCount(path: "scalar.idx", count: 0))
  }

  @Test func truncatedHeaderIsRejected() {
    #expect(
      thrownError { _ = try IDXFile(parsing: [0, 0, 8, 3, 0, 0, 0, 2], source: "h.idx") }
        == .truncatedHeader(path: "h.idx", needed: 16, actual: 8))
    #expect(
      thrownError { _ = try IDXFile(parsing: [0, 0], source: "e.idx") }
        == .truncatedHeader(path: "e.idx", needed: 4, actual: 2))
  }

  @Test func truncatedFileIsRejected() throws {
    try withTemporaryDirectory { directory in
      let url = directory.appendingPathComponent("short.idx")
      let content = sampleFiles(count: 3).images.encoded()  // 16-byte header + 18 pixels
      try writeBytes(Array(content.dropLast(5)), to: url)
      let error = thrownError { _ = try IDXFile(contentsOf: url) }
      #expect(error == .dataLengthMismatch(path: url.path, expected: 18, actual: 13))
      #expect(error?.description.contains("truncated") == true)
    }
  }

  @Test func overLongFileIsRejected() throws {
    try withTemporaryDirectory { directory in
      let url = directory.appendingPathComponent("long.idx.gz")
      try writeBytes(Gzip.compress(sampleFiles(count: 3).images.encoded() + [1, 2]), to: url)
      let error = thrownError { _ = try IDXFile(contentsOf: url) }
      #expect(error == .dataLengthMismatch(path: url.path, expected: 18, actual: 20))
      #expect(error?.description.contains("too long") == true)
    }
  }

  @Test func gzipCorruptedInTheMiddleIsATypedError() throws {
    try withTemporaryDirectory { directory in
      let (images, _) = sampleFiles(count: 200, shape: [8, 8])
      var compressed = Gzip.compress(images.encoded())
      for i in (compressed.count / 2)..<(compressed.count / 2 + 8) { compressed[i] ^= 0xA5 }
      let url = directory.appendingPathComponent("damaged.gz")
      try writeBytes(compressed, to: url)
      let error = thrownError { _ = try IDXFile(contentsOf: url) }
      guard case .corruptGzip(let path, _) = error else {
        Issue.record("got \(String(describing: error))"); return
      }
      #expect(path == url.path)
    }
  }

  @Test func truncatedGzipIsATypedError() throws {
    let compressed = Gzip.compress(sampleFiles(count: 50).images.encoded())
    let error = thrownError { _ = try Gzip.decompress(Array(compressed.dropLast(20)), source: "cut.gz") }
    guard case .corruptGzip(_, let reason) = error else {
      Issue.record("got \(String(describing: error))"); return
    }
    #expect(reason.contains("truncated"))
  }

  @Test func trailingBytesAfterGzipAreRejected() {
    let compressed = Gzip.compress([1, 2, 3]) + [0, 0, 0]
    let error = thrownError { _ = try Gzip.decompress(compressed, source: "tail.gz") }
    guard case .corruptGzip(_, let reason) = error else {
      Issue.record("got \(String(describing: error))"); return
    }
    #expect(reason.contains("trailing"))
  }

  @Test func concatenatedGzipMembersAreJoined() throws {
    let content: [UInt8] = Array(0..<200).map { UInt8($0) }
    let joined = Gzip.compress(Array(content[..<77])) + Gzip.compress(Array(content[77...]))
    #expect(try Gzip.decompress(joined, source: "two.gz") == content)
  }

  @Test func missingFileIsATypedError() {
    let url = URL(fileURLWithPath: "/nonexistent/dir/file.idx")
    guard case .unreadableFile(let path, _) = thrownError({ _ = try IDXFile(contentsOf: url) }) else {
      Issue.record("expected unreadableFile")
      return
    }
    #expect(path == url.path)
  }

  @Test func mismatchedInitializerArgumentsAreRejected() {
    guard case .invalidArgument = thrownError({ _ = try IDXFile(dimensions: [2, 2], bytes: [1, 2, 3]) })
    else {
      Issue.record("expected invalidArgument")
      return
    }
  }
}
