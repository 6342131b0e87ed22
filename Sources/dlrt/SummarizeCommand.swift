import ArgumentParser
import Foundation
import LowRankNN

/// `dlrt summarize`: a Markdown table of training result files.
struct Summarize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a Markdown table (last epoch of each run) from result files written by `dlrt train --out`.")

  @Argument(help: "Result files (<out>.json).")
  var files: [String]

  func run() throws {
    print("| mode | τ | optimizer | lr | epochs | test accuracy | ranks | c.r. eval | c.r. train | s/epoch | seed |")
    print("|---|--:|---|--:|--:|--:|---|--:|--:|--:|--:|")
    for file in files {
      let data: Data
      do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
        throw CLIError(description: "cannot read \(file): \(error.localizedDescription)")
      }
      let record: RunRecord
      do { record = try JSONDecoder().decode(RunRecord.self, from: data) } catch {
        throw CLIError(description: "\(file) is not a result file of `dlrt train --out` (\(error))")
      }
      guard let last = record.epochs.last else { continue }
      let c = record.configuration
      let seconds = record.epochs.map(\.seconds).reduce(0, +) / Double(record.epochs.count)
      print(
        "| \(c.mode.rawValue) | \(c.mode == .adaptive ? String(c.tau) : "-") | \(c.optimizer.rawValue) | \(c.learningRate) | "
          + "\(record.epochs.count) | \(String(format: "%.2f", 100 * last.testAccuracy))% | "
          + "\(last.ranks.isEmpty ? "-" : last.ranks.map(String.init).joined(separator: ", ")) | "
          + "\(String(format: "%.1f", 100 * last.evaluationCompression))% | \(String(format: "%.1f", 100 * last.trainingCompression))% | "
          + "\(String(format: "%.1f", seconds)) | \(c.seed) |")
    }
  }
}
