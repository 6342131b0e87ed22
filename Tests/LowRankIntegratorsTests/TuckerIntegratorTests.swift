import Foundation
import LowRankIntegrators
import MatrixManifold
import TestSupport
import Testing

/// `A(t) = (C₀ + t·C₁) ×₀ (P₀ + t·Q₀) ×₁ P₁ ×₂ (P₂ + t·Q₂)`: multilinear rank `ranks` for all t,
/// cubic in t, so its derivative is quadratic and RK4 (Simpson's rule for a Y-independent rate)
/// integrates it exactly.
private struct MovingTucker {
  let c0: Tensor<Double>, c1: Tensor<Double>
  let p: [Matrix<Double>], q: [Matrix<Double>]

  init(dimensions: [Int], ranks: [Int], using g: inout SplitMix64) {
    func tensor() -> Tensor<Double> {
      Tensor(
        reshaping: Matrix<Double>.gaussian(rows: ranks.reduce(1, *), columns: 1, using: &g), dimensions: ranks
      )
    }
    c0 = tensor()
    c1 = tensor()
    p = zip(dimensions, ranks).map { Matrix<Double>.randomOrthonormal(rows: $0, columns: $1, using: &g) }
    q = zip(dimensions, ranks).enumerated().map { k, nr in
      k == 1
        ? Matrix(rows: nr.0, columns: nr.1)
        : Matrix<Double>.gaussian(rows: nr.0, columns: nr.1, using: &g) * 0.3
    }
  }

  private func factors(_ t: Double) -> [Matrix<Double>] { zip(p, q).map { $0 + $1 * t } }
  private func core(_ t: Double) -> Tensor<Double> {
    Tensor(
      reshaping: c0.matrix(rows: c0.dimensions[0]) + c1.matrix(rows: c0.dimensions[0]) * t,
      dimensions: c0.dimensions)
  }

  func value(_ t: Double) -> Tensor<Double> { core(t).multiplied(by: factors(t)) }

  /// Product rule over the core and the three factors.
  func derivative(_ t: Double) -> Tensor<Double> {
    let f = factors(t)
    var terms = [c1.multiplied(by: f)]
    for k in 0..<3 {
      var g = f
      g[k] = q[k]
      terms.append(core(t).multiplied(by: g))
    }
    let sum = terms.dropFirst().reduce(terms[0].matrix(rows: 1)) { $0 + $1.matrix(rows: 1) }
    return Tensor(reshaping: sum, dimensions: terms[0].dimensions)
  }
}

/// `B(t) = (P + t·Q)·(S₀ + t·S₁)·Rᵀ`, rank r for all t, with a linear derivative.
private struct MovingMatrix {
  let p: Matrix<Double>, q: Matrix<Double>, s0: Matrix<Double>, s1: Matrix<Double>, r: Matrix<Double>
  init(rows: Int, columns: Int, rank: Int, using g: inout SplitMix64) {
    p = .randomOrthonormal(rows: rows, columns: rank, using: &g)
    q = Matrix<Double>.gaussian(rows: rows, columns: rank, using: &g) * 0.3
    s0 = .gaussian(rows: rank, columns: rank, using: &g)
    s1 = .gaussian(rows: rank, columns: rank, using: &g)
    r = .randomOrthonormal(rows: columns, columns: rank, using: &g)
  }
  func value(_ t: Double) -> Matrix<Double> { ((p + q * t) * (s0 + s1 * t)).timesTransposed(r) }
  func derivative(_ t: Double) -> Matrix<Double> {
    (q * (s0 + s1 * t) + (p + q * t) * s1).timesTransposed(r)
  }
}

/// `Y' = Ȧ(t)` for every block, whatever Y is.
private struct TrajectoryField: LowRankVectorField {
  var matrices: [MovingMatrix]
  var tensors: [MovingTucker]
  mutating func evaluate(_ e: inout FieldEvaluation<Double>) throws {
    for b in e.blocks.indices {
      let f = matrices[b].derivative(e.time)
      if let v = e.blocks[b].rightBasis { e.blocks[b].fTimesV = f * v }
      if let u = e.blocks[b].leftBasis { e.blocks[b].fTransposeTimesU = f.transposedTimes(u) }
    }
    for t in e.tensors.indices { e.tensors[t].rate = tensors[t].derivative(e.time) }
  }
}

