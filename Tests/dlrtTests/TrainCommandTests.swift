import ArgumentParser
import Datasets
import Foundation
import LowRankNN
import MatrixManifold
import Testing

@testable import dlrt

/// Writes a learnable 28×28, 10-class data set in Fashion-MNIST's file names (no checksums),
/// sparse like MNIST: each class lights a random 15% of the pixels; a sample keeps each lit pixel
/// with probability 0.8 and lights 3% noise pixels.
func writeSyntheticDataset(to dir: URL, train: Int = 600, test: Int = 200) throws {
  var g = SplitMix64(seed: 77)
  let prototypes = (0..<10).map { _ in (0..<784).map { _ in Double.random(in: 0..<1, using: &g) < 0.15 } }
  func write(_ prefix: String, count: Int) throws {
    var pixels: [UInt8] = []
    var labels: [UInt8] = []
    for j in 0..<count {
      let c = j % 10
      labels.append(UInt8(c))
      pixels += prototypes[c].map { lit in
        let on = lit ? Double.random(in: 0..<1, using: &g) < 0.8 : Double.random(in: 0..<1, using: &g) < 0.03
        return on ? UInt8.random(in: 180...255, using: &g) : 0
      }
    }
    try IDXFile(dimensions: [count, 28, 28], bytes: pixels).write(
      to: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
    try IDXFile(dimensions: [count], bytes: labels).write(
      to: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
  }
  try write("train", count: train)
  try write("t10k", count: test)
}

@Suite struct TrainCommandTests {
  func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dlrt-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  func arguments(_ dir: URL, _ extra: [String]) -> [String] {
    [
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "784-64-32-10", "--start-rank",
      "8",
      "--max-rank", "32", "--batch", "50", "--optimizer", "adam", "--lr", "0.01", "--threads", "1", "--quiet",
    ] + extra
  }

  /// A short adaptive run on learnable data: ≥ 90% test accuracy (chance 10%), result files with
  /// the configuration and seed, and a checkpoint that `evaluate` reloads to the same accuracy.
  @Test func trainWritesResultsAndCheckpointThatReproduces() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir)
    let out = dir.appendingPathComponent("results/run").path
    let model = dir.appendingPathComponent("model.dlrt").path
    var command = try DLRT.parseAsRoot(
      arguments(dir, ["--epochs", "6", "--seed", "5", "--out", out, "--save", model]))
    try command.run()
    let record = try JSONDecoder().decode(
      RunRecord.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".json")))
    #expect(record.configuration.seed == 5 && record.configuration.mode == .adaptive)
    #expect(record.epochs.count == 6)
    let last = try #require(record.epochs.last)
    #expect(last.testAccuracy >= 0.9, "test accuracy \(last.testAccuracy)")
    #expect(last.ranks.count == 2 && last.ranks.allSatisfy { (1...32).contains($0) })
    let csv = try String(contentsOfFile: out + ".csv", encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 7)

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
  @Test func lenet5TrainsAndReloads() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeSyntheticDataset(to: dir)
    let out = dir.appendingPathComponent("lenet").path
    let model = dir.appendingPathComponent("lenet.dlrt").path
    var command = try DLRT.parseAsRoot([
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "lenet5", "--start-rank", "40",
      "--max-rank", "60", "--tau", "0.1", "--batch", "50", "--optimizer", "adam", "--lr", "0.003", "--epochs",
      "4", "--threads", "1", "--quiet", "--out", out, "--save", model,
    ])
    try command.run()
    let json = try String(contentsOfFile: out + ".json", encoding: .utf8)
    #expect(json.contains("\"architecture\" : \"lenet5\""))
    let record = try JSONDecoder().decode(RunRecord.self, from: Data(json.utf8))
    #expect(record.configuration.architecture == .lenet5)
    let last = try #require(record.epochs.last)
    #expect(last.testAccuracy >= 0.85, "test accuracy \(last.testAccuracy)")
    #expect(last.ranks.count == 3 && last.ranks[0] <= 20 && last.ranks[1] <= 40 && last.ranks[2] <= 60)
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
    let dir = try temporaryDirectory()
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
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var missing = try DLRT.parseAsRoot(["train", "--data-dir", dir.path, "--epochs", "1", "--quiet"])
    #expect(throws: DatasetError.self) { try missing.run() }
    for bad in [
      ["train", "--tau", "-1"], ["train", "--arch", "784-x-10"], ["train", "--arch", "lenet6"],
      ["train", "--mode", "sparse"],
      ["train", "--epochs", "0"], ["train", "--start-rank", "300", "--max-rank", "200"],
      ["train", "--optimizer", "lbfgs"],
      ["evaluate"],
    ] {
      #expect(throws: (any Error).self, "\(bad)") { _ = try DLRT.parseAsRoot(bad) }
    }
    try writeSyntheticDataset(to: dir, train: 20, test: 10)
    var wrongInputs = try DLRT.parseAsRoot([
      "train", "--dataset", "fashion-mnist", "--data-dir", dir.path, "--arch", "100-10", "--quiet",
    ])
    #expect(throws: (any Error).self) { try wrongInputs.run() }
  }
}
