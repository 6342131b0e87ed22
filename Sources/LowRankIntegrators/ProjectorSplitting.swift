import MatrixManifold

/// The projector-splitting integrator (KSL) of Lubich & Oseledets, "A projector-splitting
/// integrator for dynamical low-rank approximation", BIT 54 (2014).
///
/// Lie variant, per step: K-step `K' = F(K·V₀ᵀ)·V₀` from `U₀S₀`, `U₁Ŝ = qr(K₁)`; S-step backwards
/// `S' = −U₁ᵀ·F(U₁·S·V₀ᵀ)·V₀` from Ŝ; L-step `L' = F(U₁·Lᵀ)ᵀ·U₁` from `V₀·S̃ᵀ`, `V₁S₁ᵀ = qr(L₁)`.
/// Strang variant: a Lie step over h/2 followed by its adjoint (L, S, K) over h/2; second order.
/// Fixed rank; exact when `F = Ȧ(t)` and A(t) has rank r (with exact substeps).
public struct ProjectorSplitting<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  /// Lie (first order) or Strang (second order) composition.
  public enum Variant: String, Sendable { case lie, strang }

  public var solver: Solver
  public let variant: Variant

  public init(solver: Solver, variant: Variant = .lie) {
    self.solver = solver
    self.variant = variant
  }

  public var name: String { variant == .lie ? "ksl" : "ksl-strang" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    try state.requireMatrixBlocksOnly(name)
    var evaluations = 0
    var objective: Double?
    switch variant {
    case .lie:
      try ksl(&state, field: &field, from: t, by: h, evaluations: &evaluations, objective: &objective)
    case .strang:
      try ksl(&state, field: &field, from: t, by: h / 2, evaluations: &evaluations, objective: &objective)
      try lsk(
        &state, field: &field, from: t + h / 2, by: h / 2, evaluations: &evaluations, objective: &objective)
    }
    try state.checkFinite(at: t + h)
    return StepReport(
      ranks: state.ranks, singularValues: try coreSingularValues(state),
      discardedNorm: state.blocks.map { _ in 0 }, evaluations: evaluations, objective: objective)
  }

  private mutating func ksl<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double,
    evaluations: inout Int, objective: inout Double?
  ) throws {
    try kStep(&state, &field, t, h, &evaluations, &objective)
    try sStep(&state, &field, t, h, &evaluations, &objective)
    try lStep(&state, &field, t, h, &evaluations, &objective)
  }

  private mutating func lsk<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double,
    evaluations: inout Int, objective: inout Double?
  ) throws {
    try lStep(&state, &field, t, h, &evaluations, &objective)
    try sStep(&state, &field, t, h, &evaluations, &objective)
    try kStep(&state, &field, t, h, &evaluations, &objective)
  }

  /// K-step: evolves K = U·S with V fixed, then U·S ← qr(K). Dense parameters move here.
  private mutating func kStep<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, _ field: inout Field, _ t: Double, _ h: Double,
    _ evaluations: inout Int, _ objective: inout Double?
  ) throws {
    var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
    system.k = state.blocks.map { $0.u * $0.s }
    system.evolveDense = true
    try system.solve(
      field: &field, solver: &solver, dense: &state.dense, from: t, by: h, evaluations: &evaluations,
      objective: &objective)
    for (b, k1) in system.k!.enumerated() {
      let (q, r) = try k1.qr()
      state.blocks[b].u = q
      state.blocks[b].s = r
    }
  }

  /// S-step backwards in time: `S' = −Uᵀ·F(U·S·Vᵀ)·V`.
  private mutating func sStep<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, _ field: inout Field, _ t: Double, _ h: Double,
    _ evaluations: inout Int, _ objective: inout Double?
  ) throws {
    var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
    system.s = state.blocks.map(\.s)
    system.sSign = -1
    try system.solve(
      field: &field, solver: &solver, dense: &state.dense, from: t, by: h, evaluations: &evaluations,
      objective: &objective)
    for (b, s) in system.s!.enumerated() { state.blocks[b].s = s }
  }

  /// L-step: evolves L = V·Sᵀ with U fixed, then V·Sᵀ ← qr(L).
  private mutating func lStep<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, _ field: inout Field, _ t: Double, _ h: Double,
    _ evaluations: inout Int, _ objective: inout Double?
  ) throws {
    var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
    system.l = state.blocks.map { $0.v.timesTransposed($0.s) }
    try system.solve(
      field: &field, solver: &solver, dense: &state.dense, from: t, by: h, evaluations: &evaluations,
      objective: &objective)
    for (b, l1) in system.l!.enumerated() {
      let (q, r) = try l1.qr()
      state.blocks[b].v = q
      state.blocks[b].s = r.transposed()
    }
  }
}