/// `Y' = G − Y∘Y∘Y` (entrywise), a field that depends nonlinearly on the point.
private struct CubicField: LowRankVectorField {
  var source: Tensor<Double>
  mutating func evaluate(_ e: inout FieldEvaluation<Double>) throws {
    for t in e.tensors.indices {
      let y = e.tensors[t].point
      e.tensors[t].rate = try Tensor(
        dimensions: y.dimensions, elements: zip(y.elements, source.elements).map { $1 - $0 * $0 * $0 })
    }
  }
}

private func relativeDifference(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
  let diff = zip(a.elements, b.elements).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
  return diff / Double(b.norm)
}

@Suite struct TuckerIntegratorTests {
  /// Exactness (Ceruti, Lubich & Walach, SIAM J. Numer. Anal. 59, 2021, for the Tucker BUG;
  /// Ceruti, Kusch & Lubich 2022 for the rank-adaptive one): for `F = Ȧ(t)` with A(t) of fixed
  /// multilinear rank, the Tucker block is reproduced up to rounding. A matrix block with the
  /// same property rides along, so the mixed runs (mode 2 of the tensor evaluated with the
  /// matrix block at its initial point) are exercised by RK4's inner stages. 1e-9 relative
  /// leaves room for ~10⁶ ulps of QR, SVD and GEMM rounding over the steps.
  @Test(arguments: [1, 4])
  func reproduceFixedRankTrajectories(steps: Int) throws {
    var g = testGenerator(200)
    let tucker = MovingTucker(dimensions: [6, 5, 4], ranks: [2, 3, 2], using: &g)
    let matrix = MovingMatrix(rows: 12, columns: 9, rank: 3, using: &g)
    let initial = LowRankState(
      blocks: [try LowRankMatrix(truncating: matrix.value(0), policy: .fixedRank(3))],
      tuckers: [try TuckerTensor(truncating: tucker.value(0), policy: .relative(1e-12))])
    #expect(initial.tuckerRanks == [[2, 3, 2]])
    let policy = try TruncationPolicy.absolute(1e-10, maxRank: 6)
    let integrators: [any LowRankIntegrator<Double>] = [
      BUG(solver: RungeKutta4<Double>()), AdaptiveBUG(solver: RungeKutta4<Double>(), truncation: policy),
    ]
    for integrator in integrators {
      var integrator = integrator
      var field = TrajectoryField(matrices: [matrix], tensors: [tucker])
      let solution = try integrate(&integrator, field: &field, initial: initial, from: 0, to: 1, steps: steps)
      let state = solution.state
      let tensorError = relativeDifference(state.tuckers[0].dense(), tucker.value(1))
      let matrixError = Double(
        (state.blocks[0].dense() - matrix.value(1)).frobeniusNorm / matrix.value(1).frobeniusNorm)
      #expect(tensorError <= 1e-9, "\(integrator.name), \(steps) steps: tensor error \(tensorError)")
      #expect(matrixError <= 1e-9, "\(integrator.name), \(steps) steps: matrix error \(matrixError)")
      #expect(state.tuckerRanks == [[2, 3, 2]], "\(integrator.name): ranks \(state.tuckerRanks)")
      for u in state.tuckers[0].factors { #expect(orthonormalityError(u) <= 1e-12) }
    }
  }

  /// At full multilinear rank with τ = 0, one rank-adaptive Euler step is the dense Euler step
  /// `Y₀ + h·F(Y₀)`: the augmented bases span everything and nothing is truncated.
  @Test func fullRankAdaptiveEulerStepIsDenseEulerStep() throws {
    var g = testGenerator(201)
    let dims = [3, 4, 5]
    let y0dense = Tensor(
      reshaping: Matrix<Double>.gaussian(rows: 60, columns: 1, using: &g), dimensions: dims)
    let source = Tensor(reshaping: Matrix<Double>.gaussian(rows: 60, columns: 1, using: &g), dimensions: dims)
    let y0 = try TuckerTensor(truncating: y0dense, policy: .relative(0))
    #expect(y0.ranks == dims)
    var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: try .relative(0))
    var field = CubicField(source: source)
    var state = LowRankState(y0)
    let h = 0.05
    let report = try integrator.step(&state, field: &field, from: 0, by: h)
    #expect(report.evaluations == 2)
    #expect(report.tuckerRanks == [dims])
    let expected = zip(y0dense.elements, source.elements).map { $0 + h * ($1 - $0 * $0 * $0) }
    let error = relativeDifference(state.tuckers[0].dense(), try Tensor(dimensions: dims, elements: expected))
    #expect(error <= 1e-12, "relative difference \(error)")
  }

