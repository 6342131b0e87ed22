import MatrixManifold

/// A second-order rank-adaptive BUG integrator built on the midpoint rule, after Ceruti,
/// Einkemmer, Kusch & Lubich, "A robust second-order low-rank BUG integrator based on the
/// midpoint rule", BIT 64 (2024).
///
/// Per step:
/// 1. an augmented BUG step over h/2 (no truncation) gives `Y½ = Û½·Ŝ½·V̂½ᵀ` (rank ≤ 2r);
/// 2. at Y½, `G·V̂½` and `Gᵀ·Û½` with `G = F(t + h/2, Y½)`;
/// 3. the bases Û of `[Û½, G·V̂½]` and V̂ of `[V̂½, Gᵀ·Û½]` (rank ≤ 4r, augmented as in
///    ``AdaptiveBUG``) contain `U₀`, `V₀` and the
///    range of the tangent projection of G at Y½;
/// 4. the midpoint-rule Galerkin step `Ŝ₁ = (ÛᵀU₀)·S₀·(V̂ᵀV₀)ᵀ + h·Ûᵀ·G·V̂`;
/// 5. truncation by ``truncation``.
/// The local error is `O(h³)` plus h times the normal component of F, so the method is second
/// order with a robust error bound. The solver is used for the half step only.
public struct MidpointBUG<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  public var solver: Solver
  /// How each block's rank is chosen after the step; a field's
  /// ``LowRankVectorField/rankCeilings`` cap it per block.
  public var truncation: TruncationPolicy

  public init(solver: Solver, truncation: TruncationPolicy) {
    self.solver = solver
    self.truncation = truncation
  }
  public var name: String { "bug-midpoint" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    try state.requireMatrixBlocksOnly(name)
    var counters = StepCounters()
    // 1. Half step with the augmented BUG, untruncated.
    var halfState = state
    let halfBases = try basisUpdate(
      &halfState, field: &field, solver: &solver, from: t, by: h / 2, augment: true, counters: &counters)
    let half = try galerkinStep(
      &halfState, bases: halfBases, field: &field, solver: &solver, from: t, by: h / 2, counters: &counters
    ).matrices
    guard half.allSatisfy({ $0.s.isFinite }) else { throw IntegratorError.nonFinite(time: t + h / 2) }

    // 2. G·V̂½ and Gᵀ·Û½ at the midpoint, with the dense rates there.
    let tMid = t + h / 2
    var e = FieldEvaluation(
      time: tMid,
      blocks: half.map { .init(a: $0.u * $0.s, b: $0.v, rightBasis: $0.v, leftBasis: $0.u) },
      dense: halfState.dense, wantsDenseRates: !state.dense.isEmpty)
    try field.evaluate(&e)
    counters.evaluations += 1

    // 3. Bases for the full step.
    var uHat: [Matrix<Scalar>] = []
    var vHat: [Matrix<Scalar>] = []
    for (b, y) in half.enumerated() {
      guard e.blocks[b].fTimesV.isFinite, e.blocks[b].fTransposeTimesU.isFinite else {
        throw IntegratorError.nonFinite(time: tMid)
      }
      uHat.append(try y.u.augmentedBasis(with: e.blocks[b].fTimesV).basis)
      vHat.append(try y.v.augmentedBasis(with: e.blocks[b].fTransposeTimesU).basis)
    }

    // 4. Midpoint-rule Galerkin step: needs G·V̂ in the new right bases.
    var g = FieldEvaluation(
      time: tMid,
      blocks: half.indices.map {
        .init(a: half[$0].u * half[$0].s, b: half[$0].v, rightBasis: vHat[$0], leftBasis: nil)
      },
      dense: halfState.dense)
    try field.evaluate(&g)
    counters.evaluations += 1
    counters.objective = g.objective ?? e.objective ?? counters.objective
    let full = state.blocks.indices.map { b in
      let y = state.blocks[b]
      var core = (uHat[b].transposedTimes(y.u) * y.s).timesTransposed(vHat[b].transposedTimes(y.v))
      core.add(uHat[b].transposedTimes(g.blocks[b].fTimesV), scaledBy: Scalar(h))
      return Factored(u: uHat[b], s: core, v: vHat[b])
    }
    for i in state.dense.indices {
      state.dense[i] = state.dense[i].adding(e.denseRates[i], scaledBy: Scalar(h))
    }

    let truncations = try state.assignTruncated(full, truncation, field: field)
    try state.checkFinite(at: t + h)
    return StepReport(truncations, ranks: state.ranks, counters: counters)
  }
}
