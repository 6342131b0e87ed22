import Foundation

/// Reading whole files and writing them atomically, with failures as ``DatasetError``.
enum FileAccess {
  /// The bytes of the file at `url`.
  static func read(_ url: URL) throws(DatasetError) -> [UInt8] {
    do {
      return [UInt8](try Data(contentsOf: url))
    } catch {
      throw .unreadableFile(path: url.path, reason: reason(error))
    }
  }

  /// The content of the file at `url`, decompressed when it starts with the gzip magic bytes.
  static func readDecompressed(_ url: URL) throws(DatasetError) -> [UInt8] {
    let bytes = try read(url)
    return Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, source: url.path) : bytes
  }

  /// Writes `bytes` to a temporary file next to `url`, flushes it, then renames it onto `url`, so
  /// readers see either the old file or the complete new one, never a partial write.
  static func writeAtomically(_ bytes: [UInt8], to url: URL) throws(DatasetError) {
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(
      ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp"
    )
    do {
      guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
        throw DatasetError.unwritableFile(path: temporary.path, reason: "the file could not be created")
      }
      let handle = try FileHandle(forWritingTo: temporary)
      do {
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
        try handle.close()
      } catch {
        try? handle.close()
        throw error
      }
      guard rename(temporary.path, url.path) == 0 else {
        throw DatasetError.unwritableFile(
          path: url.path, reason: "renaming the temporary file failed: \(String(cString: strerror(errno)))")
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      if let error = error as? DatasetError { throw error }
      throw .unwritableFile(path: url.path, reason: reason(error))
    }
  }

  /// Whether a regular file (or a link to one) exists at `url`.
  static func isFile(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      && !isDirectory.boolValue
  }

  private static func reason(_ error: any Error) -> String {
    (error as NSError).localizedDescription
  }
}
