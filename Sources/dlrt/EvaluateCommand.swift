import ArgumentParser
import Foundation
import LowRankNN
import MatrixManifold

/// `dlrt evaluate`: test accuracy of a saved checkpoint.
struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reload a checkpoint and measure its test accuracy.")

  @OptionGroup var data: DatasetOptions

  @Option(help: "Checkpoint written by `dlrt train --save`.")
  var model: String

  @Option(help: "OpenBLAS threads (use the training run's value to reproduce its numbers bit for bit).")
  var threads = 2

  func run() throws {
    BLASThreads.set(threads)
    let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model))
    let (network, state) = try checkpoint.restore()
    let (_, test) = try data.load(log: { print($0) })
    let trainer = try Trainer<Float>(configuration: checkpoint.configuration, network: network, state: state)
    let accuracy = trainer.accuracy(features: test.images, labels: test.labels)
    let counts = trainer.parameterCounts
    print(
      "model \(model): \(checkpoint.configuration.architecture), mode \(checkpoint.configuration.mode.rawValue), ranks \(state.rankDescription), \(checkpoint.epochs) epochs"
    )
    print(
      String(format: "test accuracy %.2f%%", 100 * accuracy)
        + (checkpoint.testAccuracy.map { String(format: " (%.2f%% when saved)", 100 * $0) } ?? "")
        + ", \(counts.evaluation) parameters at evaluation (compression \(String(format: "%.1f", 100 * counts.evaluationCompression))%)"
    )
  }
}
