import ArgumentParser
import Foundation
import LowRankNN
import MatrixManifold

/// One measured configuration of `dlrt timing`.
struct TimingRow: Codable {
  /// `dense` or `fixed`.
  var mode: String
  /// The rank of the hidden layers (nil for dense).
  var rank: Int?
  /// Median seconds of one training step (both passes, the factorisations, the optimizer).
  var trainSecondsPerBatch: Double
  /// Parts each training batch was split into (`dlrt train`'s default for the configuration
  /// unless `--[no-]split-batch`; absent in files of earlier versions, which did not split).
  var batchParts: Int? = nil
  /// Median seconds of one forward pass (prediction) on a batch.
  var predictSecondsPerBatch: Double
  /// `trainSecondsPerBatch` times the batches of one epoch of `epochSamples` samples.
  var trainSecondsPerEpoch: Double
  /// Parameters needed for evaluation.
  var parameters: Int
}

/// The result file of `dlrt timing`.
struct TimingRecord: Codable {
  var architecture: [Int]
  var batchSize: Int
  var batches: Int
  var warmup: Int
  var epochSamples: Int
  var threads: Int
  var seed: UInt64
  var machine: String
  var date: String
  var rows: [TimingRow]

  static let fileDescription = "a result file of `dlrt timing --out`"
}

