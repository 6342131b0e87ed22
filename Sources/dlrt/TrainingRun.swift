import Datasets
import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold

/// Per-epoch metrics written to the result files.
struct EpochRecord: Codable {
  var epoch: Int
  var trainLoss: Double
  var trainAccuracy: Double
  var testAccuracy: Double
  /// Accuracy on the held-out validation samples (absent without `--validation-samples`).
  var validationAccuracy: Double? = nil
  var ranks: [Int]
  /// Multilinear ranks of the Tucker convolutions (absent without them).
  var tuckerRanks: [[Int]]? = nil
  var parameters: ParameterCounts
  var evaluationCompression: Double
  var trainingCompression: Double
  var seconds: Double
  var samplesPerSecond: Double
  /// Floating-point operations of the epoch's matrix products (`ProductWork`, GEMM's `2·m·n·k`),
  /// training steps only (absent in files of earlier versions).
  var productOperations: Int? = nil
}

/// A sample of the training curve after the first batch and every few batches after that: the
/// batch loss and the ranks after it.
struct TracePoint: Codable {
  var step: Int
  var loss: Double
  var ranks: [Int]
}

/// The result file: the exact configuration, the machine, every epoch, and a trace of batch
/// losses and ranks (absent in files of earlier versions).
struct RunRecord: Codable {
  var configuration: TrainingConfiguration
  var dataset: String
  var threads: Int
  /// Parts each batch was split into (absent in files of earlier versions: 1).
  var batchParts: Int? = nil
  var trainSamples: Int
  /// Training samples held out for validation (absent without `--validation-samples`).
  var validationSamples: Int? = nil
  var machine: String
  var epochs: [EpochRecord]
  var trace: [TracePoint]? = nil
  /// Batches between two trace points.
  var traceInterval: Int? = nil

  /// What error messages call such a file.
  static let fileDescription = "a result file of `dlrt train --out`"

  /// A short label for plots and tables: "dense", "τ=0.05", "fixed r=20", "vanilla r=20".
  var label: String {
    let c = configuration
    switch c.mode {
    case .dense: return "dense"
    case .adaptive: return "τ=\(c.tau)"
    case .fixed, .vanilla: return "\(c.mode.rawValue) r=\(c.startRank)"
    case .frozen: return "frozen bases"
    }
  }

  /// The record at `path` if it is a finished run of `configuration` on `dataset` with
  /// `trainSamples` training samples (every epoch present); nil when the file is missing,
  /// unreadable, of another run or unfinished.
  static func complete(
    at path: String, configuration: TrainingConfiguration, dataset: DatasetChoice, trainSamples: Int,
    validationSamples: Int?
  ) -> RunRecord? {
    guard let data = FileManager.default.contents(atPath: path),
      let record = try? JSONDecoder().decode(RunRecord.self, from: data),
      record.configuration.normalized == configuration.normalized, record.dataset == dataset.rawValue,
      record.trainSamples == trainSamples, record.validationSamples == validationSamples,
      record.epochs.count == configuration.epochs
    else { return nil }
    return record
  }

  /// The epoch with the highest validation accuracy (the last of equals, as a model saved
  /// whenever validation does not get worse); nil without validation.
  var bestValidationEpoch: EpochRecord? {
    var best: EpochRecord?
    for e in epochs {
      if let a = e.validationAccuracy, a >= best?.validationAccuracy ?? -1 { best = e }
    }
    return best
  }

  /// Batches per epoch (the last may be partial).
  var batchesPerEpoch: Int { (trainSamples + configuration.batchSize - 1) / configuration.batchSize }
}

/// Drives epochs of a ``Trainer`` over batches, with progress output and result files.
struct TrainingRun {
  var configuration: TrainingConfiguration
  var dataset: DatasetChoice
  var threads: Int
  /// Parts each batch is split into, evaluated concurrently (`Network.batchParts`).
  var batchParts = 1
  var out: String?
  var save: String?
  var quiet: Bool
  /// Batches between two ``TracePoint``s of the result file.
  var traceInterval = 10

