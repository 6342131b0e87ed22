import ArgumentParser
import MatrixManifold

/// How training commands use the machine's threads.
struct ThreadOptions: ParsableArguments {
  @Option(help: "Threads.")
  var threads = 2

  @Flag(
    inversion: .prefixedNo,
    help: ArgumentHelp(
      "Split every batch into --threads parts that run concurrently with one OpenBLAS thread each "
        + "(--no-split-batch: one part, all threads inside OpenBLAS).",
      discussion:
        "The integrator's per-block augmentation and truncation then also run on the threads. "
        + "Results are equal up to rounding either way."))
  var splitBatch = true

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  /// Parts each batch is split into.
  var batchParts: Int { splitBatch ? threads : 1 }

  /// Sets OpenBLAS's threads for this choice (one when the batch is split).
  func apply() { BLASThreads.set(splitBatch ? 1 : threads) }
}
