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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try writeAtomically(encoder.encode(Record(config: config, history: history)), to: prefix + ".json")
    var csv = "step,time,ranks,error,evaluations,largest_singular_value,smallest_singular_value\n"
    for (n, e) in history.enumerated() {
      let ranks = e.ranks.map(String.init).joined(separator: ";")
      let sigma = e.singularValues.first ?? []
      csv +=
        "\(n),\(e.time),\(ranks),\(e.error.map { "\($0)" } ?? ""),\(e.evaluations),\(sigma.first ?? 0),\(sigma.last ?? 0)\n"
    }
    try writeAtomically(Data(csv.utf8), to: prefix + ".csv")
  }

  /// Writes `data` to `path` through a temporary file and a rename, creating directories.
  static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url, options: .atomic)
  }
}
