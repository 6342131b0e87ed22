import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

@Suite("Network training and API")
struct NetworkTrainingTests {
  @Test("one adaptive BUG Euler step at full rank is one SGD step up to O(lr²)")
  func adaptiveStepIsSGD() throws {
    var g = testGenerator(21)
    // Full rank: rank = min(in, out) for both hidden layers.
    var network = Network<Double>(
      architecture: [6, 8, 5, 3], mode: .lowRank(startRank: 8), activation: .tanh)
    #expect(network.layers.map(\.kind) == [.lowRank(rank: 6), .lowRank(rank: 5), .dense])
    let state0 = network.initialState(using: &g)
    let (x, labels) = randomBatch(inputs: 6, classes: 3, batch: 12, using: &g)
    try network.setBatch(features: x, labels: labels)
    let w0 = network.weights(of: state0)
    let b0 = network.biases(of: state0)
    let reference = ReferenceNetwork(layers: network.layers).run(
      weights: w0, biases: b0, features: x, labels: labels)

    func stepError(_ lr: Double) throws -> Double {
      var state = state0
      var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: try .relative(0))
      let report = try integrator.step(&state, field: &network, from: 0, by: lr)
      // The report's objective is the S-step's loss, taken after the dense parameters moved.
      #expect(report.objective.map { Swift.abs($0 - reference.loss) < 10 * lr } ?? false)
      var error = 0.0
      for (l, w) in network.weights(of: state).enumerated() {
        error = Swift.max(error, maxDifference(w, w0[l] - lr * reference.weightGradients[l]))
      }
      for (l, b) in network.biases(of: state).enumerated() {
        error = Swift.max(error, maxDifference(b, b0[l] - lr * reference.biasGradients[l]))
      }
      return error
    }
    let (e2, e3) = (try stepError(1e-2), try stepError(1e-3))
    // The K/L steps move the dense parameters first, and the S-step then evaluates the gradient
    // of the low-rank layers at the moved biases: an O(lr) change of the rate, O(lr²) in W.
    let ratio = e2 / e3
    #expect(ratio > 50 && ratio < 200, "errors \(e2), \(e3): ratio \(ratio) is not ≈ 100")
    #expect(e2 < 1e-3)
  }

  /// With the dense parameters moving with the S-step, every rate of the step is taken at the
  /// step's starting point, so at full rank with τ = 0 the step *is* the SGD step (up to rounding,
  /// 1e-12 for these O(1) numbers), and the S-step is served from the first pass: the result is
  /// the same when the field is made to run a second full pass instead. For every way of
  /// evaluating the low-rank layers (the served products come from the kept factors' products or
  /// from the kept `∇_W`).
  @Test(
    "single-pass adaptive step at full rank is exactly one SGD step, with or without the reuse",
    arguments: evaluationSettings)
  func singlePassStepIsSGD(setting: EvaluationSetting) throws {
    var g = testGenerator(22)
    var network = Network<Double>(
      architecture: [6, 8, 5, 3], mode: .lowRank(startRank: 8), activation: .tanh)
    setting.apply(to: &network)
    let state0 = network.initialState(using: &g)
    let (x, labels) = randomBatch(inputs: 6, classes: 3, batch: 12, using: &g)
    try network.setBatch(features: x, labels: labels)
    let (w0, b0) = (network.weights(of: state0), network.biases(of: state0))
    let reference = ReferenceNetwork(layers: network.layers).run(
      weights: w0, biases: b0, features: x, labels: labels)
    let lr = 0.05
    var state = state0
    var integrator = AdaptiveBUG(
      solver: ExplicitEuler<Double>(), truncation: try .relative(0), movesDenseWithGalerkinStep: true)
    let report = try integrator.step(&state, field: &network, from: 0, by: lr)
    #expect(report.evaluations == 2)
    #expect(Swift.abs(report.objective! - reference.loss) < 1e-12)
    for (l, w) in network.weights(of: state).enumerated() {
      #expect(maxDifference(w, w0[l] - lr * reference.weightGradients[l]) < 1e-12, "weight \(l)")
    }
    for (l, b) in network.biases(of: state).enumerated() {
      #expect(maxDifference(b, b0[l] - lr * reference.biasGradients[l]) < 1e-12, "bias \(l)")
    }

    /// The network with every `atPreviousPoint` promise dropped (always a full pass) or kept,
    /// counting the promises and checking that each was announced with its right bases' widths
    /// by the evaluation before it (`followUpRight`: min(r, side − r), the new directions of V̂,
    /// whose other columns the integrator takes from the first pass's `F·V₀`), and that it asks
    /// for `F·V̂` only (no left basis).
    struct FullPasses: LowRankVectorField {
      var network: Network<Double>
      var reuse = false
      var promises = 0
      var announced: [[Int]] = []
      var mismatches = 0
      mutating func evaluate(_ e: inout FieldEvaluation<Double>) throws {
        if e.atPreviousPoint {
          promises += 1
          mismatches += e.blocks.map { $0.rightBasis?.columns ?? 0 } == announced.last ? 0 : 1
          mismatches += e.blocks.allSatisfy { $0.leftBasis == nil } ? 0 : 1
        } else {
          announced.append(e.blocks.map { Swift.min($0.a.columns, $0.b.rows - $0.a.columns) })
          mismatches += e.blocks.allSatisfy { $0.followUpRight == 0 } ? 1 : 0
          mismatches += e.blocks.map(\.followUpRight) == announced.last! ? 0 : 1
        }
        if !reuse { e.atPreviousPoint = false }
        try network.evaluate(&e)
      }
    }
    var lowRank = Network<Double>(
      architecture: [6, 8, 5, 3], mode: .lowRank(startRank: 3), activation: .tanh)
    setting.apply(to: &lowRank)
    let start = lowRank.initialState(using: &g)
    try lowRank.setBatch(features: x, labels: labels)
    var full = FullPasses(network: lowRank)
    var kept = FullPasses(network: lowRank, reuse: true)
    var (reused, recomputed) = (start, start)
    var (a, b) = (integrator, integrator)
    a.truncation = try .relative(0.05)
    b.truncation = try .relative(0.05)
    for step in 0..<5 {
      _ = try a.step(&reused, field: &kept, from: Double(step) * lr, by: lr)
      _ = try b.step(&recomputed, field: &full, from: Double(step) * lr, by: lr)
    }
    #expect(kept.promises == 5 && full.promises == 5)
    #expect(kept.mismatches == 0 && full.mismatches == 0 && kept.announced.count == 5)
    #expect(reused.ranks == recomputed.ranks)
    for (u, v) in zip(lowRank.weights(of: reused), lowRank.weights(of: recomputed)) {
      #expect(maxDifference(u, v) < 1e-12)
    }
  }

  /// Predictions in chunks (3 and 4 samples of 10: uneven, last chunk smaller), on one thread or
  /// shared out over 2 and 3 (``Network/batchParts``; more threads than chunks included), are the
  /// arg-max of the whole batch's logits, and the accuracy counts them.
  @Test("predictions and accuracy in chunks, on 1–3 threads, equal those of the whole batch")
  func chunkedPredictions() {
    var g = testGenerator(31)
    var network = Network<Double>(architecture: [6, 9, 7, 4], mode: .lowRank(startRank: 3))
    let state = network.initialState(using: &g)
    let (x, labels) = randomBatch(inputs: 6, classes: 4, batch: 10, using: &g)
    let z = network.logits(features: x, state: state)
    let expected = (0..<10).map { j in (0..<4).max { z[$0, j] < z[$1, j] }! }
    let correct = zip(expected, labels).filter { $0 == $1 }.count
    for parts in 1...3 {
      network.batchParts = parts
      for chunk in [3, 4, 10, 50] {
        #expect(
          network.predictions(features: x, state: state, chunk: chunk) == expected,
          "chunk \(chunk), \(parts) parts")
        #expect(
          network.accuracy(features: x, labels: labels, state: state, chunk: chunk) == Double(correct) / 10)
      }
    }
  }

  @Test("architecture modes, parameter layout and clamped ranks")
  func layout() {
    let dense = Network<Float>(architecture: [784, 500, 500, 10], mode: .dense)
    #expect(dense.lowRankLayers.isEmpty && dense.denseLayers == [0, 1, 2] && dense.denseParameterCount == 6)
    #expect(dense.layers.map(\.activation) == [.relu, .relu, .identity])
    let lowRank = Network<Float>(architecture: [784, 500, 500, 10], mode: .lowRank(startRank: 600))
    #expect(lowRank.layers.map(\.kind) == [.lowRank(rank: 500), .lowRank(rank: 500), .dense])
    #expect(lowRank.denseLayers == [2] && lowRank.biasIndex(ofLayer: 0) == 1 && lowRank.classes == 10)
  }

  @Test("initial state: PyTorch-like bounds, orthonormal factors, decaying S")
  func initialState() throws {
    var g = testGenerator(3)
    let network = Network<Double>(architecture: [20, 16, 4], mode: .lowRank(startRank: 5))
    let state = network.initialState(using: &g)
    #expect(state.ranks == [5] && state.dense.count == 3)
    #expect(state.dense[0].shape == Shape(rows: 4, columns: 16) && state.dense[0].maxAbs <= 0.25)
    #expect(
      state.dense[1].shape == Shape(rows: 16, columns: 1) && state.dense[1].maxAbs <= 1 / 20.0.squareRoot())
    let y = state.blocks[0]
    #expect(orthonormalityError(y.u) < 1e-12 && orthonormalityError(y.v) < 1e-12)
    let sigma = (0..<5).map { y.s[$0, $0] }
    #expect(zip(sigma, sigma.dropFirst()).allSatisfy { $0 > $1 && $1 > 0 })
  }

  @Test("state from dense weights: SVD truncation round trip and predictions")
  func stateFromDenseWeights() throws {
    var g = testGenerator(5)
    let network = Network<Double>(architecture: [5, 4, 3], mode: .lowRank(startRank: 4))
    let weights = network.layers.map {
      Matrix<Double>.gaussian(rows: $0.outputs, columns: $0.inputs, using: &g)
    }
    let biases = network.layers.map { Matrix<Double>.gaussian(rows: $0.outputs, columns: 1, using: &g) }
    let state = try network.state(weights: weights, biases: biases)
    for (a, b) in zip(network.weights(of: state), weights) { #expect(maxDifference(a, b) < 1e-12) }
    #expect(network.biases(of: state) == biases)
    let truncated = try network.state(weights: weights, biases: biases, policy: .fixedRank(2))
    #expect(truncated.ranks == [2])

    let (x, labels) = randomBatch(inputs: 5, classes: 3, batch: 20, using: &g)
    let logits = ReferenceNetwork(layers: network.layers).run(
      weights: weights, biases: biases, features: x, labels: labels
    ).logits
    #expect(maxDifference(network.logits(features: x, state: state), logits) < 1e-12)
    let expected = (0..<20).map { j in logits.column(j).indices.max { logits[$0, j] < logits[$1, j] }! }
    #expect(network.predictions(features: x, state: state) == expected)
    let correct = zip(expected, labels).filter { $0 == $1 }.count
    #expect(network.accuracy(features: x, labels: labels, state: state) == Double(correct) / 20)
  }

  @Test("bad batches and a NaN loss throw typed errors")
  func errors() throws {
    var g = testGenerator(9)
    var network = Network<Double>(architecture: [3, 4, 2], mode: .lowRank(startRank: 2))
    let state = network.initialState(using: &g)
    let x = Matrix<Double>.gaussian(rows: 3, columns: 4, using: &g)
    #expect(throws: TrainingError.labelOutOfRange(label: 2, classes: 2)) {
      try network.setBatch(features: x, labels: [0, 1, 2, 0])
    }
    #expect(throws: TrainingError.labelOutOfRange(label: -1, classes: 2)) {
      try network.setBatch(features: x, labels: [0, -1, 1, 0])
    }
    #expect(throws: TrainingError.self) { try network.setBatch(features: x, labels: [0, 1]) }
    #expect(throws: TrainingError.self) {
      try network.setBatch(features: Matrix(rows: 2, columns: 4), labels: [0, 1, 1, 0])
    }
    var poisoned = x
    poisoned[1, 2] = .nan
    try network.setBatch(features: poisoned, labels: [0, 1, 1, 0])
    #expect(throws: TrainingError.nonFiniteLoss) { try network.loss(at: state) }
    #expect(throws: TrainingError.nonFiniteLoss) { _ = try evaluateAtState(&network, state) }
    var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: try .relative(0.1))
    var s = state
    #expect(throws: TrainingError.nonFiniteLoss) {
      try integrator.step(&s, field: &network, from: 0, by: 0.1)
    }
    // Huge weights overflow the logits to ±∞: the loss is not finite either.
    var huge = state
    huge.dense[0] = huge.dense[0] * 1e308
    huge.dense[0] = huge.dense[0] * 10
    try network.setBatch(features: x, labels: [0, 1, 1, 0])
    #expect(throws: TrainingError.nonFiniteLoss) { try network.loss(at: huge) }
  }
}
