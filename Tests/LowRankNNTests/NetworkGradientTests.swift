import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

/// Central differences with step 1e-6 in Double: the truncation error is O(h²·𝓛‴) ≈ 1e-12 and
/// the rounding error O(ε·𝓛/h) ≈ 1e-10, so derivatives of size 1e-3…1 agree to a relative 1e-6
/// with margin; the absolute floor 1e-8 covers entries that are nearly zero.
let fdStep = 1e-6
func fdClose(_ fd: Double, _ analytic: Double) -> Bool {
  Swift.abs(fd - analytic) <= 1e-6 * Swift.max(Swift.abs(fd), Swift.abs(analytic)) + 1e-8
}

@Suite("Network gradients")
struct NetworkGradientTests {
  @Test(
    "finite differences of the loss: dense weight, biases and S of low-rank layers",
    arguments: [
      Activation.relu, .tanh,
    ])
  func finiteDifferences(activation: Activation) throws {
    var g = testGenerator(7)
    var network = Network<Double>(
      architecture: [5, 7, 6, 3], mode: .lowRank(startRank: 3), activation: activation)
    let state = network.initialState(using: &g)
    let (x, labels) = randomBatch(inputs: 5, classes: 3, batch: 9, using: &g)
    try network.setBatch(features: x, labels: labels)
    let e = try evaluateAtState(&network, state)
    #expect(fdClose(e.objective!, try network.loss(at: state)))

    func fd(_ perturb: (inout LowRankState<Double>, Double) -> Void) throws -> Double {
      var plus = state
      perturb(&plus, fdStep)
      var minus = state
      perturb(&minus, -fdStep)
      return (try network.loss(at: plus) - network.loss(at: minus)) / (2 * fdStep)
    }
    // The dense classifier weight is dense[0]; biases follow, one per layer.
    #expect(network.denseLayers == [2] && network.lowRankLayers == [0, 1])
    for (i, j) in [(0, 0), (2, 5), (1, 3)] {
      let d = try fd { s, h in s.dense[0][i, j] += h }
      let rate = e.denseRates[0][i, j]
      #expect(fdClose(d, -rate), "dL/dW2[\(i),\(j)]: fd \(d), rate \(rate)")
    }
    for (layer, i) in [(0, 0), (0, 6), (1, 2), (2, 1)] {
      let k = network.biasIndex(ofLayer: layer)
      let d = try fd { s, h in s.dense[k][i, 0] += h }
      #expect(fdClose(d, -e.denseRates[k][i, 0]), "∂𝓛/∂b\(layer)[\(i)]: fd \(d)")
    }
    // ∂𝓛/∂S = Uᵀ·∇_W·V = −Uᵀ·(F·V).
    for b in 0..<2 {
      let galerkin = state.blocks[b].u.transposedTimes(e.blocks[b].fTimesV)
      for (i, j) in [(0, 0), (1, 2), (2, 1)] {
        let d = try fd { s, h in s.blocks[b].s[i, j] += h }
        #expect(fdClose(d, -galerkin[i, j]), "∂𝓛/∂S\(b)[\(i),\(j)]: fd \(d), analytic \(-galerkin[i, j])")
      }
    }
  }

  @Test("finite differences in an all-dense network")
  func finiteDifferencesDense() throws {
    var g = testGenerator(8)
    var network = Network<Double>(architecture: [4, 6, 3], mode: .dense, activation: .tanh)
    let state = network.initialState(using: &g)
    let (x, labels) = randomBatch(inputs: 4, classes: 3, batch: 5, using: &g)
    try network.setBatch(features: x, labels: labels)
    let e = try evaluateAtState(&network, state)
    #expect(e.blocks.isEmpty && e.denseRates.count == 4)
    for (p, i, j) in [(0, 0, 0), (0, 5, 3), (1, 2, 4), (2, 3, 0), (3, 1, 0)] {
      var plus = state
      plus.dense[p][i, j] += fdStep
      var minus = state
      minus.dense[p][i, j] -= fdStep
      let d = (try network.loss(at: plus) - network.loss(at: minus)) / (2 * fdStep)
      #expect(fdClose(d, -e.denseRates[p][i, j]), "dense[\(p)][\(i),\(j)]: fd \(d)")
    }
  }

