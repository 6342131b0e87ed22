import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

extension IDXImageDataset {
  /// Makes sure the four files (both splits, images and labels) are present and verified, and
  /// returns the directory that holds them.
  ///
  /// 1. Files already in `directory` (or its ``subdirectory``, or a system directory) whose
  ///    SHA-256 matches are used as they are; nothing is written.
  /// 2. Otherwise, if `download` is set, each missing or bad file is fetched as `.gz` from the
  ///    ``mirrors`` in order (a mirror that fails is not tried again), decompressed, verified, and
  ///    written atomically into `directory` under ``canonicalFileName(_:_:)`` (uncompressed, so
  ///    `sha256sum -c` can check it too).
  /// 3. Otherwise it throws ``DatasetError/unavailable(dataset:directory:failures:)`` explaining
  ///    how to provide the files (`make data`, `--data-dir`, `DLRT_DATA`).
  ///
  /// - Parameters:
  ///   - directory: where the files are looked for and written.
  ///   - download: whether missing files may be fetched from the mirrors.
  ///   - timeout: seconds without progress before a request is abandoned (keep it short: an
  ///     unreachable mirror should fail fast).
  ///   - log: receives one line per action (found, downloading, verified, failed).
  /// - Throws: ``DatasetError``, including ``DatasetError/checksumMismatch(path:expected:actual:)``
  ///   for a present but bad file when `download` is off.
  @discardableResult
  public func ensureAvailable(
    in directory: URL, download: Bool, timeout: Double = 15, log: (String) -> Void = { _ in }
  ) throws(DatasetError) -> URL {
    try verifiedFiles(in: directory, download: download, timeout: timeout, log: log).directory
  }

