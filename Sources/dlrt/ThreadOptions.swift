import ArgumentParser
import LowRankNN
import MatrixManifold

/// How training commands use the machine's threads.
struct ThreadOptions: ParsableArguments {
  @Option(help: "Threads.")
  var threads = 2

  @Flag(
    inversion: .prefixedNo,
    help: ArgumentHelp(
      "Split every batch into --threads parts that run concurrently with one OpenBLAS thread each "
        + "(--no-split-batch: one part, all threads inside OpenBLAS). Default: split, except for a "
        + "dense fully-connected network.",
      discussion:
        "The integrator's per-block augmentation and truncation then also run on the threads. "
        + "Results are equal up to rounding either way."))
  var splitBatch: Bool?

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  /// Whether a run of `configuration` splits its batches: as asked, else for every network but a
  /// dense fully-connected one. Its step is almost all GEMMs, which OpenBLAS shares out over the
  /// threads well, and split parts would add a sum of their whole-weight rates (Benchmarks.md,
  /// "Fewer passes over memory").
  func splits(_ configuration: TrainingConfiguration) -> Bool {
    if let splitBatch { return splitBatch }
    if case .fullyConnected = configuration.architecture, configuration.mode == .dense { return false }
    return true
  }

  /// Parts each batch of a run of `configuration` is split into.
  func batchParts(for configuration: TrainingConfiguration) -> Int {
    splits(configuration) ? threads : 1
  }

  /// Sets OpenBLAS's threads for a run of `configuration` (one when its batches are split).
  func apply(for configuration: TrainingConfiguration) {
    BLASThreads.set(splits(configuration) ? 1 : threads)
  }
}
