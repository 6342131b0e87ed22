import ArgumentParser
import Foundation
import LowRankNN
import MatrixManifold

/// The result file of `dlrt compress`: accuracy and size at each stage.
struct CompressRecord: Codable {
  var model: String
  var dataset: String
  var tau: Double
  var maxRank: Int
  /// The network being compressed.
  var originalAccuracy: Double
  var originalParameters: Int
  /// Right after truncating every hidden weight by SVD at τ.
  var truncatedAccuracy: Double
  var truncatedRanks: [Int]
  /// Multilinear ranks of Tucker convolutions after the truncation (absent without them).
  var truncatedTuckerRanks: [[Int]]? = nil
  /// After `adaptiveEpochs` epochs of rank-adaptive DLRT (nil when 0).
  var adaptiveEpochs: Int
  var adaptiveAccuracy: Double?
  var adaptiveRanks: [Int]?
  /// Multilinear ranks of Tucker convolutions after the adaptive phase (absent without them).
  var adaptiveTuckerRanks: [[Int]]? = nil
  /// After `finetuneEpochs` epochs with frozen bases (nil when 0).
  var finetuneEpochs: Int
  var finetuneAccuracy: Double?
  /// The final network.
  var finalAccuracy: Double
  var finalRanks: [Int]
  /// Multilinear ranks of Tucker convolutions at the end (absent without them).
  var finalTuckerRanks: [[Int]]? = nil
  var parameters: ParameterCounts
  var threads: Int
  var machine: String

  static let fileDescription = "a result file of `dlrt compress --out`"
}

