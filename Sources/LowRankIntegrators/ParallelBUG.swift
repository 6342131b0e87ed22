import MatrixManifold

/// The parallel rank-adaptive BUG integrator of Ceruti, Kusch & Lubich, "A parallel
/// rank-adaptive integrator for dynamical low-rank approximation", SIAM J. Sci. Comput. (2024).
///
/// K-step, L-step and a Galerkin S-step in the old bases (`S̄' = U₀ᵀ·F(U₀·S̄·V₀ᵀ)·V₀`) all start
/// from Y₀ and are independent, so one field evaluation serves all three at the initial point.
/// The bases are augmented, `Û = [Ū, Ũ]`, `V̂ = [V̄, Ṽ]` with Ū, V̄ spanning U₀, V₀ and Ũ, Ṽ
/// completing `K₁`, `L₁` (`Matrix.augmentedBasis(with:)`), and the new core is
/// `Ŝ = [[S̄₁, L₁ᵀṼ], [ŨᵀK₁, 0]]` (with the old bases U₀, V₀ expressed in Ū, V̄), truncated by
/// ``truncation``. First order.
public struct ParallelBUG<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  public var solver: Solver
  /// How each block's rank is chosen after the step; a field's
  /// ``LowRankVectorField/rankCeilings`` cap it per block.
  public var truncation: TruncationPolicy

  public init(solver: Solver, truncation: TruncationPolicy) {
    self.solver = solver
    self.truncation = truncation
  }
  public var name: String { "bug-parallel" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    try state.requireMatrixBlocksOnly(name)
    var counters = StepCounters()
    var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
    system.k = state.blocks.map { $0.u * $0.s }
    system.l = state.blocks.map { $0.v.timesTransposed($0.s) }
    system.s = state.blocks.map(\.s)
    system.evolveDense = true
    try system.solve(
      field: &field, solver: &solver, dense: &state.dense, from: t, by: h,
      evaluations: &counters.evaluations, objective: &counters.objective)
    var factored: [Factored<Scalar>] = []
    for b in state.blocks.indices {
      let (u0, v0, r) = (state.blocks[b].u, state.blocks[b].v, state.blocks[b].rank)
      let (k1, l1, s1) = (system.k![b], system.l![b], system.s![b])
      guard k1.isFinite, l1.isFinite else { throw IntegratorError.nonFinite(time: t + h) }
      let augmentedU = try u0.augmentedBasis(with: k1)
      let augmentedV = try v0.augmentedBasis(with: l1)
      let (uHat, vHat) = (augmentedU.basis, augmentedV.basis)
      let uTilde = uHat.columns(r..<uHat.columns)
      let vTilde = vHat.columns(r..<vHat.columns)
      // Ū = U₀·R_u⁻¹ re-orthonormalises U₀ (V̄ likewise), so factors in the old bases enter the
      // core through M = ŪᵀU₀ = R_u and N = V̄ᵀV₀ = R_v (close to I; signs in the QR fallback):
      // U₀·X = Ū·(M·X).
      let (m, n) = (augmentedU.leadingFactor, augmentedV.leadingFactor)
      var core = Matrix<Scalar>(rows: uHat.columns, columns: vHat.columns)
      core.assign((m * s1).timesTransposed(n))
      core.assign(m * Matrix.product(l1, vTilde, opA: .transposed), row: 0, column: r)
      core.assign(Matrix.product(uTilde, k1, opA: .transposed).timesTransposed(n), row: r, column: 0)
      factored.append(Factored(u: uHat, s: core, v: vHat))
    }
    let truncations = try state.assignTruncated(factored, truncation, field: field)
    try state.checkFinite(at: t + h)
    return StepReport(truncations, ranks: state.ranks, counters: counters)
  }
}