  /// Trains `configuration.epochs` epochs, from `initial` (for example compressed weights) or
  /// from a fresh initialisation, and returns the trainer at the end.
  @discardableResult
  func execute(
    from initial: Trainer<Float>? = nil, train: LabeledImages, test: LabeledImages,
    validation: LabeledImages? = nil
  ) throws -> Trainer<Float> {
    var trainer = try initial ?? Trainer<Float>(configuration: configuration)
    trainer.batchParts = batchParts
    var batches = try BatchIterator(dataset: train, batchSize: configuration.batchSize)
    var shuffler = SplitMix64(seed: configuration.seed &+ 0x5EED)
    let progress = Progress(enabled: !quiet && isatty(STDOUT_FILENO) != 0)
    var record = RunRecord(
      configuration: configuration, dataset: dataset.rawValue, threads: threads, batchParts: batchParts,
      trainSamples: train.count, validationSamples: validation?.count,
      machine: machineDescription(), epochs: [], trace: [], traceInterval: traceInterval)
    let c = configuration
    print(
      "training \(c.architecture) on \(dataset.rawValue) (\(train.count) samples), mode \(c.mode.rawValue)"
        + (c.mode == .adaptive
          ? " τ=\(c.tau) start rank \(c.startRank) max rank \(c.maxRank)" + rankBoundsNote(c)
            + (c.singlePass == true ? ", one pass per batch" : "")
          : c.mode == .fixed || c.mode == .vanilla ? " rank \(c.startRank)" : "")
        + ", \(c.optimizer.rawValue) lr \(c.learningRate), batch \(c.batchSize), seed \(c.seed), \(threads) threads"
        + (batchParts > 1 ? ", batch in \(batchParts) parts" : "")
    )
    for epoch in 1...c.epochs {
      batches.startEpoch(shuffledUsing: &shuffler)
      var (lossSum, correct, seen) = (0.0, 0, 0)
      let operationsBefore = ProductWork.operations
      let start = Date()
      while batches.next() {
        let result = try trainer.step(features: batches.features, labels: batches.labels)
        if trainer.steps == 1 || trainer.steps % traceInterval == 0 {
          record.trace?.append(TracePoint(step: trainer.steps, loss: result.loss, ranks: result.ranks))
        }
        lossSum += result.loss * Double(result.count)
        correct += result.correct
        seen += result.count
        let elapsed = Date().timeIntervalSince(start)
        progress.update(
          epoch: epoch, of: c.epochs, batch: batches.batchIndex, of: batches.batchesPerEpoch,
          loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
          ranks: rankText(result.ranks, result.tuckerRanks, separator: ","),
          seconds: elapsed, samplesPerSecond: Double(seen) / elapsed)
      }
      let seconds = Date().timeIntervalSince(start)
      let operations = ProductWork.operations - operationsBefore
      progress.finish()
      let testAccuracy = trainer.accuracy(features: test.images, labels: test.labels)
      let validationAccuracy = validation.map { trainer.accuracy(features: $0.images, labels: $0.labels) }
      let counts = trainer.parameterCounts
      let entry = EpochRecord(
        epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
        testAccuracy: testAccuracy, validationAccuracy: validationAccuracy, ranks: trainer.state.ranks,
        tuckerRanks: trainer.state.tuckers.isEmpty ? nil : trainer.state.tuckerRanks, parameters: counts,
        evaluationCompression: counts.evaluationCompression, trainingCompression: counts.trainingCompression,
        seconds: seconds, samplesPerSecond: Double(seen) / seconds, productOperations: operations)
      record.epochs.append(entry)
      print(
        String(
          format:
            "epoch %d/%d  loss %.4f  train acc %.2f%%  %@test acc %.2f%%  ranks %@  cr eval %.1f%% train %.1f%%  %.1f s  %.0f samples/s",
          epoch, c.epochs, entry.trainLoss, 100 * entry.trainAccuracy,
          validationAccuracy.map { String(format: "val acc %.2f%%  ", 100 * $0) } ?? "", 100 * testAccuracy,
          rankText(entry.ranks, entry.tuckerRanks, separator: ","),
          100 * counts.evaluationCompression, 100 * counts.trainingCompression, seconds,
          entry.samplesPerSecond))
      fflush(nil)  // one line per epoch also when the output goes to a file
      if let out { try writeResults(record, prefix: out) }
      if let save {
        try Checkpoint(configuration: c, state: trainer.state, epochs: epoch, testAccuracy: testAccuracy)
          .write(to: URL(fileURLWithPath: save))
      }
    }
    let last = record.epochs.last!
    let counts = last.parameters
    print(
      "result: test accuracy \(String(format: "%.2f", 100 * last.testAccuracy))%, ranks "
        + "[\(rankText(last.ranks, last.tuckerRanks, separator: ", "))], "
        + "parameters \(counts.evaluation) at evaluation and \(counts.training) in training of \(counts.full) dense "
        + "(compression \(String(format: "%.1f", 100 * counts.evaluationCompression))% / \(String(format: "%.1f", 100 * counts.trainingCompression))%)"
    )
    if let best = record.bestValidationEpoch, let accuracy = best.validationAccuracy {
      print(
        String(
          format: "best validation epoch %d (validation %.2f%%): test accuracy %.2f%%", best.epoch,
          100 * accuracy,
          100 * best.testAccuracy))
    }
    if let out { print("wrote \(out).json and \(out).csv") }
    if let save { print("saved \(save)") }
    return trainer
  }