/// `dlrt compress`: truncate a trained network's hidden weights by SVD, continue with
/// rank-adaptive DLRT, then fine-tune the cores with frozen bases.
struct Compress: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compress a trained network: SVD truncation at τ, rank-adaptive DLRT, then S-only fine-tuning.",
    discussion:
      "Every hidden layer's weight (formed densely, whatever the checkpoint's mode) is replaced by its "
      + "truncated SVD, keeping the smallest rank whose discarded singular values have norm ≤ τ·‖σ‖₂ (at most "
      + "--max-rank). Then --epochs epochs of rank-adaptive DLRT with the same τ, and --finetune-epochs epochs "
      + "in which the bases are frozen and only the cores S and the dense layers train. The accuracy is "
      + "measured on the test set before, after truncation and after each phase. The optimizer, learning rate "
      + "and batch size are the checkpoint's unless given.")

  @OptionGroup var data: DatasetOptions

  @Option(help: "Checkpoint to compress (`dlrt train --save`).")
  var model: String

  @Option(help: "Relative truncation tolerance τ (also used by the adaptive phase).")
  var tau: Double

  @Option(help: "Largest rank of a hidden layer (default: no limit beyond the layer's size).")
  var maxRank: Int?

  @Option(help: "Epochs of rank-adaptive DLRT after the truncation.")
  var epochs = 1

  @Option(help: "Epochs of fine-tuning with frozen bases after that.")
  var finetuneEpochs = 1

  @Option(help: "Optimizer (default: the checkpoint's).")
  var optimizer: TrainingConfiguration.Optimizer?

  @Option(help: "Learning rate (default: the checkpoint's).")
  var lr: Double?

  @Option(help: "Batch size (default: the checkpoint's).")
  var batch: Int?

  @Option(help: "Format of the compressed convolutions: matrix or tucker (HOSVD truncation at τ per mode).")
  var convolutions: ConvolutionFormat = .matrix

  @Option(help: "Seed of the shuffling.")
  var seed: UInt64 = 1

  @OptionGroup var parallelism: ThreadOptions

  @Option(help: "Train on the first N training samples only.")
  var trainSamples: Int?

  @Option(help: "Write <out>.json (the stages) and <out>-adaptive / <out>-finetune result files.")
  var out: String?

  @Option(help: "Write the compressed network here (atomically).")
  var save: String?

  @Flag(help: "Print only the epoch lines (no progress bar).")
  var quiet = false

  func validate() throws {
    guard tau.isFinite, tau >= 0, tau < 1 else {
      throw ValidationError("--tau must be in [0, 1), got \(tau)")
    }
    if let maxRank, maxRank < 1 { throw ValidationError("--max-rank must be at least 1") }
    guard epochs >= 0, finetuneEpochs >= 0 else {
      throw ValidationError("--epochs and --finetune-epochs must be ≥ 0")
    }
    if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be at least 1") }
  }

  func run() throws {
    try ResultFiles.checkWritable([out.map { $0 + ".json" }, save].compactMap { $0 })
    let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model))
    let (originalNetwork, originalState) = try checkpoint.restore()
    var (train, test) = try data.load(log: { print($0) })
    if let trainSamples, trainSamples < train.count { train = train.subset(Array(0..<trainSamples)) }
    let original = try Trainer<Float>(
      configuration: checkpoint.configuration, network: originalNetwork, state: originalState)
    guard train.featureCount == original.network.inputs else {
      throw CLIError(
        description:
          "the model takes \(original.network.inputs) inputs but the images have \(train.featureCount) pixels"
      )
    }
    let originalAccuracy = original.accuracy(features: test.images, labels: test.labels)

    // The adaptive configuration; ranks come from the truncation, so the start rank is the cap.
    var c = checkpoint.configuration
    let largest = max(largestRank(of: c.architecture), 1)
    (c.mode, c.tau, c.maxRank, c.startRank) = (.adaptive, tau, maxRank ?? largest, maxRank ?? largest)
    c.optimizer = optimizer ?? c.optimizer
    c.learningRate = lr ?? c.learningRate
    c.batchSize = batch ?? c.batchSize
    (c.seed, c.epochs, c.convolutions) = (seed, max(epochs, 1), convolutions)
    try c.validate()
    // Thread use of the low-rank network from here on.
    parallelism.apply(for: c)
    let network = Network<Float>(
      architecture: c.architecture, mode: .lowRank(startRank: c.startRank), activation: c.activation,
      convolutions: convolutions)
    let policy = try TruncationPolicy.relative(tau, minRank: 1, maxRank: c.maxRank)
    let state = try network.state(
      weights: originalNetwork.weights(of: originalState), biases: originalNetwork.biases(of: originalState),
      policy: policy)
    var trainer = try Trainer<Float>(configuration: c, network: network, state: state)
    let truncatedAccuracy = trainer.accuracy(features: test.images, labels: test.labels)
    let truncatedRanks = trainer.state.ranks
    let truncatedTuckerRanks = trainer.state.tuckers.isEmpty ? nil : trainer.state.tuckerRanks
    print(
      String(
        format:
          "%@: test accuracy %.2f%%, %d parameters; truncated at τ=%g: ranks %@, test accuracy %.2f%%, compression %.1f%%",
        model, 100 * originalAccuracy, original.parameterCounts.evaluation, tau,
        rankText(truncatedRanks, truncatedTuckerRanks, separator: ", "), 100 * truncatedAccuracy,
        100 * trainer.parameterCounts.evaluationCompression))

    func phase(_ mode: TrainingConfiguration.Mode, epochs: Int, suffix: String) throws -> Double? {
      guard epochs > 0 else { return nil }
      var phaseConfiguration = trainer.configuration
      (phaseConfiguration.mode, phaseConfiguration.epochs) = (mode, epochs)
      let run = TrainingRun(
        configuration: phaseConfiguration, dataset: data.dataset, threads: parallelism.threads,
        batchParts: parallelism.batchParts(for: phaseConfiguration), out: out.map { $0 + suffix },
        save: nil, quiet: quiet)
      let start = try Trainer<Float>(
        configuration: phaseConfiguration, network: trainer.network, state: trainer.state)
      trainer = try run.execute(from: start, train: train, test: test)
      return trainer.accuracy(features: test.images, labels: test.labels)
    }
    let adaptiveAccuracy = try phase(.adaptive, epochs: epochs, suffix: "-adaptive")
    let adaptiveRanks = epochs > 0 ? trainer.state.ranks : nil
    let adaptiveTuckerRanks = epochs > 0 && !trainer.state.tuckers.isEmpty ? trainer.state.tuckerRanks : nil
    let finetuneAccuracy = try phase(.frozen, epochs: finetuneEpochs, suffix: "-finetune")
    let finalAccuracy = finetuneAccuracy ?? adaptiveAccuracy ?? truncatedAccuracy
    let counts = trainer.parameterCounts
    print(
      String(
        format:
          "compressed: test accuracy %.2f%% (%.2f%% before), ranks %@, %d parameters at evaluation (compression %.1f%%)",
        100 * finalAccuracy, 100 * originalAccuracy, trainer.state.rankDescription, counts.evaluation,
        100 * counts.evaluationCompression))
    let record = CompressRecord(
      model: model, dataset: data.dataset.rawValue, tau: tau, maxRank: c.maxRank,
      originalAccuracy: originalAccuracy,
      originalParameters: original.parameterCounts.evaluation, truncatedAccuracy: truncatedAccuracy,
      truncatedRanks: truncatedRanks, truncatedTuckerRanks: truncatedTuckerRanks, adaptiveEpochs: epochs,
      adaptiveAccuracy: adaptiveAccuracy,
      adaptiveRanks: adaptiveRanks, adaptiveTuckerRanks: adaptiveTuckerRanks, finetuneEpochs: finetuneEpochs,
      finetuneAccuracy: finetuneAccuracy,
      finalAccuracy: finalAccuracy, finalRanks: trainer.state.ranks,
      finalTuckerRanks: trainer.state.tuckers.isEmpty ? nil : trainer.state.tuckerRanks, parameters: counts,
      threads: parallelism.threads,
      machine: machineDescription())
    if let out {
      try ResultFiles.writeJSON(record, to: out + ".json")
      print("wrote \(out).json")
    }
    if let save {
      try Checkpoint(
        configuration: trainer.configuration, state: trainer.state, epochs: epochs + finetuneEpochs,
        testAccuracy: finalAccuracy
      ).write(to: URL(fileURLWithPath: save))
      print("saved \(save)")
    }
  }

  /// The Markdown table of several compress records.
  static func table(_ records: [CompressRecord]) -> String {
    func pct(_ x: Double?) -> String { x.map { String(format: "%.2f", 100 * $0) } ?? "-" }
    var text =
      "| τ | original (%) | truncated (%) | ranks after truncation | adaptive (%) | epochs | fine-tuned (%) | epochs | final ranks | c.r. eval |\n"
    text += "|--:|--:|--:|---|--:|--:|--:|--:|---|--:|\n"
    for r in records.sorted(by: { $0.tau < $1.tau }) {
      text +=
        "| \(r.tau) | \(pct(r.originalAccuracy)) | \(pct(r.truncatedAccuracy)) | \(rankText(r.truncatedRanks, r.truncatedTuckerRanks, separator: ", ")) | "
        + "\(pct(r.adaptiveAccuracy)) | \(r.adaptiveEpochs) | \(pct(r.finetuneAccuracy)) | \(r.finetuneEpochs) | "
        + "\(rankText(r.finalRanks, r.finalTuckerRanks, separator: ", ")) | \(String(format: "%.1f", 100 * r.parameters.evaluationCompression))% |\n"
    }
    return text
  }
}

/// The largest rank any low-rank layer of `architecture` can take (the smaller side of its
/// weight matrix), 0 when it has no layer that can be low-rank.
func largestRank(of architecture: Architecture) -> Int {
  architecture.layers(startRank: Int.max, activation: .relu).compactMap { layer -> Int? in
    if case .lowRank(let r) = layer.kind { return r }
    return nil
  }.max() ?? 0
}
