import MatrixManifold

/// The gradient flow on the two factors of `Y = A·Bᵀ` ("vanilla" factorised training): the
/// baseline that dynamical low-rank training is compared with.
///
/// For `Y' = F(Y)` it integrates `A' = F(A·Bᵀ)·B`, `B' = F(A·Bᵀ)ᵀ·A`, which for `F = −∇𝓛` is plain
/// gradient descent on the factors of each layer (`∇_A 𝓛 = ∇_Y 𝓛·B`, `∇_B 𝓛 = ∇_Y 𝓛ᵀ·A`). Unlike
/// the integrators of dynamical low-rank approximation it does not follow the projected flow on
/// the manifold of rank-r matrices, and its result depends on how Y is split into A and B.
///
/// The factors A and B are this integrator's own state, kept between steps. The state it
/// writes back is an ordinary `LowRankMatrix` with orthonormal bases (`A = Q_A·R_A`,
/// `B = Q_B·R_B`, `Y = Q_A·(R_A·R_Bᵀ)·Q_Bᵀ`). When a block arrives that this integrator did not
/// write (the first step, or a state changed in between), it is split in balanced form:
/// `S = P·Σ·Qᵀ`, `A = U·P·Σ^½`, `B = V·Q·Σ^½` (spectral initialisation of factorised layers).
/// The rank never changes. Dense parameters move with the factors, from the same evaluation.
public struct FactorGradientFlow<Solver: SubstepSolver>: LowRankIntegrator {
  /// The element type.
  public typealias Scalar = Solver.Scalar
  /// The optimizer (or ODE solver) applied to the factors and the dense parameters.
  public var solver: Solver
  /// Per block: the factors A, B and the state block they were written as.
  private var factors: [(a: Matrix<Scalar>, b: Matrix<Scalar>, written: LowRankMatrix<Scalar>)] = []

  /// The flow advanced by `solver`.
  public init(solver: Solver) { self.solver = solver }
  /// "factor-gradient-flow".
  public var name: String { "factor-gradient-flow" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    try state.requireMatrixBlocksOnly(name)
    let blocks = state.blocks.count
    if factors.count != blocks { factors = [] }
    var x: [Matrix<Scalar>] = []
    var aFactors: [Matrix<Scalar>] = []
    var bFactors: [Matrix<Scalar>] = []
    for (i, y) in state.blocks.enumerated() {
      if i < factors.count, factors[i].written == y {
        aFactors.append(factors[i].a)
        bFactors.append(factors[i].b)
      } else {
        let (a, b) = try Self.balancedFactors(y)
        aFactors.append(a)
        bFactors.append(b)
      }
    }
    x = aFactors + bFactors + state.dense
    let keys =
      (0..<blocks).map { ParameterKey(.k, $0) } + (0..<blocks).map { ParameterKey(.l, $0) }
      + state.dense.indices.map { ParameterKey(.dense, $0) }
    // The factors are plain parameters: no basis to carry optimizer state into.
    solver.useBases(
      keys: keys, left: Array(repeating: nil, count: keys.count),
      right: Array(repeating: nil, count: keys.count))
    var evaluations = 0
    var objective: Double?
    let denseCount = state.dense.count
    try solver.advance(&x, keys: keys, from: t, by: h) { time, x, _ in
      let requests = (0..<blocks).map { b in
        FieldEvaluation<Scalar>.Block(a: x[b], b: x[blocks + b], rightBasis: x[blocks + b], leftBasis: x[b])
      }
      var e = FieldEvaluation(
        time: time, blocks: requests, dense: Array(x[(2 * blocks)...]), wantsDenseRates: denseCount > 0)
      try field.evaluate(&e)
      evaluations += 1
      objective = e.objective ?? objective
      return e.blocks.map(\.fTimesV) + e.blocks.map(\.fTransposeTimesU) + (denseCount > 0 ? e.denseRates : [])
    }
    guard x.allSatisfy(\.isFinite) else { throw IntegratorError.nonFinite(time: t + h) }
    var newBlocks: [LowRankMatrix<Scalar>] = []
    factors = []
    for b in 0..<blocks {
      let (a, bb) = (x[b], x[blocks + b])
      let qa = try a.qr()
      let qb = try bb.qr()
      let y = try LowRankMatrix(u: qa.q, s: qa.r.timesTransposed(qb.r), v: qb.q)
      newBlocks.append(y)
      factors.append((a, bb, y))
    }
    state.blocks = newBlocks
    state.dense = Array(x[(2 * blocks)...])
    try state.checkFinite(at: t + h)
    return StepReport(
      ranks: state.ranks, singularValues: try coreSingularValues(state),
      discardedNorm: state.blocks.map { _ in 0 }, evaluations: evaluations, objective: objective)
  }

  /// `A = U·P·Σ^½`, `B = V·Q·Σ^½` from the SVD `S = P·Σ·Qᵀ`: `A·Bᵀ = Y` with ‖A‖ = ‖B‖.
  static func balancedFactors(_ y: LowRankMatrix<Scalar>) throws -> (Matrix<Scalar>, Matrix<Scalar>) {
    let f = try y.s.svd()
    let root = Matrix<Scalar>.diagonal(f.singularValues.map { $0.squareRoot() })
    return (y.u * (f.u * root), y.v * f.vt.transposed() * root)
  }
}
