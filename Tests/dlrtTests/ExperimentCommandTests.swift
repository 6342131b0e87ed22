import ArgumentParser
import Datasets
import Foundation
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

@testable import dlrt

/// The commands behind the experiment targets: `timing`, `plot`, `summarize` over modes and ranks,
/// and the generated data set they fall back on.
@Suite struct ExperimentCommandTests {
  func train(_ out: String, _ extra: [String]) throws {
    var command = try DLRT.parseAsRoot(
      [
        "train", "--dataset", "synthetic", "--train-samples", "300", "--arch", "784-32-32-10", "--batch",
        "50",
        "--epochs", "2", "--threads", "1", "--quiet", "--out", out,
      ] + extra)
    try command.run()
  }

  /// One timing row per configuration with the parameter counts of the reference definitions,
  /// a table in the marked region of a document, a figure with one line per series.
  @Test func timingWritesRowsTableAndFigure() throws {
    let dir = try temporaryDirectory("dlrt-exp")
    defer { try? FileManager.default.removeItem(at: dir) }
    let doc = dir.appendingPathComponent("doc.md").path
    try "before\n<!-- BEGIN timing -->\nold\n<!-- END timing -->\nafter\n".write(
      toFile: doc, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("timing").path
    let plot = dir.appendingPathComponent("timing.svg").path
    var command = try DLRT.parseAsRoot([
      "timing", "--arch", "64-32-32-10", "--ranks", "2", "4", "8", "--batch", "16", "--batches", "2",
      "--warmup",
      "1", "--threads", "1", "--out", out, "--plot", plot, "--update-doc", doc,
    ])
    try command.run()
    let record = try ResultFiles.read(TimingRecord.self, from: out + ".json", expected: "timing")
    #expect(record.rows.map(\.rank) == [nil, 2, 4, 8])
    // Evaluation parameters: r·(in + out) per low-rank layer, the 32×10 classifier dense.
    #expect(
      record.rows.map(\.parameters) == [64 * 32 + 32 * 32 + 320] + [2, 4, 8].map { $0 * (96 + 64) + 320 })
    #expect(record.rows.allSatisfy { $0.trainSecondsPerBatch > 0 && $0.predictSecondsPerBatch > 0 })
    let text = try String(contentsOfFile: doc, encoding: .utf8)
    #expect(text.hasPrefix("before\n") && text.hasSuffix("after\n") && !text.contains("old"))
    #expect(text.contains("| fixed | 8 |") && text.contains("Least-squares line"))
    let svg = try String(contentsOfFile: plot, encoding: .utf8)
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
    #expect(record.rows.map(\.batchParts) == [1, 1, 1, 1])
    // Two threads split the fixed-rank training batches as `dlrt train` does, not the dense ones.
    var twoThreads = try DLRT.parseAsRoot([
      "timing", "--arch", "64-32-32-10", "--ranks", "2", "4", "--batch", "16", "--batches", "2", "--warmup",
      "1",
      "--threads", "2", "--out", out,
    ])
    try twoThreads.run()
    let split = try ResultFiles.read(TimingRecord.self, from: out + ".json", expected: "timing")
    #expect(split.rows.map(\.batchParts) == [1, 2, 2] && split.threads == 2)

    for bad in [
      ["timing", "--arch", "64-32-10", "--ranks", "33"], ["timing", "--arch", "64-10"],
      ["timing", "--batches", "0"],
    ] {
      #expect(throws: (any Error).self, "\(bad)") { _ = try DLRT.parseAsRoot(bad) }
    }
  }