  @Test(
    "factored products equal −∇W·V, −∇Wᵀ·U, −Uᵀ∇W·V of a dense backprop",
    arguments: [Activation.relu, .tanh, .identity],
    evaluationSettings)
  func factoredProducts(activation: Activation, setting: EvaluationSetting) throws {
    var g = testGenerator(11)
    let layers: [Layer] = [
      .lowRank(6, 8, rank: 4, activation: activation), .dense(8, 5, activation: activation),
      .lowRank(5, 7, rank: 2, activation: activation), .dense(7, 4),
    ]
    var network = Network<Double>(layers: layers)
    setting.apply(to: &network)
    let (x, labels) = randomBatch(inputs: 6, classes: 4, batch: 10, using: &g)
    try network.setBatch(features: x, labels: labels)
    // Arbitrary (non-orthonormal) A, B of width k ≠ rank, and bases of other widths, as the
    // integrators request at K·V₀ᵀ and U₀·Lᵀ.
    let widths = [(k: 3, p: 2, q: 5), (k: 5, p: 4, q: 1)]
    let blocks = zip([0, 2], widths).map { l, w in
      FieldEvaluation<Double>.Block(
        a: .gaussian(rows: layers[l].outputs, columns: w.k, standardDeviation: 0.4, using: &g),
        b: .gaussian(rows: layers[l].inputs, columns: w.k, standardDeviation: 0.4, using: &g),
        rightBasis: .gaussian(rows: layers[l].inputs, columns: w.p, using: &g),
        leftBasis: .gaussian(rows: layers[l].outputs, columns: w.q, using: &g))
    }
    let denseWeights = [1, 3].map {
      Matrix<Double>.gaussian(
        rows: layers[$0].outputs, columns: layers[$0].inputs, standardDeviation: 0.4, using: &g)
    }
    let biases = layers.map {
      Matrix<Double>.gaussian(rows: $0.outputs, columns: 1, standardDeviation: 0.3, using: &g)
    }
    var e = FieldEvaluation(time: 0, blocks: blocks, dense: denseWeights + biases, wantsDenseRates: true)
    try network.evaluate(&e)

    let weights = [blocks[0].densePoint(), denseWeights[0], blocks[1].densePoint(), denseWeights[1]]
    let reference = ReferenceNetwork(layers: layers).run(
      weights: weights, biases: biases, features: x, labels: labels)
    #expect(Swift.abs(e.objective! - reference.loss) < 1e-12)
    let tol = 1e-12
    for (b, l) in [0, 2].enumerated() {
      let grad = reference.weightGradients[l]
      let v = blocks[b].rightBasis!, u = blocks[b].leftBasis!
      #expect(maxDifference(e.blocks[b].fTimesV, -naiveProduct(grad, v)) < tol)
      #expect(maxDifference(e.blocks[b].fTransposeTimesU, -naiveProduct(grad, u, transposeA: true)) < tol)
      let galerkin = u.transposedTimes(e.blocks[b].fTimesV)
      #expect(maxDifference(galerkin, -naiveProduct(naiveProduct(u, grad, transposeA: true), v)) < tol)
    }
    for (j, l) in [1, 3].enumerated() {
      #expect(maxDifference(e.denseRates[j], -reference.weightGradients[l]) < tol)
    }
    for l in layers.indices {
      #expect(maxDifference(e.denseRates[network.biasIndex(ofLayer: l)], -reference.biasGradients[l]) < tol)
    }

    // Without requests, only the objective is filled.
    var bare = FieldEvaluation(
      time: 0, blocks: blocks.map { .init(a: $0.a, b: $0.b, rightBasis: nil, leftBasis: nil) },
      dense: denseWeights + biases)
    try network.evaluate(&bare)
    #expect(bare.denseRates.isEmpty && bare.blocks[0].fTimesV.rows == 0 && bare.objective == e.objective)
  }
}