  /// Both splits, from the files ``ensureAvailable(in:download:timeout:log:)`` makes sure of: each
  /// file is read, verified and parsed once.
  ///
  /// - Returns: `featureCount × count` images in `[0, 1]` and their labels, per split.
  /// - Throws: ``DatasetError``, as ``ensureAvailable(in:download:timeout:log:)`` and
  ///   ``load(from:split:verifyChecksums:)`` do.
  public func loadAvailable(
    in directory: URL, download: Bool, timeout: Double = 15, log: (String) -> Void = { _ in }
  ) throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
    let found = try verifiedFiles(in: directory, download: download, timeout: timeout, log: log)
    func split(_ split: DatasetSplit) throws(DatasetError) -> LabeledImages {
      guard let images = found.files[Self.canonicalFileName(split, .images)],
        let labels = found.files[Self.canonicalFileName(split, .labels)]
      else { preconditionFailure("verifiedFiles returned without all four files") }
      return try labeledImages(images: images, labels: labels)
    }
    return (try split(.train), try split(.test))
  }

  /// Verified, parsed files with the paths they came from, keyed by ``canonicalFileName(_:_:)``.
  private typealias VerifiedFiles = [String: (path: String, content: IDXFile)]

  /// The work of ``ensureAvailable(in:download:timeout:log:)``, keeping what it parsed: the
  /// directory and every file's path and content, keyed by ``canonicalFileName(_:_:)``.
  private func verifiedFiles(
    in directory: URL, download: Bool, timeout: Double, log: (String) -> Void
  ) throws(DatasetError) -> (directory: URL, files: VerifiedFiles) {
    var failures: [String] = []
    // The verified files of `directory` itself (the first searched), kept for the download below.
    var verifiedInDirectory: VerifiedFiles = [:]
    for candidate in searchDirectories(for: directory) {
      var complete = true
      var files: VerifiedFiles = [:]
      for split in DatasetSplit.allCases {
        for kind in IDXFileKind.allCases {
          guard let file = Self.existingFile(in: candidate, split, kind) else {
            complete = false
            continue
          }
          do {
            files[Self.canonicalFileName(split, kind)] = (
              file.path, try readVerified(file, split, kind, verify: true)
            )
          } catch {
            guard download else { throw error }
            log("\(name): \(error)")
            failures.append("\(file.path) is not usable")
            complete = false
          }
        }
      }
      if candidate.standardizedFileURL == directory.standardizedFileURL { verifiedInDirectory = files }
      if complete {
        log("\(name): using verified files in \(candidate.path)")
        return (candidate, files)
      }
    }
    guard download else {
      let missing = DatasetSplit.allCases.flatMap { split in
        IDXFileKind.allCases.filter { Self.existingFile(in: directory, split, $0) == nil }
          .map { Self.canonicalFileName(split, $0) }
      }
      throw .unavailable(
        dataset: name, directory: directory.path,
        failures: ["missing \(missing.joined(separator: ", "))", "downloading is disabled"])
    }
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw .unwritableFile(path: directory.path, reason: "cannot create the directory: \(error)")
    }
    var deadMirrors: Set<URL> = []
    var files: VerifiedFiles = [:]
    for split in DatasetSplit.allCases {
      for kind in IDXFileKind.allCases {
        // Present and verified above: not read again.
        if let verified = verifiedInDirectory[Self.canonicalFileName(split, kind)] {
          files[Self.canonicalFileName(split, kind)] = verified
          continue
        }
        var stored = false
        for mirror in mirrors where !deadMirrors.contains(mirror) {
          let url = mirror.appendingPathComponent(Self.mirrorFileName(split, kind))
          log("\(name): downloading \(url.absoluteString)")
          let compressed: [UInt8]
          switch Self.fetch(url, timeout: timeout) {
          case .success(let body):
            compressed = body
          case .failure(let failure):
            log("\(name): \(url.absoluteString) failed: \(failure.message)")
            failures.append("\(url.absoluteString): \(failure.message)")
            deadMirrors.insert(mirror)
            continue
          }
          let content: [UInt8]
          let parsed: IDXFile
          do {
            content =
              Gzip.isCompressed(compressed)
              ? try Gzip.decompress(compressed, source: url.absoluteString) : compressed
            try checkDigest(of: content, path: url.absoluteString, split, kind)
            parsed = try IDXFile(parsing: content, source: url.absoluteString)
          } catch {
            log("\(name): \(error)")
            failures.append("\(url.absoluteString): bad content")
            continue
          }
          let target = directory.appendingPathComponent(Self.canonicalFileName(split, kind))
          try FileAccess.writeAtomically(content, to: target)
          files[Self.canonicalFileName(split, kind)] = (target.path, parsed)
          log("\(name): verified and stored \(target.path)")
          stored = true
          break
        }
        guard stored else {
          throw .unavailable(dataset: name, directory: directory.path, failures: failures)
        }
      }
    }
    return (directory, files)
  }

  /// The body of a successful (HTTP 200) GET of `url`, or why there is none (network error,
  /// timeout, other status).
  static func fetch(_ url: URL, timeout: Double) -> Result<[UInt8], DownloadFailure> {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.timeoutIntervalForResource = max(timeout, 600)
    let session = URLSession(configuration: configuration)
    defer { session.finishTasksAndInvalidate() }
    let outcome = DownloadOutcome()
    let finished = DispatchSemaphore(value: 0)
    let request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
    let task = session.dataTask(with: request) { data, response, error in
      let result: Result<[UInt8], DownloadFailure>
      if let error {
        result = .failure(DownloadFailure(message: error.localizedDescription))
      } else if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
        result = .failure(DownloadFailure(message: "HTTP status \(status)"))
      } else {
        result = .success([UInt8](data ?? Data()))
      }
      outcome.result.withLock { $0 = result }
      finished.signal()
    }
    task.resume()
    finished.wait()
    return outcome.result.withLock { $0 } ?? .failure(DownloadFailure(message: "no response"))
  }
}

/// A download's failure, as text.
struct DownloadFailure: Error {
  var message: String
}

/// The result of a download, handed from URLSession's callback to the waiting thread.
private final class DownloadOutcome: Sendable {
  let result = Mutex<Result<[UInt8], DownloadFailure>?>(nil)
}
