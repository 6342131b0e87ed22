import ArgumentParser
import Datasets
import Foundation
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

@testable import dlrt

/// Writes ``SyntheticImages`` (learnable, sparse like MNIST) as IDX files in Fashion-MNIST's
/// file names (no checksums), so the commands read them through the real file path.
func writeSyntheticDataset(to dir: URL, train: Int = 600, test: Int = 200) throws {
  func write(_ prefix: String, _ data: LabeledImages) throws {
    let pixels = data.images.elements.map { UInt8(($0 * 255).rounded()) }
    try IDXFile(dimensions: [data.count, 28, 28], bytes: pixels).write(
      to: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
    try IDXFile(dimensions: [data.count], bytes: data.labels.map(UInt8.init)).write(
      to: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
  }
  try write("train", SyntheticImages.generate(count: train, split: .train))
  try write("t10k", SyntheticImages.generate(count: test, split: .test))
}

@Suite struct TrainCommandTests {
  /// `--validation-samples N` holds out the last N training samples: the record says so and has
  /// a validation accuracy per epoch, which an independent evaluation of the saved checkpoint on
  /// those samples reproduces for the last epoch; the best validation epoch is the last of the
  /// highest, and `summarize` adds its test accuracy as a column. Too many or no samples are errors.
  @Test func validationHoldOut() throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir, train: 300, test: 60)
    let out = dir.appendingPathComponent("run").path
    let model = dir.appendingPathComponent("run.dlrt").path
    var command = try DLRT.parseAsRoot(
      arguments(dir, ["--epochs", "3", "--validation-samples", "100", "--out", out, "--save", model]))
    try command.run()
    let record = try ResultFiles.read(RunRecord.self, from: out + ".json", expected: "run")
    #expect(record.trainSamples == 200 && record.validationSamples == 100)
    let accuracies = record.epochs.map(\.validationAccuracy)
    #expect(accuracies.allSatisfy { $0 != nil })
    let top = accuracies.compactMap { $0 }.max()!
    #expect(record.bestValidationEpoch?.epoch == record.epochs.last { $0.validationAccuracy == top }?.epoch)

    let all = try FashionMNIST.load(from: dir, split: .train)
    let held = all.subset(Array(200..<300))
    let (network, state) = try Checkpoint.read(from: URL(fileURLWithPath: model)).restore()
    #expect(
      network.accuracy(features: held.images, labels: held.labels, state: state)
        == record.epochs.last!.validationAccuracy)

    let doc = dir.appendingPathComponent("doc.md").path
    try "<!-- BEGIN v -->\n<!-- END v -->\n".write(toFile: doc, atomically: true, encoding: .utf8)
    var summarize = try DLRT.parseAsRoot(["summarize", out + ".json", "--update-doc", doc, "--marker", "v"])
    try summarize.run()
    let table = try String(contentsOfFile: doc, encoding: .utf8)
    let best = String(format: "%.2f", 100 * record.bestValidationEpoch!.testAccuracy)
    #expect(table.contains("test at best validation (%)") && table.contains("| \(best) | "))

    for bad in ["300", "0"] {
      #expect(throws: (any Error).self) {
        var c = try DLRT.parseAsRoot(arguments(dir, ["--epochs", "1", "--validation-samples", bad]))
        try c.run()
      }
    }
  }

  /// An `--out` or `--save` that cannot be written stops `train` and `compress` before any work,
  /// with an error naming the path, and leaves the other output unwritten.
  @Test func unwritableOutputFailsBeforeTraining() throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir, train: 100, test: 20)
    let blocker = dir.appendingPathComponent("plain-file")
    try Data("x".utf8).write(to: blocker)
    let model = dir.appendingPathComponent("run.dlrt").path
    let out = dir.appendingPathComponent("run").path
    let bad: [(arguments: [String], message: String)] = [
      // The results' directory would be inside a plain file.
      (["--out", blocker.appendingPathComponent("run").path, "--save", model], blocker.path),
      (["--out", out, "--save", dir.path], "\(dir.path): it is a directory"),
    ]
    for (extra, message) in bad {
      let error = #expect(throws: CLIError.self) {
        var c = try DLRT.parseAsRoot(arguments(dir, ["--epochs", "1"] + extra))
        try c.run()
      }
      #expect(error?.description.contains(message) == true, "\(String(describing: error))")
      for written in [model, out + ".json"] { #expect(!FileManager.default.fileExists(atPath: written)) }
    }
    let error = #expect(throws: CLIError.self) {
      var c = try DLRT.parseAsRoot([
        "compress", "--model", model, "--tau", "0.1", "--save", blocker.appendingPathComponent("m.dlrt").path,
      ])
      try c.run()
    }
    #expect(error?.description.contains(blocker.path) == true)  // before reading the missing model
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.hasPrefix(".dlrt")
    }
    #expect(leftovers.isEmpty)
  }

  /// `--skip-complete` leaves a finished run's file alone (not even rewritten), and trains when
  /// the file holds fewer epochs or another configuration.
  @Test func skipCompleteResumesOnlyUnfinishedRuns() throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir, train: 100, test: 20)
    let out = dir.appendingPathComponent("run").path
    func train(_ extra: [String]) throws -> Data {
      var command = try DLRT.parseAsRoot(arguments(dir, ["--out", out, "--skip-complete"] + extra))
      try command.run()
      return try Data(contentsOf: URL(fileURLWithPath: out + ".json"))
    }
    func epochs(_ data: Data) throws -> Int {
      try JSONDecoder().decode(RunRecord.self, from: data).epochs.count
    }
    let first = try train(["--epochs", "1"])
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSince1970: 0)], ofItemAtPath: out + ".json")
    #expect(try train(["--epochs", "1"]) == first)
    let untouched =
      try FileManager.default.attributesOfItem(atPath: out + ".json")[.modificationDate] as? Date
    #expect(untouched == Date(timeIntervalSince1970: 0))
    #expect(try epochs(train(["--epochs", "2"])) == 2)
    let reseeded = try JSONDecoder().decode(RunRecord.self, from: train(["--epochs", "2", "--seed", "9"]))
    #expect(reseeded.configuration.seed == 9 && reseeded.epochs.count == 2)
    // A file of an earlier version, without the settings added since (nil: their defaults then),
    // is the same run.
    var old = reseeded
    (old.configuration.optimizerState, old.configuration.convolutions, old.configuration.singlePass) = (
      nil, nil, nil
    )
    (old.configuration.minRank, old.configuration.rankCeiling, old.configuration.initialization) = (
      nil, nil, nil
    )
    try ResultFiles.writeJSON(old, to: out + ".json")
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSince1970: 0)], ofItemAtPath: out + ".json")
    _ = try train(["--epochs", "2", "--seed", "9"])
    let kept = try FileManager.default.attributesOfItem(atPath: out + ".json")[.modificationDate] as? Date
    #expect(kept == Date(timeIntervalSince1970: 0))
  }

  func arguments(_ dir: URL, _ extra: [String]) -> [String] {
    [
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "784-64-32-10", "--start-rank",
      "8",
      "--max-rank", "32", "--batch", "50", "--optimizer", "adam", "--lr", "0.01", "--threads", "1", "--quiet",
    ] + extra
  }

  /// The default split of the batch over the threads: every network but a dense fully-connected
  /// one (which then has all threads inside OpenBLAS); `--split-batch` and `--no-split-batch`
  /// decide for all; one thread is one part either way.
  @Test func threadsSplitTheBatchUnlessTheNetworkIsDenseAndFullyConnected() throws {
    func configuration(_ mode: TrainingConfiguration.Mode, _ architecture: Architecture)
      -> TrainingConfiguration
    {
      var c = TrainingConfiguration()
      (c.mode, c.architecture) = (mode, architecture)
      return c
    }
    let cases: [(TrainingConfiguration, Int)] = [
      (configuration(.dense, [784, 500, 10]), 1), (configuration(.adaptive, [784, 500, 10]), 2),
      (configuration(.fixed, [784, 500, 10]), 2), (configuration(.dense, .lenet5), 2),
      (configuration(.adaptive, .lenet5), 2),
    ]
    for (c, parts) in cases {
      let options = try ThreadOptions.parse(["--threads", "2"])
      #expect(options.batchParts(for: c) == parts, "\(c.mode) \(c.architecture)")
      #expect(try ThreadOptions.parse(["--threads", "2", "--split-batch"]).batchParts(for: c) == 2)
      #expect(try ThreadOptions.parse(["--threads", "2", "--no-split-batch"]).batchParts(for: c) == 1)
      #expect(try ThreadOptions.parse(["--threads", "1"]).batchParts(for: c) == 1)
    }
  }

  /// A short adaptive run on learnable data (two passes per batch on one thread; `--single-pass`;
  /// that with two threads, the batch split over them by default; with `--no-split-batch`; and
  /// with the reference implementation's rank bounds and initialisation): ≥ 90% test accuracy
  /// (chance 10%), result files with the configuration, seed, batch parts and the epochs'
  /// product work, and a checkpoint that `evaluate` reloads to the same accuracy.
  @Test(arguments: [
    (false, [String]()), (true, []), (true, ["--threads", "2"]),
    (true, ["--threads", "2", "--no-split-batch"]),
    (true, ["--min-rank", "2", "--rank-ceiling", "half", "--initialization", "half-normal"]),
  ])
  func trainWritesResultsAndCheckpointThatReproduces(singlePass: Bool, threads: [String]) throws {
    let reference = threads.contains("--rank-ceiling")
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir)
    let out = dir.appendingPathComponent("results/run").path
    let model = dir.appendingPathComponent("model.dlrt").path
    var command = try DLRT.parseAsRoot(
      arguments(
        dir,
        ["--epochs", "6", "--seed", "5", "--out", out, "--save", model]
          + (singlePass ? ["--single-pass"] : []) + threads))
    try command.run()
    let record = try JSONDecoder().decode(
      RunRecord.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".json")))
    #expect(record.configuration.seed == 5 && record.configuration.mode == .adaptive)
    #expect(record.configuration.singlePass == singlePass)
    #expect(record.threads == (threads.isEmpty || reference ? 1 : 2))
    #expect(record.batchParts == (threads.count == 2 ? 2 : 1))
    let c = record.configuration
    #expect(
      (c.minRank, c.rankCeiling, c.initialization)
        == (reference ? (2, .half, .halfNormal) : (1, .full, .spectral)))
    #expect(record.epochs.count == 6)
    let last = try #require(record.epochs.last)
    #expect(last.testAccuracy >= 0.9, "test accuracy \(last.testAccuracy)")
    #expect(last.ranks.count == 2 && last.ranks.allSatisfy { (1...32).contains($0) })
    if reference { #expect(last.ranks[0] <= 32 && last.ranks[1] <= 16 && last.ranks.allSatisfy { $0 >= 2 }) }
    let csv = try String(contentsOfFile: out + ".csv", encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 7)
    // The epoch's product work (parallel tests add to the process-wide count, never take away).
    let work = try #require(last.productOperations)
    #expect(work > 0 && csv.hasSuffix(",\(Double(work) / 1e9)\n"))

    let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model))
    #expect(checkpoint.testAccuracy == last.testAccuracy)
    let (network, state) = try checkpoint.restore()
    let test = try FashionMNIST.load(from: dir, split: .test)
    let trainer = try Trainer<Float>(configuration: checkpoint.configuration, network: network, state: state)
    #expect(trainer.accuracy(features: test.images, labels: test.labels) == last.testAccuracy)
    var evaluate = try DLRT.parseAsRoot([
      "evaluate", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--model", model, "--threads", "1",
    ])
    try evaluate.run()
    var summarize = try DLRT.parseAsRoot(["summarize", out + ".json"])
    try summarize.run()
    var notAResult = try DLRT.parseAsRoot(["summarize", out + ".csv"])
    #expect(throws: CLIError.self) { try notAResult.run() }
  }

  /// `--arch lenet5`: the configuration in the result file and checkpoint names LeNet5, the two
  /// convolutions and the 800→500 layer are low-rank with start ranks capped by their kernel
  /// matrices (20×25, 50×500), it learns the generated data (≥ 85% after 4 epochs of 600
  /// samples, chance 10%), and `evaluate` reproduces the checkpoint's accuracy.
  /// The same with Tucker convolutions: the kernels' multilinear ranks are stored beside the
  /// 800→500 layer's rank, each within its mode's size.
  @Test(arguments: [ConvolutionFormat.matrix, .tucker])
  func lenet5TrainsAndReloads(convolutions: ConvolutionFormat) throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir)
    let out = dir.appendingPathComponent("lenet").path
    let model = dir.appendingPathComponent("lenet.dlrt").path
    var command = try DLRT.parseAsRoot([
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "lenet5", "--start-rank", "40",
      "--max-rank", "60", "--tau", "0.1", "--batch", "50", "--optimizer", "adam", "--lr", "0.003", "--epochs",
      "4", "--threads", "1", "--quiet", "--out", out, "--save", model, "--convolutions",
      convolutions.rawValue,
    ])
    try command.run()
    let json = try String(contentsOfFile: out + ".json", encoding: .utf8)
    #expect(json.contains("\"architecture\" : \"lenet5\""))
    let record = try JSONDecoder().decode(RunRecord.self, from: Data(json.utf8))
    #expect(record.configuration.architecture == .lenet5)
    let last = try #require(record.epochs.last)
    #expect(last.testAccuracy >= 0.85, "test accuracy \(last.testAccuracy)")
    switch convolutions {
    case .matrix:
      #expect(last.ranks.count == 3 && last.ranks[0] <= 20 && last.ranks[1] <= 40 && last.ranks[2] <= 60)
      #expect(last.tuckerRanks == nil)
    case .tucker:
      #expect(last.ranks.count == 1 && last.ranks[0] <= 60)
      let tucker = try #require(last.tuckerRanks)
      #expect(tucker.count == 2)
      for (ranks, bounds) in zip(tucker, [[20, 1, 5, 5], [40, 20, 5, 5]]) {
        #expect(zip(ranks, bounds).allSatisfy { $0 >= 1 && $0 <= $1 }, "ranks \(ranks)")
      }
      #expect(record.configuration.convolutions == .tucker)
    }
    #expect(last.parameters.full == 20 * 25 + 50 * 500 + 500 * 800 + 10 * 500)

    let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model))
    #expect(checkpoint.configuration.architecture == .lenet5)
    let (network, state) = try checkpoint.restore()
    let test = try FashionMNIST.load(from: dir, split: .test)
    let trainer = try Trainer<Float>(configuration: checkpoint.configuration, network: network, state: state)
    #expect(trainer.accuracy(features: test.images, labels: test.labels) == last.testAccuracy)
    var evaluate = try DLRT.parseAsRoot([
      "evaluate", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--model", model, "--threads", "1",
    ])
    try evaluate.run()
  }

  /// A diverging run stops with a clear error and leaves the previous checkpoint untouched.
  @Test func divergenceKeepsTheLastGoodCheckpoint() throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir, train: 200, test: 50)
    let model = dir.appendingPathComponent("model.dlrt").path
    var good = try DLRT.parseAsRoot(arguments(dir, ["--epochs", "1", "--save", model]))
    try good.run()
    let before = try Data(contentsOf: URL(fileURLWithPath: model))
    var diverging = try DLRT.parseAsRoot(arguments(dir, ["--epochs", "2", "--lr", "1e30", "--save", model]))
    #expect(throws: TrainingError.nonFiniteLoss) { try diverging.run() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
  }

  @Test func missingDataAndBadOptionsAreClearErrors() throws {
    let dir = try temporaryDirectory("dlrt-train")
    defer { try? FileManager.default.removeItem(at: dir) }
    // Every command that runs sets OpenBLAS's threads for the whole test process: keep it at 1.
    var missing = try DLRT.parseAsRoot([
      "train", "--data-dir", dir.path, "--epochs", "1", "--quiet", "--threads", "1",
    ])
    #expect(throws: DatasetError.self) { try missing.run() }
    for bad in [
      ["train", "--tau", "-1"], ["train", "--arch", "784-x-10"], ["train", "--arch", "lenet6"],
      ["train", "--mode", "sparse"],
      ["train", "--epochs", "0"], ["train", "--start-rank", "300", "--max-rank", "200"],
      ["train", "--optimizer", "lbfgs"], ["train", "--skip-complete"],
      ["evaluate"],
    ] {
      #expect(throws: (any Error).self, "\(bad)") { _ = try DLRT.parseAsRoot(bad) }
    }
    try writeSyntheticDataset(to: dir, train: 20, test: 10)
    var wrongInputs = try DLRT.parseAsRoot([
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "100-10", "--quiet",
      "--threads", "1",
    ])
    #expect(throws: (any Error).self) { try wrongInputs.run() }
  }
}