  /// Runs that differ in mode or rank are separate rows; seeds of one setting are one row.
  /// Plots: loss, accuracy, one rank figure per low-rank run, accuracy against compression.
  @Test func summarizeAndPlotTrainingRuns() throws {
    let dir = try temporaryDirectory("dlrt-exp")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    try train(path("dense"), ["--mode", "dense"])
    try train(
      path("adaptive"), ["--mode", "adaptive", "--tau", "0.2", "--start-rank", "8", "--max-rank", "16"])
    for (mode, rank, seed) in [("fixed", 4, 1), ("fixed", 8, 1), ("vanilla", 4, 1), ("vanilla", 4, 2)] {
      try train(
        path("\(mode)-r\(rank)-s\(seed)"),
        [
          "--mode", mode, "--start-rank", "\(rank)", "--optimizer", "sgd", "--lr", "0.05", "--seed",
          "\(seed)",
        ])
    }
    let files = ["dense", "adaptive", "fixed-r4-s1", "fixed-r8-s1", "vanilla-r4-s1", "vanilla-r4-s2"].map {
      path($0 + ".json")
    }
    let record = try ResultFiles.read(RunRecord.self, from: files[2], expected: "run")
    // 300 samples in batches of 50, two epochs: trace points after batch 1 and every 10 batches.
    #expect(record.trace?.map(\.step) == [1, 10])
    #expect(record.trace?.first?.ranks == [4, 4])

    let doc = path("doc.md")
    try "<!-- BEGIN t -->\n<!-- END t -->\n".write(toFile: doc, atomically: true, encoding: .utf8)
    var summarize = try DLRT.parseAsRoot(["summarize"] + files + ["--update-doc", doc, "--marker", "t"])
    try summarize.run()
    let rows = try String(contentsOfFile: doc, encoding: .utf8).split(separator: "\n").filter {
      $0.hasPrefix("| dense") || $0.hasPrefix("| fixed") || $0.hasPrefix("| vanilla")
        || $0.hasPrefix("| adaptive")
    }
    #expect(rows.count == 5, "\(rows)")
    #expect(rows.contains { $0.hasPrefix("| vanilla | - | 4 |") && $0.contains("| 2 |") })

    var plot = try DLRT.parseAsRoot(["plot"] + files + ["--out-dir", path("figures"), "--name", "fx"])
    try plot.run()
    let written = try FileManager.default.contentsOfDirectory(atPath: path("figures")).sorted()
    #expect(
      written == [
        "fx-accuracy-vs-compression.svg", "fx-accuracy.svg", "fx-loss.svg", "fx-ranks-adaptive.svg",
      ])
    let tradeoff = try String(contentsOfFile: path("figures/fx-accuracy-vs-compression.svg"), encoding: .utf8)
    for mode in ["dense", "adaptive", "fixed", "vanilla"] { #expect(tradeoff.contains(">\(mode)<")) }
    let ranks = try String(contentsOfFile: path("figures/fx-ranks-adaptive.svg"), encoding: .utf8)
    #expect(ranks.contains(">low-rank layer 1<") && ranks.contains(">low-rank layer 2<"))

    var notAResult = try DLRT.parseAsRoot(["plot", path("dense.csv")])
    #expect(throws: CLIError.self) { try notAResult.run() }
  }

  /// The generated stand-in: MNIST's shape, balanced labels, pixels in [0, 1], reproducible, and
  /// train and test draws that differ.
  @Test func syntheticImagesAreReproducibleAndMNISTShaped() {
    let a = SyntheticImages.generate(count: 50, split: .train)
    #expect(a == SyntheticImages.generate(count: 50, split: .train))
    #expect(a != SyntheticImages.generate(count: 50, split: .test))
    #expect(a.featureCount == 784 && a.classCount == 10 && a.imageShape == [28, 28])
    #expect((0..<10).allSatisfy { c in a.labels.filter { $0 == c }.count == 5 })
    #expect(a.images.elements.allSatisfy { (0...1).contains($0) })
  }

  /// Ticks: 1-2-5 steps giving about five intervals; a line fit recovers an exact line.
  @Test func plotTicksAndLineFit() {
    #expect(SVGPlot.niceStep(10) == 2)
    #expect(SVGPlot.niceStep(100) == 20)
    #expect(abs(SVGPlot.niceStep(0.3) - 0.05) < 1e-15)
    #expect(SVGPlot.niceStep(40) == 10)
    let fit = Timing.linearFit([(1, 5), (2, 7), (4, 11), (8, 19)])
    #expect(abs(fit.a - 3) < 1e-12 && abs(fit.b - 2) < 1e-12 && abs(fit.r2 - 1) < 1e-12)
  }

  /// Compressing a dense LeNet5 into Tucker convolutions: each kernel's ranks are those of an
  /// independent SVD of each of its unfoldings at τ (reduced where a rank exceeds the product of
  /// the others); τ = 0 keeps the accuracy; the Tucker ranks reach the record and the checkpoint.
  @Test func compressIntoTuckerConvolutions() throws {
    let dir = try temporaryDirectory("dlrt-exp")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    try train(
      path("dense"),
      [
        "--arch", "lenet5", "--mode", "dense", "--optimizer", "sgd", "--lr", "0.05", "--save",
        path("dense.dlrt"),
      ])
    let (network, state) = try Checkpoint.read(from: URL(fileURLWithPath: path("dense.dlrt"))).restore()
    let tau = 0.3
    var compress = try DLRT.parseAsRoot([
      "compress", "--dataset", "synthetic", "--train-samples", "300", "--model", path("dense.dlrt"), "--tau",
      "\(tau)", "--epochs", "1", "--finetune-epochs", "0", "--threads", "1", "--quiet", "--out", path("t"),
      "--save", path("t.dlrt"), "--convolutions", "tucker",
    ])
    try compress.run()
    let record = try ResultFiles.read(CompressRecord.self, from: path("t.json"), expected: "compress")
    let kernels = [0, 2].map { l in
      Tensor(
        reshaping: network.weights(of: state)[network.weightedLayers.firstIndex(of: l)!],
        dimensions: network.layers[l].kernelDimensions!)
    }
    let expected = try kernels.map { kernel -> [Int] in
      var ranks = try (0..<4).map { k -> Int in
        let sigma = try kernel.unfolding(mode: k).singularValues().map(Double.init)
        let total = sigma.reduce(0) { $0 + $1 * $1 }
        return (1...sigma.count).first { r in sigma[r...].reduce(0) { $0 + $1 * $1 } <= tau * tau * total }!
      }
      while let k = ranks.indices.first(where: { ranks[$0] * ranks[$0] > ranks.reduce(1, *) }) {
        ranks[k] = ranks.reduce(1, *) / ranks[k]
      }
      return ranks
    }
    #expect(record.truncatedTuckerRanks == expected)
    #expect(record.truncatedRanks.count == 1 && record.finalTuckerRanks?.count == 2)
    // No fine-tuning: the adaptive phase's ranks are the final ones.
    #expect(
      record.adaptiveTuckerRanks == record.finalTuckerRanks && record.adaptiveRanks == record.finalRanks)
    let saved = try Checkpoint.read(from: URL(fileURLWithPath: path("t.dlrt")))
    #expect(saved.configuration.convolutions == .tucker && saved.tuckers?.count == 2)
    #expect(try saved.restore().state.tuckerRanks == record.finalTuckerRanks)

