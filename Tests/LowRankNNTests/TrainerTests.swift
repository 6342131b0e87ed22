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

  /// A dense step does the matrix products of back-propagation and no more, counted by
  /// `ProductWork`: per layer of n inputs and m outputs on a batch of b, the forward product and
  /// the weight gradient (2·m·n·b operations each), for every layer but the first the gradient of
  /// its input (2·m·n·b again), and the bias's broadcast (a product with k = 1) and gradient (δ
  /// times a column of ones), 2·m·b each.
  @Test func denseStepProductWork() throws {
    var trainer = try Trainer<Float>(configuration: configuration(.dense))
    let data = synthetic(features: 64, classes: 4, count: 32, seed: 12)
    let layers = [(64, 32), (32, 32), (32, 4)]
    let pass = layers.map { 2 * $0.0 * $0.1 * 32 }
    let bias = layers.map { 2 * 2 * $0.1 * 32 }
    let expected = 2 * pass.reduce(0, +) + pass.dropFirst().reduce(0, +) + bias.reduce(0, +)
    let work = try productWork { _ = try trainer.step(features: data.x, labels: data.labels) }
    #expect(work == expected)
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
      { $0.minRank = 0 }, { $0.minRank = 251 },
    ] {
      var c = TrainingConfiguration()
      change(&c)
      #expect(throws: TrainingError.self) { try Trainer<Float>(configuration: c) }
    }
  }

  /// Rank bounds of the configuration: a half ceiling caps the start ranks and every later rank
  /// (τ = 0 would otherwise grow the 32×64 and 32×32 layers beyond 16), and a min rank holds the
  /// ranks up where τ = 0.99 would truncate to 1.
  @Test func rankBoundsHold() throws {
    let data = synthetic(features: 64, classes: 4, count: 64, seed: 13)
    func ranks(tau: Double, minRank: Int, ceiling: RankCeiling) throws -> (start: [Int], after: [Int]) {
      var c = configuration(.adaptive)
      (c.tau, c.startRank, c.maxRank, c.minRank, c.rankCeiling) = (tau, 16, 32, minRank, ceiling)
      var trainer = try Trainer<Float>(configuration: c)
      let start = trainer.state.ranks
      for _ in 0..<3 { _ = try trainer.step(features: data.x, labels: data.labels) }
      return (start, trainer.state.ranks)
    }
    #expect(try ranks(tau: 0, minRank: 1, ceiling: .full) == ([16, 16], [32, 32]))
    #expect(try ranks(tau: 0, minRank: 1, ceiling: .half) == ([16, 16], [16, 16]))
    var c = configuration(.adaptive)
    (c.startRank, c.maxRank, c.rankCeiling) = (30, 30, .half)
    #expect(try Trainer<Float>(configuration: c).state.ranks == [16, 16])
    #expect(try ranks(tau: 0.99, minRank: 1, ceiling: .half).after == [1, 1])
    #expect(try ranks(tau: 0.99, minRank: 3, ceiling: .half).after == [3, 3])
    #expect(RankCeiling.half.limit(rows: 20, columns: 25) == 10)
    #expect(RankCeiling.half.limit(rows: 1, columns: 25) == 1)
    #expect(RankCeiling.full.limit(rows: 50, columns: 500) == 50)
  }

  /// The reference implementation's initialisation: orthonormal bases and a descending positive
  /// diagonal core of |N(0, 1)| order statistics. At full rank the core holds all min(n, m) draws,
  /// so the mean of σ² estimates E|N(0, 1)|² = 1 (standard error √(2/200) = 0.1; bound 3 errors).
  @Test func halfNormalInitialization() throws {
    let layer = Layer.dense(300, 200)
    var g = SplitMix64(seed: 14)
    let y: LowRankMatrix<Float> = layer.initialFactors(rank: 200, initialization: .halfNormal, using: &g)
    #expect(y.u.shape == Shape(rows: 200, columns: 200) && y.v.shape == Shape(rows: 300, columns: 200))
    #expect(orthonormalityError(y.u) < 1e-4 && orthonormalityError(y.v) < 1e-4)  // Float QR of 300×200
    let sigma = (0..<200).map { y.s[$0, $0] }
    #expect(zip(sigma, sigma.dropFirst()).allSatisfy { $0 >= $1 } && sigma.last! > 0)
    #expect((0..<200).allSatisfy { i in (0..<200).allSatisfy { j in i == j || y.s[i, j] == 0 } })
    let meanSquare = sigma.reduce(0) { $0 + Double($1) * Double($1) } / 200
    #expect(abs(meanSquare - 1) < 0.3, "mean σ² \(meanSquare)")
    // A lower rank keeps the largest of the same kind of draws: all above the median 0.674.
    let low: LowRankMatrix<Float> = layer.initialFactors(rank: 50, initialization: .halfNormal, using: &g)
    #expect(low.rank == 50 && (0..<50).allSatisfy { low.s[$0, $0] > 0.674 })
  }

  @Test func checkpointRoundTripReproducesPredictions() throws {
    let data = synthetic(features: 64, classes: 4, count: 128, seed: 12)
    var trainer = try Trainer<Float>(configuration: configuration(.adaptive))
    for _ in 0..<3 { _ = try trainer.step(features: data.x, labels: data.labels) }
    let dir = try temporaryDirectory("ckpt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("model.dlrt")
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
    let dir = try temporaryDirectory("ckpt")
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