  private func writeResults(_ record: RunRecord, prefix: String) throws {
    try ResultFiles.writeJSON(record, to: prefix + ".json")
    var csv =
      "epoch,train_loss,train_accuracy,test_accuracy,ranks,params_eval,params_train,params_full,cr_eval,cr_train,seconds,samples_per_second,product_gflop\n"
    for e in record.epochs {
      csv +=
        "\(e.epoch),\(e.trainLoss),\(e.trainAccuracy),\(e.testAccuracy),\(rankText(e.ranks, e.tuckerRanks, separator: ";")),"
        + "\(e.parameters.evaluation),\(e.parameters.training),\(e.parameters.full),\(e.evaluationCompression),\(e.trainingCompression),\(e.seconds),\(e.samplesPerSecond),\(e.productOperations.map { String(Double($0) / 1e9) } ?? "")\n"
    }
    try ResultFiles.writeAtomically(Data(csv.utf8), to: prefix + ".csv")
  }
}

/// A one-line progress bar on a terminal; silent otherwise.
struct Progress {
  let enabled: Bool

  func update(
    epoch: Int, of epochs: Int, batch: Int, of batches: Int, loss: Double, accuracy: Double, ranks: String,
    seconds: Double, samplesPerSecond: Double
  ) {
    guard enabled else { return }
    let width = 24
    let filled = batches > 0 ? width * batch / batches : width
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let rankText = ranks == "-" ? "" : " ranks " + ranks
    let line = String(
      format: "\repoch %d/%d %@ %d/%d loss %.4f acc %.2f%%%@ %.1f s %.0f samples/s\u{1B}[K",
      epoch, epochs, bar, batch, batches, loss, 100 * accuracy, rankText, seconds, samplesPerSecond)
    FileHandle.standardOutput.write(Data(line.utf8))
  }

  func finish() {
    guard enabled else { return }
    FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
  }
}

/// The ranks of a run for printing: the Tucker convolutions' multilinear ranks as `20x1x5x5`,
/// then the matrix low-rank layers' ranks, joined by `separator` ("-" when there are none).
func rankText(_ ranks: [Int], _ tuckerRanks: [[Int]]?, separator: String) -> String {
  let tucker = (tuckerRanks ?? []).map { $0.map(String.init).joined(separator: "x") }
  let all = tucker + ranks.map(String.init)
  return all.isEmpty ? "-" : all.joined(separator: separator)
}

extension LowRankState {
  /// The ranks for printing, as ``rankText(_:_:separator:)`` gives them.
  var rankDescription: String { rankText(ranks, tuckers.isEmpty ? nil : tuckerRanks, separator: ", ") }
}

/// CPU model and core count, for result files.
func machineDescription() -> String {
  let cpu =
    (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("model name") }?
    .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
  return
    "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS \(BLASKernels.coreName) kernels"
}

/// The low-rank settings of an adaptive run beyond start and max rank, where they are not the
/// defaults: ", min rank 2, ceiling half, half-normal init".
func rankBoundsNote(_ c: TrainingConfiguration) -> String {
  let c = c.normalized
  var notes: [String] = []
  if c.minRank != 1 { notes.append("min rank \(c.minRank!)") }
  if c.rankCeiling != .full { notes.append("ceiling \(c.rankCeiling!.rawValue)") }
  if c.initialization != .spectral { notes.append("\(c.initialization!.rawValue) init") }
  return notes.isEmpty ? "" : ", " + notes.joined(separator: ", ")
}
