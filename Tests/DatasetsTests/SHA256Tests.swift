import Testing

@testable import Datasets

/// FIPS 180-2, appendix B: the published SHA-256 test vectors.
@Suite struct SHA256Tests {
  @Test func abc() {
    #expect(
      SHA256.hexDigest(of: Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func emptyString() {
    #expect(
      SHA256.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func twoBlockMessage() {
    let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(
      SHA256.hexDigest(of: Array(message.utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func oneMillionA() {
    let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(
      SHA256.hexDigest(of: message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Feeding the input in uneven pieces must give the one-shot digest (block boundaries inside
  /// pieces, pieces shorter than a block, the 55/56-byte padding edge).
  @Test(arguments: [1, 7, 55, 56, 63, 64, 65, 200])
  func incrementalUpdatesMatchOneShot(pieceLength: Int) {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    var hasher = SHA256()
    for start in stride(from: 0, to: message.count, by: pieceLength) {
      hasher.update(Array(message[start..<min(start + pieceLength, message.count)]))
    }
    #expect(hasher.finalize() == SHA256.digest(of: message))
  }
}