  /// On `Y' = G − Y∘Y∘Y` from a low-rank start, the rank-adaptive Tucker BUG with a tolerance
  /// proportional to h² converges to the dense solution at first order or better
  /// (Ceruti, Kusch & Lubich 2022, Thm. 5: error O(h + ϑ/h)).
  @Test func adaptiveTuckerConvergesOnNonlinearProblem() throws {
    var g = testGenerator(202)
    let dims = [6, 5, 4]
    let start = MovingTucker(dimensions: dims, ranks: [2, 2, 2], using: &g).value(0)
    let source = MovingTucker(dimensions: dims, ranks: [1, 1, 1], using: &g).value(0)
    // Dense reference: RK4 with 2000 steps (error ~1e-13, far below the errors compared).
    func rate(_ y: [Double]) -> [Double] { zip(y, source.elements).map { $1 - $0 * $0 * $0 } }
    var y = start.elements
    let t1 = 0.5
    let hRef = t1 / 2000
    for _ in 0..<2000 {
      let k1 = rate(y)
      let k2 = rate(zip(y, k1).map { $0 + hRef / 2 * $1 })
      let k3 = rate(zip(y, k2).map { $0 + hRef / 2 * $1 })
      let k4 = rate(zip(y, k3).map { $0 + hRef * $1 })
      y = (0..<y.count).map { y[$0] + hRef / 6 * (k1[$0] + 2 * k2[$0] + 2 * k3[$0] + k4[$0]) }
    }
    let reference = try Tensor(dimensions: dims, elements: y)
    var errors: [Double] = []
    let stepCounts = [5, 10, 20, 40]
    for steps in stepCounts {
      let h = t1 / Double(steps)
      var integrator = AdaptiveBUG(solver: RungeKutta4<Double>(), truncation: try .absolute(h * h * 1e-2))
      var field = CubicField(source: source)
      let initial = LowRankState(try TuckerTensor(truncating: start, policy: .relative(1e-12)))
      let solution = try integrate(
        &integrator, field: &field, initial: initial, from: 0, to: t1, steps: steps)
      errors.append(relativeDifference(solution.state.tuckers[0].dense(), reference))
    }
    let order = observedOrder(stepSizes: stepCounts.map { t1 / Double($0) }, errors: errors)
    #expect(order >= 0.9, "errors \(errors), observed order \(order)")
    #expect(errors.last! <= 1e-2, "errors \(errors)")
  }

  @Test func matrixOnlyIntegratorsRejectTuckerBlocks() throws {
    var g = testGenerator(203)
    let tucker = MovingTucker(dimensions: [4, 4, 3], ranks: [2, 2, 2], using: &g)
    let state = LowRankState(try TuckerTensor(truncating: tucker.value(0), policy: .fixedRank(2)))
    let policy = try TruncationPolicy.relative(0.1)
    let integrators: [any LowRankIntegrator<Double>] = [
      ProjectorSplitting(solver: ExplicitEuler<Double>(), variant: .lie),
      ParallelBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      MidpointBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      FactorGradientFlow(solver: ExplicitEuler<Double>()),
    ]
    for integrator in integrators {
      var integrator = integrator
      var s = state
      var field = TrajectoryField(matrices: [], tensors: [tucker])
      #expect(throws: IntegratorError.self, "\(integrator.name)") {
        try integrator.step(&s, field: &field, from: 0, by: 0.1)
      }
      #expect(s == state)
    }
  }

  /// Frozen bases: only the core moves, so the factors stay and the core follows the Galerkin
  /// equation; with the exact trajectory's derivative, one Euler step moves the core by
  /// `h·Ȧ(0) ×ₖ U_kᵀ`.
  @Test func frozenBasesMoveOnlyTheCore() throws {
    var g = testGenerator(204)
    let tucker = MovingTucker(dimensions: [5, 4, 3], ranks: [2, 2, 2], using: &g)
    let y0 = try TuckerTensor(truncating: tucker.value(0), policy: .fixedRank(2))
    var state = LowRankState(y0)
    var integrator = FrozenBasesGalerkin(solver: ExplicitEuler<Double>())
    var field = TrajectoryField(matrices: [], tensors: [tucker])
    let h = 0.1
    _ = try integrator.step(&state, field: &field, from: 0, by: h)
    #expect(state.tuckers[0].factors == y0.factors)
    let projected = tucker.derivative(0).multiplied(by: y0.factors.map { $0.transposed() })
    let expected = zip(y0.core.elements, projected.elements).map { $0 + h * $1 }
    let error = relativeDifference(
      state.tuckers[0].core, try Tensor(dimensions: [2, 2, 2], elements: expected))
    #expect(error <= 1e-13)
  }
}
