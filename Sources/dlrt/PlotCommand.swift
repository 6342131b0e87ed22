import ArgumentParser
import Foundation

/// `dlrt plot`: SVG figures from result files of `dlrt train --out` and `dlrt timing --out`.
struct Plot: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw SVG figures from result files (training runs and timings).",
    discussion: """
      From training results (<out>.json of `dlrt train`): <name>-loss.svg (training loss over the epochs), \
      <name>-accuracy.svg (test accuracy per epoch), <name>-ranks-<run>.svg (rank of every low-rank layer over \
      training, one figure per rank-adaptive run) and, for two runs or more, \
      <name>-accuracy-vs-compression.svg (final test accuracy against the compression at evaluation). \
      From a timing result (`dlrt timing --out`): <name>-timing.svg.
      """)

  @Argument(help: "Result files (.json) of `dlrt train --out` or `dlrt timing --out`.")
  var files: [String]

  @Option(help: "Directory of the figures.")
  var outDir = "results/plots"

  @Option(help: "Prefix of the figure names (default: the first file's name without .json).")
  var name: String?

  func run() throws {
    var runs: [(file: String, record: RunRecord)] = []
    var timings: [TimingRecord] = []
    for file in files {
      let data = try ResultFiles.contents(of: file)
      if let timing = try? ResultFiles.decode(
        TimingRecord.self, from: data, path: file, expected: TimingRecord.fileDescription)
      {
        timings.append(timing)
      } else {
        let expected = "\(RunRecord.fileDescription) or of `dlrt timing --out`"
        runs.append(
          (file, try ResultFiles.decode(RunRecord.self, from: data, path: file, expected: expected)))
      }
    }
    let prefix = name ?? URL(fileURLWithPath: files[0]).deletingPathExtension().lastPathComponent
    var figures: [(String, SVGPlot)] = []
    if !runs.isEmpty { figures += Self.trainingFigures(runs, prefix: prefix) }
    for (i, timing) in timings.enumerated() {
      figures.append(("\(prefix)-timing\(timings.count > 1 ? "-\(i + 1)" : "").svg", Timing.plot(timing)))
    }
    for (fileName, plot) in figures {
      let path = URL(fileURLWithPath: outDir).appendingPathComponent(fileName).path
      try ResultFiles.writeAtomically(Data(plot.render().utf8), to: path)
      print("wrote \(path)")
    }
  }

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("give at least one result file") }
  }

  /// Loss, accuracy, ranks per run and, for several runs, accuracy against compression.
  static func trainingFigures(_ runs: [(file: String, record: RunRecord)], prefix: String) -> [(
    String, SVGPlot
  )] {
    let labels = uniqueLabels(runs.map(\.record))
    var loss = SVGPlot(title: "Training loss", xLabel: "epoch", yLabel: "cross-entropy", logY: true)
    var accuracy = SVGPlot(title: "Test accuracy", xLabel: "epoch", yLabel: "test accuracy (%)")
    var figures: [(String, SVGPlot)] = []
    for ((file, record), label) in zip(runs, labels) {
      let perEpoch = Double(max(1, record.batchesPerEpoch))
      if let trace = record.trace, trace.count > 1 {
        loss.series.append(.init(label: label, points: trace.map { (Double($0.step) / perEpoch, $0.loss) }))
      } else {
        loss.series.append(
          .init(label: label, points: record.epochs.map { (Double($0.epoch), $0.trainLoss) }))
      }
      accuracy.series.append(
        .init(label: label, points: record.epochs.map { (Double($0.epoch), 100 * $0.testAccuracy) }))
      let trace = record.trace ?? []
      let layerRanks: [(Double, [Int])] =
        trace.isEmpty
        ? record.epochs.map { (Double($0.epoch), $0.ranks) }
        : trace.map { (Double($0.step) / perEpoch, $0.ranks) }
      let layers = layerRanks.first?.1.count ?? 0
      // Fixed-rank and vanilla runs keep their ranks: nothing to draw.
      if layers > 0, record.configuration.mode == .adaptive {
        var ranks = SVGPlot(title: "Ranks, \(label)", xLabel: "epoch", yLabel: "rank")
        for l in 0..<layers {
          ranks.series.append(
            .init(label: "low-rank layer \(l + 1)", points: layerRanks.map { ($0.0, Double($0.1[l])) }))
        }
        let run = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        figures.append(("\(prefix)-ranks-\(run).svg", ranks))
      }
    }
    figures.insert(contentsOf: [("\(prefix)-loss.svg", loss), ("\(prefix)-accuracy.svg", accuracy)], at: 0)
    if runs.count >= 2 {
      var tradeoff = SVGPlot(
        title: "Accuracy against compression", xLabel: "compression at evaluation (%)",
        yLabel: "final test accuracy (%)")
      var byMode: [(String, [(x: Double, y: Double)])] = []
      for (_, record) in runs {
        guard let last = record.epochs.last else { continue }
        let point = (x: 100 * last.evaluationCompression, y: 100 * last.testAccuracy)
        let mode = record.configuration.mode.rawValue
        if let i = byMode.firstIndex(where: { $0.0 == mode }) {
          byMode[i].1.append(point)
        } else {
          byMode.append((mode, [point]))
        }
      }
      tradeoff.series = byMode.map { .init(label: $0.0, points: $0.1.sorted { $0.x < $1.x }) }
      figures.append(("\(prefix)-accuracy-vs-compression.svg", tradeoff))
    }
    return figures
  }

  /// Run labels, with the seed added where several runs share a label.
  static func uniqueLabels(_ records: [RunRecord]) -> [String] {
    let labels = records.map(\.label)
    return zip(records, labels).map { record, label in
      labels.filter { $0 == label }.count > 1 ? "\(label) seed \(record.configuration.seed)" : label
    }
  }
}