    var lossless = try DLRT.parseAsRoot([
      "compress", "--dataset", "synthetic", "--model", path("dense.dlrt"), "--tau", "0", "--epochs", "0",
      "--finetune-epochs", "0", "--threads", "1", "--out", path("lossless"), "--convolutions", "tucker",
    ])
    try lossless.run()
    let exact = try ResultFiles.read(CompressRecord.self, from: path("lossless.json"), expected: "compress")
    #expect(
      exact.truncatedTuckerRanks == [[20, 1, 5, 5], [50, 20, 5, 5]] && exact.adaptiveTuckerRanks == nil)
    #expect(abs(exact.truncatedAccuracy - exact.originalAccuracy) <= 1.0 / 2000)
  }

  /// Compressing a dense model: the truncated ranks are those of an independent SVD of each
  /// hidden weight at τ; τ = 0 keeps the accuracy; frozen-bases fine-tuning keeps the ranks; the
  /// stages land in a table.
  @Test func compressTruncatesTrainsAndFineTunes() throws {
    let dir = try temporaryDirectory("dlrt-exp")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    try train(
      path("dense"), ["--mode", "dense", "--optimizer", "adam", "--lr", "0.01", "--save", path("dense.dlrt")])
    let tau = 0.3
    var compress = try DLRT.parseAsRoot([
      "compress", "--dataset", "synthetic", "--train-samples", "300", "--model", path("dense.dlrt"), "--tau",
      "\(tau)", "--epochs", "1", "--finetune-epochs", "1", "--threads", "1", "--quiet", "--out", path("c"),
      "--save", path("c.dlrt"),
    ])
    try compress.run()
    let record = try ResultFiles.read(CompressRecord.self, from: path("c.json"), expected: "compress")
    let (network, state) = try Checkpoint.read(from: URL(fileURLWithPath: path("dense.dlrt"))).restore()
    let weights = network.weights(of: state)
    let expected = try weights.dropLast().map { w -> Int in
      let sigma = try w.singularValues().map(Double.init)
      let total = sigma.reduce(0) { $0 + $1 * $1 }
      return (1...sigma.count).first { r in sigma[r...].reduce(0) { $0 + $1 * $1 } <= tau * tau * total }!
    }
    #expect(record.truncatedRanks == expected)
    #expect(record.adaptiveRanks == record.finalRanks)
    let finetune = try ResultFiles.read(RunRecord.self, from: path("c-finetune.json"), expected: "run")
    #expect(finetune.configuration.mode == .frozen && finetune.epochs.count == 1)
    let saved = try Checkpoint.read(from: URL(fileURLWithPath: path("c.dlrt")))
    #expect(saved.testAccuracy == record.finalAccuracy && saved.blocks.count == 2)

    var lossless = try DLRT.parseAsRoot([
      "compress", "--dataset", "synthetic", "--model", path("dense.dlrt"), "--tau", "0", "--epochs", "0",
      "--finetune-epochs", "0", "--threads", "1", "--out", path("lossless"),
    ])
    try lossless.run()
    let exact = try ResultFiles.read(CompressRecord.self, from: path("lossless.json"), expected: "compress")
    #expect(exact.truncatedRanks == [32, 32])
    #expect(abs(exact.truncatedAccuracy - exact.originalAccuracy) <= 1.0 / 2000)

    let doc = path("doc.md")
    try "<!-- BEGIN c -->\n<!-- END c -->\n".write(toFile: doc, atomically: true, encoding: .utf8)
    var summarize = try DLRT.parseAsRoot([
      "summarize", path("c.json"), path("lossless.json"), "--update-doc", doc, "--marker", "c",
    ])
    try summarize.run()
    let table = try String(contentsOfFile: doc, encoding: .utf8)
    #expect(table.contains("| 0.0 |") && table.contains("| 0.3 |") && table.contains("fine-tuned"))

    var missing = try DLRT.parseAsRoot([
      "compress", "--model", path("none.dlrt"), "--tau", "0.1", "--threads", "1",
    ])
    #expect(throws: TrainingError.self) { try missing.run() }
    #expect(throws: (any Error).self) {
      _ = try DLRT.parseAsRoot(["compress", "--model", "m", "--tau", "1.5"])
    }
  }
}
