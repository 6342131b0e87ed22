import Foundation
import Testing

@testable import Datasets

@Suite struct IDXImageDatasetTests {
  /// A dataset over the small sample files; `checksums` as given.
  func tinyDataset(checksums: [String: String] = [:], systemDirectories: [URL] = [], mirrors: [URL] = [])
    -> IDXImageDataset
  {
    IDXImageDataset(
      name: "Tiny", subdirectory: "tiny", classCount: 4, imageShape: [3, 2], checksums: checksums,
      systemDirectories: systemDirectories, mirrors: mirrors)
  }

  /// The digests of the four sample files, keyed by canonical name.
  func sampleDigests(counts: (train: Int, test: Int) = (12, 5)) -> [String: String] {
    var digests: [String: String] = [:]
    for (split, kind, file) in sampleDataset(counts: counts) {
      digests[IDXImageDataset.canonicalFileName(split, kind)] = SHA256.hexDigest(of: file.encoded())
    }
    return digests
  }

  /// The four sample files as a mirror serves them (gzip), keyed by request path; the file named
  /// `corrupting` has one bit of its last byte flipped before compression.
  func mirrorFiles(corrupting: String? = nil) -> [String: [UInt8]] {
    var served: [String: [UInt8]] = [:]
    for (split, kind, file) in sampleDataset() {
      let name = IDXImageDataset.mirrorFileName(split, kind)
      var content = file.encoded()
      if name == corrupting { content[content.count - 1] ^= 1 }
      served["/" + name] = Gzip.compress(content)
    }
    return served
  }

