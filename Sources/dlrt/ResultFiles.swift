import Foundation
import LowRankIntegrators

/// Result files: JSON with configuration and history, CSV with one row per step.
/// Both are written atomically (temporary file, then rename): a crash leaves no half file.
enum ResultFiles {
  struct Record: Codable {
    var config: [String: String]
    var history: [HistoryEntry]
  }

  static func write(prefix: String, config: [String: String], history: [HistoryEntry]) throws {
    try writeJSON(Record(config: config, history: history), to: prefix + ".json")
    var csv = "step,time,ranks,error,evaluations,largest_singular_value,smallest_singular_value\n"
    for (n, e) in history.enumerated() {
      let ranks = e.ranks.map(String.init).joined(separator: ";")
      let sigma = e.singularValues.first ?? []
      csv +=
        "\(n),\(e.time),\(ranks),\(e.error.map { "\($0)" } ?? ""),\(e.evaluations),\(sigma.first ?? 0),\(sigma.last ?? 0)\n"
    }
    try writeAtomically(Data(csv.utf8), to: prefix + ".csv")
  }

  /// Writes `value` as sorted, indented JSON, atomically; NaN and infinities become the strings
  /// "nan", "inf", "-inf" (``read(_:from:expected:)`` reads them back).
  static func writeJSON(_ value: some Encodable, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try writeAtomically(encoder.encode(value), to: path)
  }

  /// Decodes a JSON result file, with an error that names the file and what was expected.
  static func read<T: Decodable>(_ type: T.Type, from path: String, expected: String) throws -> T {
    try decode(type, from: contents(of: path), path: path, expected: expected)
  }

  /// The bytes of a file, with an error that names it.
  static func contents(of path: String) throws -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw CLIError(description: "cannot read \(path): \(error.localizedDescription)")
    }
  }

  /// Decodes the JSON `data` read from `path`; the error names the file and what was expected.
  static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String, expected: String) throws
    -> T
  {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do { return try decoder.decode(type, from: data) } catch {
      throw CLIError(description: "\(path) is not \(expected) (\(error))")
    }
  }

  /// Writes `data` to `path` through a temporary file and a rename, creating directories.
  /// - Throws: ``CLIError`` naming the file.
  static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: url, options: .atomic)
    } catch {
      throw CLIError(description: "cannot write \(path): \(error.localizedDescription)")
    }
  }

  /// Checks, before any work, that files can later be written at each of `paths`: creates their
  /// directories, then writes and removes a probe file beside each, so a mistyped `--out` or
  /// `--save` fails at once rather than after the first epoch.
  /// - Throws: ``CLIError`` naming the path.
  static func checkWritable(_ paths: [String]) throws {
    let files = FileManager.default
    for path in paths {
      var isDirectory: ObjCBool = false
      if files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw CLIError(description: "cannot write \(path): it is a directory")
      }
      let probe = URL(fileURLWithPath: path).deletingLastPathComponent()
        .appendingPathComponent(".dlrt-write-probe-\(UUID().uuidString)").path
      try writeAtomically(Data(), to: probe)
      try? files.removeItem(atPath: probe)
    }
  }
}

/// Errors a command finds while it runs: its files, or data that do not fit its options.
/// ArgumentParser prints them as `Error: …` without a usage line, since the options parsed.
struct CLIError: Error, CustomStringConvertible {
  var description: String
}

/// Replaces the text between `<!-- BEGIN marker -->` and `<!-- END marker -->` in a file.
func replaceRegion(in path: String, marker: String, with content: String) throws {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    throw CLIError(description: "cannot read \(path) to update its '\(marker)' region")
  }
  let begin = "<!-- BEGIN \(marker) -->", end = "<!-- END \(marker) -->"
  guard let b = text.range(of: begin), let e = text.range(of: end), b.upperBound <= e.lowerBound else {
    throw CLIError(
      description: "\(path) has no region '\(begin)' … '\(end)'; add the two markers where the table belongs")
  }
  let updated = text[..<b.upperBound] + "\n" + content + "\n" + text[e.lowerBound...]
  try ResultFiles.writeAtomically(Data(updated.utf8), to: path)
  print("updated \(path) (\(marker))")
}
