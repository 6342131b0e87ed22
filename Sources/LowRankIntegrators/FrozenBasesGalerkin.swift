import MatrixManifold

/// The Galerkin core equation with frozen bases: for each block `Y = U·S·Vᵀ` only the core moves,
/// `S' = Uᵀ·F(U·S·Vᵀ)·V`, with U and V fixed; dense parameters move with it, from the same
/// evaluation. One evaluation per step for explicit solvers; ranks never change. A Tucker block
/// likewise moves only its core, `C' = F(C ×ₖ U_k) ×ₖ U_kᵀ`.
///
/// This is the S-step of the BUG integrators on its own. In dynamical low-rank training it is the
/// fine-tuning phase after rank-adaptive training or after compressing a trained network: the
/// bases found so far are kept and only the r×r cores (and the dense layers) are trained.
public struct FrozenBasesGalerkin<Solver: SubstepSolver>: LowRankIntegrator {
  /// The element type.
  public typealias Scalar = Solver.Scalar
  /// The solver (or optimizer) of the core equations.
  public var solver: Solver

  /// The core flow advanced by `solver`.
  public init(solver: Solver) { self.solver = solver }
  /// "frozen-bases".
  public var name: String { "frozen-bases" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    var counters = StepCounters()
    var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
    system.s = state.blocks.map(\.s)
    system.evolveDense = true
    system.tucker = .coreSteps(state.tuckers, bases: state.tuckers.map(\.factors))
    try system.solve(
      field: &field, solver: &solver, dense: &state.dense, from: t, by: h,
      evaluations: &counters.evaluations, objective: &counters.objective)
    state.blocks = try state.blocks.indices.map {
      try LowRankMatrix(u: state.blocks[$0].u, s: system.s![$0], v: state.blocks[$0].v)
    }
    state.tuckers = try zip(system.tucker.cores, state.tuckers).map {
      try TuckerTensor(core: $0, factors: $1.factors)
    }
    try state.checkFinite(at: t + h)
    return StepReport(
      ranks: state.ranks, singularValues: try coreSingularValues(state),
      discardedNorm: state.blocks.map { _ in 0 }, evaluations: counters.evaluations,
      objective: counters.objective, tuckerRanks: state.tuckerRanks)
  }
}