  @Test func fileNames() {
    #expect(IDXImageDataset.canonicalFileName(.train, .images) == "train-images.idx3-ubyte")
    #expect(IDXImageDataset.mirrorFileName(.test, .labels) == "t10k-labels-idx1-ubyte.gz")
    #expect(
      IDXImageDataset.candidateFileNames(.test, .images) == [
        "t10k-images.idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
      ])
  }

  /// Every usual spelling is found: '.' or '-' before idx, raw or .gz (checksums still verify
  /// because they are taken over the decompressed content).
  @Test(arguments: 0..<4)
  func findsEveryUsualFileName(variant: Int) throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(
        in: directory, name: { IDXImageDataset.candidateFileNames($0, $1)[variant] }, compressed: variant >= 2
      )
      let dataset = tinyDataset(checksums: sampleDigests())
      let train = try dataset.load(from: directory, split: .train)
      let test = try dataset.load(from: directory, split: .test)
      #expect(train.count == 12 && test.count == 5)
      #expect(train.images.column(3) == (0..<6).map { samplePixel(3, $0) })
    }
  }

  @Test func findsTheDatasetSubdirectoryOfADataRoot() throws {
    try withTemporaryDirectory { root in
      let folder = root.appendingPathComponent("tiny")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try writeSampleDataset(in: folder)
      #expect(try tinyDataset().load(from: root, split: .test).count == 5)
    }
  }

  /// Like Fashion-MNIST on Debian: an empty directory falls back to the system directory.
  @Test func fallsBackToSystemDirectories() throws {
    try withTemporaryDirectory { empty in
      try withTemporaryDirectory { system in
        try writeSampleDataset(in: system)
        let dataset = tinyDataset(systemDirectories: [system])
        #expect(try dataset.load(from: empty, split: .train).count == 12)
        #expect(
          try dataset.locateFiles(in: empty, split: .train).images.deletingLastPathComponent().path
            == system.path)
      }
    }
    #expect(
      FashionMNIST.dataset.systemDirectories == [URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")])
  }

  @Test func missingFilesSayHowToGetThem() throws {
    try withTemporaryDirectory { directory in
      let error = thrownError { _ = try tinyDataset().load(from: directory, split: .train) }
      guard case .missingFiles(let name, let searched, let candidates) = error else {
        Issue.record("got \(String(describing: error))")
        return
      }
      #expect(name == "Tiny" && searched.contains(directory.path))
      #expect(candidates.contains("train-labels-idx1-ubyte.gz"))
      #expect(error?.description.contains("make data") == true)
    }
  }

  @Test func checksumMismatchNamesFileAndDigests() throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(in: directory)
      var digests = sampleDigests()
      let wrong = String(repeating: "0", count: 64)
      digests["t10k-labels.idx1-ubyte"] = wrong
      let error = thrownError { _ = try tinyDataset(checksums: digests).load(from: directory, split: .test) }
      let path = directory.appendingPathComponent("t10k-labels.idx1-ubyte").path
      #expect(
        error
          == .checksumMismatch(
            path: path, expected: wrong, actual: sampleDigests()["t10k-labels.idx1-ubyte"]!))
      #expect(error?.description.contains(wrong) == true)
      // Without verification the same files load.
      #expect(
        try tinyDataset(checksums: digests).load(from: directory, split: .test, verifyChecksums: false).count
          == 5)
    }
  }

  @Test func mnistVerifiesByDefault() throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(in: directory, shape: [28, 28], classCount: 10)
      guard
        case .checksumMismatch(_, let expected, _) = thrownError({
          _ = try MNIST.load(from: directory, split: .train)
        })
      else {
        Issue.record("expected checksumMismatch")
        return
      }
      #expect(expected == "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")
      #expect(try MNIST.load(from: directory, split: .train, verifyChecksums: false).featureCount == 784)
    }
  }

  @Test func ensureAvailableUsesVerifiedFilesWithoutDownloading() throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(in: directory, compressed: true)
      var lines: [String] = []
      let found = try tinyDataset(checksums: sampleDigests()).ensureAvailable(in: directory, download: false)
      {
        lines.append($0)
      }
      #expect(found.path == directory.path)
      #expect(lines.contains { $0.contains("using verified files") })
    }
  }

  /// One read of each file gives what two separate verified loads give; a bad checksum still stops
  /// it.
  @Test func loadAvailableEqualsSeparateLoads() throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(in: directory, compressed: true)
      let dataset = tinyDataset(checksums: sampleDigests())
      let both = try dataset.loadAvailable(in: directory, download: false)
      #expect(both.train == (try dataset.load(from: directory, split: .train)))
      #expect(both.test == (try dataset.load(from: directory, split: .test)))
      #expect(both.train.count != both.test.count)  // the splits are not swapped
      var digests = sampleDigests()
      digests["t10k-images.idx3-ubyte"] = String(repeating: "0", count: 64)
      guard
        case .checksumMismatch = thrownError({
          _ = try tinyDataset(checksums: digests).loadAvailable(in: directory, download: false)
        })
      else {
        Issue.record("expected checksumMismatch")
        return
      }
    }
  }

  @Test func ensureAvailableOfflineExplainsHowToProvideFiles() throws {
    try withTemporaryDirectory { directory in
      let error = thrownError { try MNIST.ensureAvailable(in: directory, download: false) }
      guard case .unavailable = error, let message = error?.description else {
        Issue.record("got \(String(describing: error))")
        return
      }
      for hint in ["make data", "--data-dir", "DLRT_DATA", "train-images.idx3-ubyte"] {
        #expect(message.contains(hint), "message lacks \(hint): \(message)")
      }
    }
  }

  @Test func ensureAvailableRejectsABadFileWhenNotDownloading() throws {
    try withTemporaryDirectory { directory in
      try writeSampleDataset(in: directory)
      var digests = sampleDigests()
      digests["train-images.idx3-ubyte"] = String(repeating: "f", count: 64)
      guard
        case .checksumMismatch = thrownError({
          try tinyDataset(checksums: digests).ensureAvailable(in: directory, download: false)
        })
      else {
        Issue.record("expected checksumMismatch")
        return
      }
    }
  }

  /// With downloading on, each missing file comes from the first mirror that answers: a dead
  /// mirror is skipped, a file already present and verified is not asked for, and every download
  /// is verified, stored raw under its canonical name and loaded as it was downloaded.
  @Test func downloadFetchesVerifiesAndStoresMissingFiles() throws {
    let server = try LocalHTTPServer(files: mirrorFiles())
    defer { server.stop() }
    try withTemporaryDirectory { directory in
      try sampleFiles(count: 12).images.write(to: directory.appendingPathComponent("train-images.idx3-ubyte"))
      let dead = URL(string: "http://127.0.0.1:9/")!
      let dataset = tinyDataset(checksums: sampleDigests(), mirrors: [dead, server.baseURL])
      var lines: [String] = []
      let both = try dataset.loadAvailable(in: directory, download: true, timeout: 5) { lines.append($0) }
      #expect(
        Set(server.requests)
          == ["/train-labels-idx1-ubyte.gz", "/t10k-images-idx3-ubyte.gz", "/t10k-labels-idx1-ubyte.gz"])
      #expect(lines.filter { $0.contains("verified and stored") }.count == 3)
      for (name, digest) in sampleDigests() {
        let stored = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        #expect(SHA256.hexDigest(of: stored) == digest, "\(name)")
      }
      #expect(both.train == (try dataset.load(from: directory, split: .train)))
      #expect(both.test == (try dataset.load(from: directory, split: .test)))
      #expect(both.train.count == 12 && both.test.count == 5)
    }
  }

  /// A downloaded file that fails its checksum is not stored; with no other mirror the call ends
  /// in `unavailable`, naming the file.
  @Test func downloadRejectsAFileWithTheWrongDigest() throws {
    let server = try LocalHTTPServer(files: mirrorFiles(corrupting: "t10k-labels-idx1-ubyte.gz"))
    defer { server.stop() }
    try withTemporaryDirectory { directory in
      let error = thrownError {
        _ = try tinyDataset(checksums: sampleDigests(), mirrors: [server.baseURL]).loadAvailable(
          in: directory, download: true, timeout: 5)
      }
      guard case .unavailable(_, _, let failures) = error else {
        Issue.record("got \(String(describing: error))")
        return
      }
      #expect(failures.contains { $0.contains("t10k-labels-idx1-ubyte.gz") }, "\(failures)")
      #expect(
        !FileManager.default.fileExists(
          atPath: directory.appendingPathComponent("t10k-labels.idx1-ubyte").path))
    }
  }

  /// A mirror that refuses connections (the discard port on this machine) fails fast and
  /// leaves no partial files; no outside network is used.
  @Test func unreachableMirrorFailsFastAndCleanly() throws {
    try withTemporaryDirectory { directory in
      let target = directory.appendingPathComponent("tiny")
      let mirrors = ["http://127.0.0.1:9/", "http://127.0.0.1:9/other/"].compactMap(URL.init(string:))
      let start = Date()
      let error = thrownError {
        try tinyDataset(checksums: sampleDigests(), mirrors: mirrors).ensureAvailable(
          in: target, download: true, timeout: 5)
      }
      #expect(Date().timeIntervalSince(start) < 12)
      guard case .unavailable(_, _, let failures) = error else {
        Issue.record("got \(String(describing: error))")
        return
      }
      #expect(failures.count == 2)  // each mirror tried once, then skipped
      let left = (try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? ["(unreadable)"]
      #expect(left.isEmpty)
    }
  }
}

/// Loads the real data when `DLRT_REAL_DATA=1` (after `make data`); skipped otherwise.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DLRT_REAL_DATA"] == "1"))
struct RealDataTests {
  @Test func mnist() throws {
    let root = DataDirectory.resolve(explicit: nil)
    let directory = try MNIST.ensureAvailable(in: root.appendingPathComponent("mnist"), download: false)
    let train = try MNIST.load(from: directory, split: .train)
    let test = try MNIST.load(from: directory, split: .test)
    print(
      "MNIST train \(train.count) × \(train.featureCount), test \(test.count), classes \(train.classCount)")
    #expect(train.count == 60_000 && test.count == 10_000 && train.featureCount == 784)
    #expect(Set(train.labels) == Set(0..<10))
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.debianDirectory.path)))
  func fashionMNIST() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)")
    let train = try FashionMNIST.load(from: empty, split: .train)
    let test = try FashionMNIST.load(from: empty, split: .test)
    print("Fashion-MNIST train \(train.count), test \(test.count)")
    #expect(train.count == 60_000 && test.count == 10_000)
  }
}
