import ArgumentParser
import Datasets
import Foundation
import LowRankNN
import MatrixManifold

extension TrainingConfiguration.Mode: ExpressibleByArgument {}
extension TrainingConfiguration.Optimizer: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension OptimizerState: ExpressibleByArgument {}
extension ConvolutionFormat: ExpressibleByArgument {}
extension RankCeiling: ExpressibleByArgument {}
extension LowRankInitialization: ExpressibleByArgument {}

extension TrainingConfiguration {
  /// The library's defaults, the single source of the CLI's defaults.
  static let defaults = TrainingConfiguration()
}

/// `dlrt train`: dynamical low-rank training of a fully-connected network or LeNet5.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a network on MNIST or Fashion-MNIST with dynamical low-rank training.",
    discussion:
      "Every batch is one step of the rank-adaptive (or fixed-rank) BUG integrator with step size = "
      + "learning rate: one forward/backward pass for all K- and L-steps, one for all S-steps, then truncation. "
      + "Results go to <out>.json (configuration, seed, per-epoch metrics) and <out>.csv; --save writes a "
      + "checkpoint after every epoch.")

  @OptionGroup var data: DatasetOptions

  @Option(
    help:
      "Layer widths, input to classes, e.g. 784-500-500-500-500-10, or lenet5 (two convolutions, low-rank like the hidden layers)."
  )
  var arch = TrainingConfiguration.defaults.architecture.description

  @Option(
    help:
      "dense, fixed (rank --start-rank), vanilla (factors A·Bᵀ at rank --start-rank trained directly), frozen (bases kept, only the cores S trained) or adaptive (tolerance --tau)."
  )
  var mode = TrainingConfiguration.defaults.mode

  @Option(help: "Relative truncation tolerance τ of the adaptive mode.")
  var tau = TrainingConfiguration.defaults.tau

  @Option(
    help:
      "Initial rank (adaptive) or rank (fixed, vanilla) of the hidden layers; each layer takes at most its --rank-ceiling."
  )
  var startRank = TrainingConfiguration.defaults.startRank

  @Option(help: "Largest rank of a hidden layer (adaptive).")
  var maxRank = TrainingConfiguration.defaults.maxRank

  @Option(
    help:
      "Smallest rank a hidden layer keeps after truncation (adaptive); the reference implementation keeps 2.")
  var minRank = TrainingConfiguration.defaults.minRank ?? 1

  @Option(
    help:
      "Each low-rank matrix layer's own largest rank, which also caps its start rank: full (min(n, m) of its n×m weight) or half (⌊min(n, m)/2⌋, as in the reference implementation)."
  )
  var rankCeiling = TrainingConfiguration.defaults.rankCeiling ?? .full

  @Option(
    help:
      "How low-rank layers draw their initial factors: spectral (the truncated SVD of a PyTorch-initialised dense weight) or half-normal (random orthonormal bases, singular values the largest sorted |N(0, 1)| draws, as in the reference implementation)."
  )
  var initialization = TrainingConfiguration.defaults.initialization ?? .spectral

  @Option(help: "Epochs.")
  var epochs = TrainingConfiguration.defaults.epochs

  @Option(help: "Batch size.")
  var batch = TrainingConfiguration.defaults.batchSize

  @Option(help: "Learning rate (the integrator's step size).")
  var lr = TrainingConfiguration.defaults.learningRate

  @Option(help: "Optimizer: sgd, momentum or adam.")
  var optimizer = TrainingConfiguration.defaults.optimizer

  @Option(help: "Momentum for --optimizer momentum.")
  var momentum = TrainingConfiguration.defaults.momentum

  @Option(
    help:
      "What momentum and Adam do with their state when the bases change: project (transformed into the new bases), keep (the numbers stay, as in the reference implementation) or project-first (Adam's first moment projected, its second kept)."
  )
  var optimizerState: OptimizerState = .project

  @Option(
    help:
      "How low-rank convolutions store their kernels: matrix (out × in·kh·kw, factored U·S·Vᵀ) or tucker (an order-4 Tucker tensor, ranks adapted per mode)."
  )
  var convolutions: ConvolutionFormat = .matrix

  @Flag(
    help:
      "Adaptive mode: one forward/backward pass per batch (the S-step reuses the K/L pass; biases and dense layers step with the S-step)."
  )
  var singlePass = false

  @Option(help: "Hidden-layer activation: relu or tanh.")
  var activation = TrainingConfiguration.defaults.activation

  @Option(help: "Seed of initialisation and shuffling.")
  var seed = TrainingConfiguration.defaults.seed

  @OptionGroup var parallelism: ThreadOptions

  @Option(help: "Train on the first N training samples only (quick runs).")
  var trainSamples: Int?

  @Option(
    help: ArgumentHelp(
      "Hold out the last N training samples for validation (the reference implementations hold out 10000).",
      discussion:
        "Validation accuracy is recorded every epoch, and the run reports the test accuracy at the epoch of "
        + "best validation accuracy, the model the reference implementations keep."))
  var validationSamples: Int?

  @Option(help: "Write <out>.json and <out>.csv (updated after every epoch).")
  var out: String?

  @Option(help: "Write a checkpoint here after every epoch (atomically).")
  var save: String?

  @Flag(help: "Print only the epoch lines (no progress bar).")
  var quiet = false

  @Flag(
    help: ArgumentHelp(
      "With --out: train nothing if <out>.json already holds every epoch of this run.",
      discussion:
        "Same configuration, data set and training samples; the file's result is printed instead. "
        + "For resuming an interrupted series of runs (make ... RESUME=1)."))
  var skipComplete = false

  func validate() throws {
    do { try makeConfiguration().validate() } catch { throw ValidationError("\(error)") }
    if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be at least 1") }
    if skipComplete && out == nil { throw ValidationError("--skip-complete needs --out") }
    if let validationSamples, validationSamples < 1 {
      throw ValidationError("--validation-samples must be at least 1")
    }
  }

  func makeConfiguration() throws -> TrainingConfiguration {
    var c = TrainingConfiguration()
    do { c.architecture = try Architecture(parsing: arch) } catch {
      throw ValidationError("--arch must be lenet5 or widths joined by '-', such as 784-500-10; got \(arch)")
    }
    (c.mode, c.tau, c.startRank, c.maxRank) = (mode, tau, startRank, maxRank)
    (c.epochs, c.batchSize, c.learningRate, c.optimizer, c.momentum) = (
      epochs, batch, lr, optimizer, momentum
    )
    (c.activation, c.seed, c.optimizerState, c.convolutions) = (
      activation, seed, optimizerState, convolutions
    )
    c.singlePass = singlePass
    (c.minRank, c.rankCeiling, c.initialization) = (minRank, rankCeiling, initialization)
    return c
  }

  func run() throws {
    let configuration = try makeConfiguration()
    try ResultFiles.checkWritable([out.map { $0 + ".json" }, save].compactMap { $0 })
    parallelism.apply(for: configuration)
    let log: (String) -> Void = { print($0) }
    var (train, test) = try data.load(log: log)
    if let trainSamples, trainSamples < train.count { train = train.subset(Array(0..<trainSamples)) }
    var validation: LabeledImages?
    if let validationSamples {
      guard validationSamples < train.count else {
        throw CLIError(
          description:
            "--validation-samples \(validationSamples) leaves no training samples of \(train.count)")
      }
      let split = train.count - validationSamples
      validation = train.subset(Array(split..<train.count))
      train = train.subset(Array(0..<split))
    }
    let architecture = configuration.architecture
    guard train.featureCount == architecture.inputs else {
      throw CLIError(
        description:
          "--arch \(architecture) takes \(architecture.inputs) inputs but the images have \(train.featureCount) pixels"
      )
    }
    guard architecture.classes >= train.classCount else {
      throw CLIError(
        description:
          "--arch \(architecture) has \(architecture.classes) classes but the data has \(train.classCount)")
    }
    if skipComplete, let out,
      let done = RunRecord.complete(
        at: out + ".json", configuration: configuration, dataset: data.dataset, trainSamples: train.count,
        validationSamples: validation?.count),
      let last = done.epochs.last
    {
      print(
        "skipped: \(out).json already holds the \(done.epochs.count) epochs of this run (test accuracy "
          + String(format: "%.2f%%)", 100 * last.testAccuracy))
      return
    }
    let run = TrainingRun(
      configuration: configuration, dataset: data.dataset, threads: parallelism.threads,
      batchParts: parallelism.batchParts(for: configuration), out: out,
      save: save, quiet: quiet)
    try run.execute(train: train, test: test, validation: validation)
  }
}
