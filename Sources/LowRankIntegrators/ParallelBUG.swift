import MatrixManifold

/// The parallel rank-adaptive BUG integrator of Ceruti, Kusch & Lubich, "A parallel
/// rank-adaptive integrator for dynamical low-rank approximation", SIAM J. Sci. Comput. (2024).
///
/// K-step, L-step and a Galerkin S-step in the old bases (`S̄' = U₀ᵀ·F(U₀·S̄·V₀ᵀ)·V₀`) all start
/// from Y₀ and are independent, so one field evaluation serves all three at the initial point.
/// The bases are augmented, `Û = [U₀, Ũ]`, `V̂ = [V₀, Ṽ]` with Ũ, Ṽ completing `K₁`, `L₁`, and
/// the new core is `Ŝ = [[S̄₁, L₁ᵀṼ], [ŨᵀK₁, 0]]`, truncated by ``truncation``. First order.
public struct ParallelBUG<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  public var solver: Solver
  /// How each block's rank is chosen after the step.
  public var truncation: TruncationPolicy

  public init(solver: Solver, truncation: TruncationPolicy) {
    self.solver = solver
    self.truncation = truncation
  }
  public var name: String { "bug-parallel" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
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
      let uTilde = Matrix.orthonormalExtension(of: u0, by: k1)
      let vTilde = Matrix.orthonormalExtension(of: v0, by: l1)
      let (p, q) = (uTilde.columns, vTilde.columns)
      var core = Matrix<Scalar>(rows: r + p, columns: r + q)
      core.assign(s1)
      core.assign(l1.transposedTimes(vTilde), row: 0, column: r)
      core.assign(uTilde.transposedTimes(k1), row: r, column: 0)
      factored.append(
        Factored(u: Matrix.concatenated(u0, uTilde), s: core, v: Matrix.concatenated(v0, vTilde)))
    }
    let truncations = try state.assignTruncated(factored, truncation)
    try state.checkFinite(at: t + h)
    return StepReport(truncations, ranks: state.ranks, counters: counters)
  }
}

/// An orthonormal basis of `[U₀, extra]` whose leading columns span U₀ (thin QR of the
/// concatenation, whose first r columns are U₀ up to signs and rounding): the augmented bases of
/// the rank-adaptive integrators (Ceruti, Kusch & Lubich 2022).
///
/// The QR re-orthonormalises U₀ as well. Reusing U₀ as it is (`[U₀, Ũ]` with Ũ from
/// `Matrix.orthonormalExtension`) is not safe over many steps: the rounding of every step's
/// products accumulates in U, in Float training it lost orthogonality after about 1500 steps
/// (‖UᵀU − I‖ from 1e-6 to 1e-3, then 4) and the run diverged.
func augmented<Scalar>(_ basis: Matrix<Scalar>, with extra: Matrix<Scalar>) throws -> Matrix<Scalar> {
  try Matrix.concatenated(basis, extra).orthonormalized()
}