/// `dlrt timing`: seconds per batch of fixed-rank DLRT over a sweep of ranks, beside dense
/// training, on generated inputs (timings do not depend on the data).
struct Timing: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Time training steps and predictions of fixed-rank DLRT against the rank, and of dense training.",
    discussion:
      "Each configuration runs --warmup steps, then --batches timed steps on random inputs (uniform pixels, "
      + "cycling labels), and reports the median. A training step is one fixed-rank BUG step: two forward/"
      + "backward passes, the QR factorisations and the optimizer. Expect linear growth in the rank. "
      + "Training steps use the threads as `dlrt train` does (the batch split for fixed rank, not for "
      + "dense); a prediction is one forward pass with all threads inside OpenBLAS.")

  @Option(help: "Layer widths, input to classes.")
  var arch = "784-500-500-500-500-10"

  @Option(parsing: .upToNextOption, help: "Ranks of the hidden layers.")
  var ranks: [Int] = [5, 10, 20, 40, 80, 160]

  @Option(help: "Batch size.")
  var batch = 256

  @Option(help: "Timed steps per configuration (the median is reported).")
  var batches = 20

  @Option(help: "Untimed steps before timing.")
  var warmup = 3

  @Option(help: "Samples of one epoch, for the seconds-per-epoch column (MNIST: 60 000).")
  var epochSamples = 60_000

  @OptionGroup var parallelism: ThreadOptions

  @Option(help: "Seed of weights and inputs.")
  var seed: UInt64 = 1

  @Option(help: "Write <out>.json and <out>.csv.")
  var out: String?

  @Option(help: "Draw train and predict time against the rank into this SVG file.")
  var plot: String?

  @Option(
    help: "Replace the '<!-- BEGIN <marker> -->' … '<!-- END <marker> -->' region of this Markdown file.")
  var updateDoc: String?

  @Option(help: "Marker name of the region that --update-doc replaces.")
  var marker = "timing"

  /// The widths of `--arch`, which must be a valid fully-connected architecture.
  func widths() throws -> [Int] {
    let architecture: Architecture
    do {
      architecture = try Architecture(parsing: arch)
      try architecture.validate()
    } catch { throw ValidationError("--arch: \(error)") }
    guard case .fullyConnected(let widths) = architecture else {
      throw ValidationError("--arch must be widths joined by '-', such as 784-500-10; got \(arch)")
    }
    return widths
  }

  func validate() throws {
    let widths = try widths()
    let largest = largestRank(of: .fullyConnected(widths))
    guard !ranks.isEmpty, ranks.allSatisfy({ $0 >= 1 }) else {
      throw ValidationError("--ranks must be positive")
    }
    guard widths.count >= 3 else { throw ValidationError("--arch needs a hidden layer to factorise") }
    if let r = ranks.first(where: { $0 > largest }) {
      throw ValidationError("rank \(r) exceeds the largest hidden layer's min(in, out) = \(largest)")
    }
    guard batch >= 1, batches >= 1, warmup >= 0, epochSamples >= 1 else {
      throw ValidationError("--batch, --batches and --epoch-samples must be positive, --warmup ≥ 0")
    }
  }

  func run() throws {
    let threads = parallelism.threads
    let widths = try widths()
    var generator = SplitMix64(seed: seed)
    let x = Matrix<Float>.uniform(rows: widths[0], columns: batch, in: 0...1, using: &generator)
    let labels = (0..<batch).map { $0 % widths.last! }
    print("timing \(arch), batch \(batch), median of \(batches) steps after \(warmup), \(threads) threads")
    var rows: [TimingRow] = []
    for rank in [nil] + ranks.map(Optional.some) {
      var c = TrainingConfiguration()
      c.architecture = .fullyConnected(widths)
      c.mode = rank == nil ? .dense : .fixed
      c.startRank = rank ?? 1
      c.maxRank = max(c.startRank, c.maxRank)
      (c.optimizer, c.learningRate, c.batchSize, c.seed) = (.sgd, 1e-3, batch, seed)
      parallelism.apply(for: c)
      var trainer = try Trainer<Float>(configuration: c)
      trainer.batchParts = parallelism.batchParts(for: c)
      var trainTimes: [Double] = []
      for i in 0..<(warmup + batches) {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try trainer.step(features: x, labels: labels)
        if i >= warmup { trainTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
      }
      BLASThreads.set(threads)
      var predictTimes: [Double] = []
      for i in 0..<(warmup + batches) {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = trainer.network.logits(features: x, state: trainer.state)
        if i >= warmup { predictTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
      }
      let train = median(trainTimes)
      let row = TimingRow(
        mode: c.mode.rawValue, rank: rank, trainSecondsPerBatch: train, batchParts: trainer.batchParts,
        predictSecondsPerBatch: median(predictTimes),
        trainSecondsPerEpoch: train * Double((epochSamples + batch - 1) / batch),
        parameters: trainer.parameterCounts.evaluation)
      rows.append(row)
      print(
        String(
          format: "%@  train %.2f ms/batch  predict %.2f ms/batch  %.1f s/epoch",
          rank.map { "rank \($0)" } ?? "dense",
          1e3 * row.trainSecondsPerBatch, 1e3 * row.predictSecondsPerBatch, row.trainSecondsPerEpoch))
      fflush(nil)
    }
    let record = TimingRecord(
      architecture: widths, batchSize: batch, batches: batches, warmup: warmup, epochSamples: epochSamples,
      threads: threads, seed: seed, machine: machineDescription(),
      date: ISO8601DateFormatter().string(from: Date()),
      rows: rows)
    let table = Self.table(record)
    print(table, terminator: "")
    if let out { try Self.write(record, prefix: out) }
    if let plot { try ResultFiles.writeAtomically(Data(Self.plot(record).render().utf8), to: plot) }
    if let updateDoc { try replaceRegion(in: updateDoc, marker: marker, with: table) }
  }

  private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  }

  /// The Markdown table, and a least-squares line through the fixed-rank training times.
  static func table(_ record: TimingRecord) -> String {
    let dense = record.rows.first { $0.rank == nil }
    var text =
      "Measured \(record.date.prefix(10)) on \(record.machine), \(record.threads) threads: "
      + "\(record.architecture.map(String.init).joined(separator: "-")), batch \(record.batchSize), "
      + "median of \(record.batches) steps.\n\n"
    text +=
      "| mode | rank | batch parts | train ms/batch | train / dense | predict ms/batch | train s/epoch | parameters |\n"
    text += "|---|--:|--:|--:|--:|--:|--:|--:|\n"
    for row in record.rows {
      let ratio =
        dense.map { String(format: "%.2f", row.trainSecondsPerBatch / $0.trainSecondsPerBatch) } ?? "-"
      text +=
        "| \(row.mode) | \(row.rank.map(String.init) ?? "-") | \(row.batchParts ?? 1) | "
        + "\(String(format: "%.2f", 1e3 * row.trainSecondsPerBatch)) | "
        + "\(ratio) | \(String(format: "%.2f", 1e3 * row.predictSecondsPerBatch)) | "
        + "\(String(format: "%.1f", row.trainSecondsPerEpoch)) | \(row.parameters) |\n"
    }
    let fixed = record.rows.compactMap { row in row.rank.map { (Double($0), 1e3 * row.trainSecondsPerBatch) }
    }
    if fixed.count >= 3 {
      let (a, b, r2) = linearFit(fixed)
      text +=
        "\nLeast-squares line through the fixed-rank training times: "
        + String(format: "%.2f ms + %.3f ms × r (R² = %.3f).\n", a, b, r2)
    }
    return text
  }

  /// `y ≈ a + b·x` by least squares, with the coefficient of determination R².
  static func linearFit(_ points: [(Double, Double)]) -> (a: Double, b: Double, r2: Double) {
    let n = Double(points.count)
    let mx = points.map(\.0).reduce(0, +) / n, my = points.map(\.1).reduce(0, +) / n
    let sxy = points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
    let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
    let syy = points.map { ($0.1 - my) * ($0.1 - my) }.reduce(0, +)
    let b = sxx > 0 ? sxy / sxx : 0
    return (my - b * mx, b, syy > 0 ? (sxy * sxy) / (sxx * syy) : 1)
  }

  /// Train and predict milliseconds per batch against the rank; dense as flat lines.
  static func plot(_ record: TimingRecord) -> SVGPlot {
    var plot = SVGPlot(
      title: "Time per batch of \(record.batchSize) against the rank", xLabel: "rank r of the hidden layers",
      yLabel: "milliseconds per batch")
    let fixed = record.rows.filter { $0.rank != nil }
    plot.series.append(
      .init(
        label: "train, fixed rank", points: fixed.map { (Double($0.rank!), 1e3 * $0.trainSecondsPerBatch) }))
    plot.series.append(
      .init(
        label: "predict, fixed rank",
        points: fixed.map { (Double($0.rank!), 1e3 * $0.predictSecondsPerBatch) }))
    if let dense = record.rows.first(where: { $0.rank == nil }), let lo = fixed.first?.rank,
      let hi = fixed.last?.rank
    {
      plot.series.append(
        .init(
          label: "train, dense",
          points: [
            (Double(lo), 1e3 * dense.trainSecondsPerBatch), (Double(hi), 1e3 * dense.trainSecondsPerBatch),
          ]))
      plot.series.append(
        .init(
          label: "predict, dense",
          points: [
            (Double(lo), 1e3 * dense.predictSecondsPerBatch),
            (Double(hi), 1e3 * dense.predictSecondsPerBatch),
          ]
        ))
    }
    return plot
  }

  static func write(_ record: TimingRecord, prefix: String) throws {
    try ResultFiles.writeJSON(record, to: prefix + ".json")
    var csv =
      "mode,rank,train_seconds_per_batch,predict_seconds_per_batch,train_seconds_per_epoch,parameters\n"
    for r in record.rows {
      csv +=
        "\(r.mode),\(r.rank.map(String.init) ?? ""),\(r.trainSecondsPerBatch),\(r.predictSecondsPerBatch),\(r.trainSecondsPerEpoch),\(r.parameters)\n"
    }
    try ResultFiles.writeAtomically(Data(csv.utf8), to: prefix + ".csv")
  }
}
