import ArgumentParser
import Foundation
import LowRankNN

/// `dlrt summarize`: a Markdown table of training result files, runs that differ only in the
/// seed grouped into one row (mean ± standard deviation over seeds).
struct Summarize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Print a Markdown table of result files of `dlrt train --out` (last epoch; seeds averaged) or of `dlrt compress --out`."
  )

  @Argument(help: "Result files (<out>.json).")
  var files: [String]

  @Option(
    help:
      "Also replace the region between '<!-- BEGIN <marker> -->' and '<!-- END <marker> -->' of this Markdown file."
  )
  var updateDoc: String?

  @Option(help: "Marker name of the region that --update-doc replaces.")
  var marker = "training-summary"

  func run() throws {
    let contents = try files.map { ($0, try ResultFiles.contents(of: $0)) }
    // Result files of `dlrt compress` have their own table.
    let compressed = contents.compactMap { file, data in
      try? ResultFiles.decode(
        CompressRecord.self, from: data, path: file, expected: CompressRecord.fileDescription)
    }
    if !compressed.isEmpty, compressed.count == files.count {
      let table = Compress.table(compressed)
      print(table, terminator: "")
      if let updateDoc { try replaceRegion(in: updateDoc, marker: marker, with: table) }
      return
    }
    var groups: [(key: String, runs: [RunRecord])] = []
    for (file, data) in contents {
      let record = try ResultFiles.decode(
        RunRecord.self, from: data, path: file, expected: RunRecord.fileDescription)
      guard !record.epochs.isEmpty else { continue }
      var c = record.configuration.normalized
      // Runs that differ in the seed only are one group (files of earlier versions included).
      c.seed = 0
      let encoder = JSONEncoder()
      encoder.outputFormatting = .sortedKeys
      let key =
        String(decoding: try encoder.encode(c), as: UTF8.self)
        + " \(record.epochs.count) \(record.dataset) \(record.trainSamples) \(record.validationSamples ?? 0)"
      if let i = groups.firstIndex(where: { $0.key == key }) {
        groups[i].runs.append(record)
      } else {
        groups.append((key, [record]))
      }
    }
    // Runs with a validation hold-out add the test accuracy at the best validation epoch.
    let validated = groups.contains { $0.runs.contains { $0.bestValidationEpoch != nil } }
    var table =
      "| mode | τ | rank | optimizer | lr | epochs | seeds | test accuracy (%) | "
      + (validated ? "test at best validation (%) | " : "") + "ranks | c.r. eval | c.r. train | s/epoch |\n"
    table += "|---|--:|--:|---|--:|--:|--:|--:|" + (validated ? "--:|" : "") + "---|--:|--:|--:|\n"
    /// Mean over seeds, with "± standard deviation" for several.
    func meanText(_ values: [Double]) -> String {
      let mean = values.reduce(0, +) / Double(values.count)
      guard values.count > 1 else { return String(format: "%.2f", mean) }
      let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
      return String(format: "%.2f ± %.2f", mean, std)
    }
    for (_, runs) in groups {
      let c = runs[0].configuration
      let lasts = runs.map { $0.epochs.last! }
      let best = runs.compactMap(\.bestValidationEpoch).map { 100 * $0.testAccuracy }
      let validationColumn = validated ? (best.isEmpty ? "-" : meanText(best)) + " | " : ""
      func meanRank(_ values: [Int]) -> Int {
        Int((Double(values.reduce(0, +)) / Double(values.count)).rounded())
      }
      let ranks = lasts[0].ranks.indices.map { i in meanRank(lasts.map { $0.ranks[i] }) }
      // Tucker convolutions: the mean rank of each mode of each kernel.
      let tuckerRanks = lasts[0].tuckerRanks.map { first in
        first.indices.map { t in
          first[t].indices.map { k in meanRank(lasts.map { $0.tuckerRanks?[t][k] ?? 0 }) }
        }
      }
      let average = { (f: (EpochRecord) -> Double) in lasts.map(f).reduce(0, +) / Double(lasts.count) }
      let seconds = runs.flatMap(\.epochs).map(\.seconds).reduce(0, +) / Double(runs.flatMap(\.epochs).count)
      table +=
        "| \(c.mode.rawValue)\(c.convolutions == .tucker && c.mode != .dense ? " (Tucker conv.)" : "")\(c.mode == .adaptive && c.singlePass == true ? " (one pass)" : "") | \(c.mode == .adaptive ? String(c.tau) : "-") | \(rankColumn(c)) | \(c.optimizer.rawValue) | \(c.learningRate) | "
        + "\(runs[0].epochs.count) | \(runs.count) | \(meanText(lasts.map { 100 * $0.testAccuracy })) | \(validationColumn)"
        + "\(rankText(ranks, tuckerRanks, separator: ", ")) | "
        + "\(String(format: "%.1f", 100 * average(\.evaluationCompression)))% | \(String(format: "%.1f", 100 * average(\.trainingCompression)))% | "
        + "\(String(format: "%.1f", seconds)) |\n"
    }
    print(table, terminator: "")
    if let updateDoc { try replaceRegion(in: updateDoc, marker: marker, with: table) }
  }

  /// The rank setting: "start–max" (adaptive, with min rank and ceiling where they are not the
  /// defaults), the rank (fixed, vanilla), "-" (dense, and frozen bases, whose ranks are those of
  /// the weights it starts from).
  private func rankColumn(_ c: TrainingConfiguration) -> String {
    switch c.mode {
    case .dense, .frozen: "-"
    case .fixed, .vanilla: "\(c.startRank)"
    case .adaptive: "\(c.startRank)–\(c.maxRank)" + rankBoundsNote(c)
    }
  }
}
