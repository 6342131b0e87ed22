import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

/// A learnable synthetic classification problem: `classes` random prototypes in [0, 1]^features,
/// samples are prototypes plus uniform noise of half-width 0.3 (classes stay separable).
/// The prototypes depend on `seed` only; `noiseSeed` draws a different sample of the same problem.
func synthetic(features: Int, classes: Int, count: Int, seed: UInt64, noiseSeed: UInt64 = 0) -> (
  x: Matrix<Float>, labels: [Int]
) {
  var p = SplitMix64(seed: seed)
  let prototypes = Matrix<Float>.uniform(rows: features, columns: classes, in: 0...1, using: &p)
  var g = SplitMix64(seed: seed ^ (noiseSeed &* 0x9E37_79B9_7F4A_7C15 &+ 1))
  var x = Matrix<Float>(rows: features, columns: count)
  var labels: [Int] = []
  for j in 0..<count {
    let c = j % classes
    labels.append(c)
    for i in 0..<features { x[i, j] = prototypes[i, c] + Float.random(in: -0.3...0.3, using: &g) }
  }
  return (x, labels)
}

@Suite struct TrainerTests {
  func configuration(_ mode: TrainingConfiguration.Mode, optimizer: TrainingConfiguration.Optimizer = .sgd)
    -> TrainingConfiguration
  {
    var c = TrainingConfiguration()
    c.architecture = [64, 32, 32, 4]
    c.mode = mode
    c.startRank = 8
    c.maxRank = 16
    c.tau = 0.05
    c.learningRate = optimizer == .adam ? 0.01 : 0.1
    c.optimizer = optimizer
    c.batchSize = 32
    c.seed = 3
    return c
  }

  /// Every mode and optimizer learns the synthetic problem: test accuracy ≥ 90% after 15 epochs
  /// of 512 samples (chance is 25%); adaptive ranks stay within [1, maxRank].
  @Test(arguments: [
    (TrainingConfiguration.Mode.dense, TrainingConfiguration.Optimizer.sgd), (.fixed, .sgd),
    (.adaptive, .sgd),
    (.adaptive, .momentum), (.adaptive, .adam), (.vanilla, .sgd), (.vanilla, .adam),
  ])
  func learnsSyntheticProblem(mode: TrainingConfiguration.Mode, optimizer: TrainingConfiguration.Optimizer)
    throws
  {
    let train = synthetic(features: 64, classes: 4, count: 512, seed: 10)
    let test = synthetic(features: 64, classes: 4, count: 256, seed: 10, noiseSeed: 1)
    var trainer = try Trainer<Float>(configuration: configuration(mode, optimizer: optimizer))
    for _ in 0..<15 {
      var start = 0
      while start < 512 {
        let end = min(start + 32, 512)
        _ = try trainer.step(
          features: Matrix(train.x.columns(start..<end)), labels: Array(train.labels[start..<end]))
        start = end
      }
    }
    let accuracy = trainer.accuracy(features: test.x, labels: test.labels)
    #expect(accuracy >= 0.9, "\(mode) \(optimizer): test accuracy \(accuracy)")
    #expect(trainer.state.ranks.allSatisfy { (1...16).contains($0) })
    let counts = trainer.parameterCounts
    #expect(counts.full == 64 * 32 + 32 * 32 + 32 * 4)
    if mode == .dense { #expect(counts.evaluation == counts.full) }
  }

  @Test func divergenceIsATypedErrorAndKeepsTheWeights() throws {
    var c = configuration(.adaptive)
    c.learningRate = 1e30
    var trainer = try Trainer<Float>(configuration: c)
    let data = synthetic(features: 64, classes: 4, count: 32, seed: 11)
    let before = trainer.state
    var thrown: (any Error)?
    do {
      for _ in 0..<5 { _ = try trainer.step(features: data.x, labels: data.labels) }
    } catch { thrown = error }
    #expect(thrown as? TrainingError == .nonFiniteLoss)
    #expect(trainer.state.isFinite)
    _ = before
  }

  @Test func badConfigurationsThrow() {
    for change in [
      { (c: inout TrainingConfiguration) in c.tau = -0.1 }, { $0.learningRate = 0 },
      { $0.architecture = [784] },
      { $0.startRank = 0 }, { $0.batchSize = 0 },
      {
        $0.startRank = 300; $0.maxRank = 250
      },
    ] {
      var c = TrainingConfiguration()
      change(&c)
      #expect(throws: TrainingError.self) { try Trainer<Float>(configuration: c) }
    }
  }

  @Test func checkpointRoundTripReproducesPredictions() throws {
    let data = synthetic(features: 64, classes: 4, count: 128, seed: 12)
    var trainer = try Trainer<Float>(configuration: configuration(.adaptive))
    for _ in 0..<3 { _ = try trainer.step(features: data.x, labels: data.labels) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).dlrt")
    defer { try? FileManager.default.removeItem(at: url) }
    let accuracy = trainer.accuracy(features: data.x, labels: data.labels)
    try Checkpoint(
      configuration: trainer.configuration, state: trainer.state, epochs: 1, testAccuracy: accuracy
    ).write(to: url)
    let restored = try Checkpoint.read(from: url).restore()
    #expect(restored.state == trainer.state)  // bit-identical Float weights
    let reloaded = try Trainer<Float>(
      configuration: trainer.configuration, network: restored.network, state: restored.state)
    #expect(reloaded.accuracy(features: data.x, labels: data.labels) == accuracy)
  }

  @Test func brokenCheckpointsAreTypedErrors() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    // Missing, not JSON, truncated, and a checkpoint whose weights do not fit its configuration.
    let trainer = try Trainer<Float>(configuration: configuration(.fixed))
    let good = dir.appendingPathComponent("good.dlrt")
    try Checkpoint(configuration: trainer.configuration, state: trainer.state, epochs: 0, testAccuracy: nil)
      .write(to: good)
    let bytes = try Data(contentsOf: good)
    let truncated = dir.appendingPathComponent("truncated.dlrt")
    try bytes.prefix(bytes.count / 2).write(to: truncated)
    let garbage = dir.appendingPathComponent("garbage.dlrt")
    try Data("not a checkpoint".utf8).write(to: garbage)
    var wrong = try Checkpoint.read(from: good)
    wrong.configuration.architecture = [64, 32, 16, 4]
    let mismatched = dir.appendingPathComponent("mismatched.dlrt")
    try wrong.write(to: mismatched)
    for url in [dir.appendingPathComponent("missing.dlrt"), truncated, garbage, mismatched] {
      #expect(throws: TrainingError.self, "\(url.lastPathComponent)") { _ = try Checkpoint.read(from: url) }
    }
  }
}
