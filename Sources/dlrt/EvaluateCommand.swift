import ArgumentParser
import Foundation
import LowRankNN

/// `dlrt evaluate`: test accuracy of a saved checkpoint.
struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reload a checkpoint and measure its test accuracy.")

  @OptionGroup var data: DatasetOptions

  @Option(help: "Checkpoint written by `dlrt train --save`.")
  var model: String

  @OptionGroup var parallelism: ThreadOptions

  func run() throws {
    let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model))
    parallelism.apply(for: checkpoint.configuration)
    let (network, state) = try checkpoint.restore()
    let (_, test) = try data.load(log: { print($0) })
    var trainer = try Trainer<Float>(configuration: checkpoint.configuration, network: network, state: state)
    trainer.batchParts = parallelism.batchParts(for: checkpoint.configuration)
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
