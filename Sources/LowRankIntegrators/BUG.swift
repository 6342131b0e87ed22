import MatrixManifold

/// The fixed-rank basis-update & Galerkin integrator ("unconventional" integrator) of
/// Ceruti & Lubich, "An unconventional robust integrator for dynamical low-rank approximation",
/// BIT 62 (2022).
///
/// Per step, for every block: K-step `K' = F(K·V₀ᵀ)·V₀` and L-step `L' = F(U₀·Lᵀ)ᵀ·U₀` (independent;
/// evaluated together where they share a point), `U₁ = qr(K₁)`, `V₁ = qr(L₁)`, `M = U₁ᵀU₀`,
/// `N = V₁ᵀV₀`; then the Galerkin S-step `S' = U₁ᵀ·F(U₁·S·V₁ᵀ)·V₁` from `M·S₀·Nᵀ`.
/// Dense parameters move with the K- and L-steps. Exact for `F = Ȧ(t)` with rank-r A(t).
public struct BUG<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  public var solver: Solver
  public init(solver: Solver) { self.solver = solver }
  public var name: String { "bug" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    var counters = StepCounters()
    let bases = try basisUpdate(
      &state, field: &field, solver: &solver, from: t, by: h, augment: false, counters: &counters)
    let result = try galerkinStep(
      &state, bases: bases, field: &field, solver: &solver, from: t, by: h, counters: &counters)
    state.blocks = try result.matrices.map { try LowRankMatrix(u: $0.u, s: $0.s, v: $0.v) }
    state.tuckers = try result.tuckers.map { try TuckerTensor(core: $0.core, factors: $0.factors) }
    try state.checkFinite(at: t + h)
    return StepReport(
      ranks: state.ranks, singularValues: try coreSingularValues(state),
      discardedNorm: state.blocks.map { _ in 0 }, evaluations: counters.evaluations,
      objective: counters.objective, tuckerRanks: state.tuckerRanks)
  }
}

/// The rank-adaptive BUG integrator of Ceruti, Kusch & Lubich, "A rank-adaptive robust
/// integrator for dynamical low-rank approximation", BIT 62 (2022).
///
/// Tucker blocks of the state are evolved by the Tucker version of the same steps (one K-step
/// per mode, a Galerkin step of the core; see `TuckerSteps`), also augmented and then truncated
/// by HOSVD with the same policy per mode (`TuckerTensor.truncate(core:factors:policy:)`).
///
/// Like ``BUG`` but the new bases are augmented with the old ones: Û is an orthonormal basis of
/// `[U₀, K₁]` and V̂ of `[V₀, L₁]` (rank ≤ 2r, `Matrix.augmentedBasis(with:)`),
/// the Galerkin S-step runs in the augmented space from
/// `(ÛᵀU₀)·S₀·(V̂ᵀV₀)ᵀ`, and the result is truncated by ``truncation``. This is the integrator
/// of dynamical low-rank training (Schotthöfer et al. 2022).
public struct AdaptiveBUG<Solver: SubstepSolver>: LowRankIntegrator {
  public typealias Scalar = Solver.Scalar
  public var solver: Solver
  /// How each block's rank is chosen after the step; a field's
  /// ``LowRankVectorField/rankCeilings`` cap it per block.
  public var truncation: TruncationPolicy
  /// Whether the dense parameters move with the Galerkin step instead of the K- and L-steps.
  ///
  /// The Galerkin step then starts from exactly the point of the K- and L-steps (the augmented
  /// bases contain the old ones, and the dense parameters have not moved yet), and its first
  /// evaluation is marked ``FieldEvaluation/atPreviousPoint`` when the basis update used a single
  /// evaluation (explicit Euler, the optimizers): a field that kept its intermediate results (a
  /// network's activations and back-propagated errors) serves it without a second pass. Both
  /// orders are first-order splittings of the same flow; true is the order of the DLRT reference
  /// implementations, which step the dense parameters from their S pass.
  public var movesDenseWithGalerkinStep: Bool

  public init(solver: Solver, truncation: TruncationPolicy, movesDenseWithGalerkinStep: Bool = false) {
    self.solver = solver
    self.truncation = truncation
    self.movesDenseWithGalerkinStep = movesDenseWithGalerkinStep
  }
  public var name: String { "bug-adaptive" }

  public mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport {
    var counters = StepCounters()
    let bases = try basisUpdate(
      &state, field: &field, solver: &solver, from: t, by: h, augment: true, counters: &counters,
      evolveDense: !movesDenseWithGalerkinStep, announcesGalerkinStep: movesDenseWithGalerkinStep)
    let result = try galerkinStep(
      &state, bases: bases, field: &field, solver: &solver, from: t, by: h, counters: &counters,
      evolveDense: movesDenseWithGalerkinStep,
      atPreviousPoint: movesDenseWithGalerkinStep && counters.evaluations == 1)
    let truncations = try state.assignTruncated(result.matrices, truncation, field: field)
    state.tuckers = try result.tuckers.map {
      try TuckerTensor.truncate(core: $0.core, factors: $0.factors, policy: truncation).tensor
    }
    try state.checkFinite(at: t + h)
    var report = StepReport(truncations, ranks: state.ranks, counters: counters)
    report.tuckerRanks = state.tuckerRanks
    return report
  }
}

/// Evaluations and last objective within one step.
struct StepCounters {
  var evaluations = 0
  var objective: Double?
}

extension StepReport {
  init<Scalar>(_ truncations: [LowRankMatrix<Scalar>.Truncation], ranks: [Int], counters: StepCounters) {
    self.init(
      ranks: ranks,
      singularValues: truncations.map { $0.singularValues.prefix($0.matrix.rank).map(Double.init) },
      discardedNorm: truncations.map { Double($0.discardedNorm) }, evaluations: counters.evaluations,
      objective: counters.objective)
  }
}

/// New bases and the transformed initial core of a BUG-type step.
struct BasisUpdate<Scalar: BLASScalar> {
  /// New left bases U₁ (or Û), per block.
  var u: [Matrix<Scalar>]
  /// New right bases V₁ (or V̂), per block.
  var v: [Matrix<Scalar>]
  /// The K- and L-step results, per block (used by the parallel integrator).
  var k: [Matrix<Scalar>]
  var l: [Matrix<Scalar>]
  /// Augmented bases only: per block Û and V̂ with their leading factors R_u, R_v
  /// (`Û[:, :r]·R_u = U₀`, `V̂[:, :r]·R_v = V₀`; ``AugmentedBasis``), so that
  /// `Y₀ = Û·[[R_u·S₀·R_vᵀ, 0], [0, 0]]·V̂ᵀ`.
  var augmented: [(u: AugmentedBasis<Scalar>, v: AugmentedBasis<Scalar>)]?
  /// Per block, Y₀'s factors `K₀ = U₀·S₀` and V₀.
  var initialPoint: [(a: Matrix<Scalar>, b: Matrix<Scalar>)]
  /// Per block, `F(Y₀)·V₀` from the K-step's evaluation at Y₀.
  var initialFTimesV: [Matrix<Scalar>]
  /// New bases of the Tucker blocks, per tensor and mode.
  var tuckers: [[Matrix<Scalar>]] = []
  /// The Tucker blocks' initial points formed densely by the K-steps, for the core step.
  var tuckerPoints: [Tensor<Scalar>] = []
}

/// What a Galerkin step produced: per matrix block `Û·S₁·V̂ᵀ`, per Tucker block its core and bases.
struct GalerkinResult<Scalar: BLASScalar> {
  var matrices: [Factored<Scalar>]
  var tuckers: [(core: Tensor<Scalar>, factors: [Matrix<Scalar>])]
}

/// K- and L-steps of the BUG family from `Y₀`, evaluated together at the initial point, and the
/// new (optionally augmented) orthonormal bases. Dense parameters move here unless `evolveDense`
/// is false. `announcesGalerkinStep` tells the field that the Galerkin step's request at the same
/// point follows, with the augmented right bases (2r columns, at most the side). The state keeps Y₀.
func basisUpdate<Scalar, Field: LowRankVectorField<Scalar>, Solver: SubstepSolver<Scalar>>(
  _ state: inout LowRankState<Scalar>, field: inout Field, solver: inout Solver,
  from t: Double, by h: Double, augment: Bool, counters: inout StepCounters, evolveDense: Bool = true,
  announcesGalerkinStep: Bool = false
) throws -> BasisUpdate<Scalar> {
  var system = SubstepSystem(u: state.blocks.map(\.u), v: state.blocks.map(\.v))
  // Job 2b is block b's K₀ = U₀S₀, 2b + 1 its L₀ = V₀S₀ᵀ.
  let start = state.blocks
  let initial = concurrentMap(2 * start.count, threads: field.blockConcurrency) { job in
    let y = start[job / 2]
    return job % 2 == 0 ? y.u * y.s : y.v.timesTransposed(y.s)
  }
  let k0 = start.indices.map { initial[2 * $0] }
  system.k = k0
  system.l = start.indices.map { initial[2 * $0 + 1] }
  system.evolveDense = evolveDense
  if announcesGalerkinStep {
    // The S-step asks for F·V̂ only (Ûᵀ·F·V̂ is formed by the integrator), and of it only the new
    // directions of V̂ (`knownLeadingFTimesV` in `galerkinStep`): at most r columns.
    system.followUp = state.blocks.map { Swift.min($0.rank, $0.v.rows - $0.rank) }
  }
  system.tucker = try .kSteps(state.tuckers)
  try system.solve(
    field: &field, solver: &solver, dense: &state.dense, from: t, by: h,
    evaluations: &counters.evaluations, objective: &counters.objective)
  let (k, l) = (system.k!, system.l!)
  let tuckerBases = try system.tucker.newBases(state.tuckers, augment: augment, time: t + h)
  let blocks = state.blocks
  if augment {
    for b in blocks.indices where !(k[b].isFinite && l[b].isFinite) {
      throw IntegratorError.nonFinite(time: t + h)
    }
  }
  // Job 2b is block b's left basis, 2b + 1 its right basis; independent of each other.
  func factors(_ job: Int) -> (old: Matrix<Scalar>, new: Matrix<Scalar>) {
    job % 2 == 0 ? (blocks[job / 2].u, k[job / 2]) : (blocks[job / 2].v, l[job / 2])
  }
  let bases: [Matrix<Scalar>]
  var augmented: [(u: AugmentedBasis<Scalar>, v: AugmentedBasis<Scalar>)]?
  if augment {
    // Û spans [U₀, K₁], V̂ spans [V₀, L₁] (Ceruti, Kusch & Lubich 2022).
    let results = try concurrentMap(2 * blocks.count, threads: field.blockConcurrency) { job in
      let (old, new) = factors(job)
      return try old.augmentedBasis(with: new)
    }
    bases = results.map(\.basis)
    augmented = blocks.indices.map { (results[2 * $0], results[2 * $0 + 1]) }
  } else {
    bases = try concurrentMap(2 * blocks.count, threads: field.blockConcurrency) {
      try factors($0).new.orthonormalized()
    }
  }
  return BasisUpdate(
    u: blocks.indices.map { bases[2 * $0] }, v: blocks.indices.map { bases[2 * $0 + 1] }, k: k, l: l,
    augmented: augmented,
    initialPoint: blocks.indices.map { (k0[$0], blocks[$0].v) },
    initialFTimesV: system.initialFTimesV,
    tuckers: tuckerBases, tuckerPoints: system.tucker.initialPoints)
}

/// `U·S·Vᵀ` with orthonormal U (n×k), V (m×l) and a k×l core that need not be square: the
/// augmented bases can differ in size when n or m is smaller than 2r.
struct Factored<Scalar: BLASScalar> {
  var u: Matrix<Scalar>
  var s: Matrix<Scalar>
  var v: Matrix<Scalar>

  /// Truncated by `policy` into a square factorisation.
  func truncated(_ policy: TruncationPolicy) throws -> LowRankMatrix<Scalar>.Truncation {
    try LowRankMatrix.truncate(basisU: u, core: s, basisV: v, policy: policy)
  }
}

extension LowRankState {
  /// Replaces every block by its truncation by `policy`, capped at the field's
  /// ``LowRankVectorField/rankCeilings``, returning what was kept and dropped; the blocks' SVDs on
  /// the field's ``LowRankVectorField/blockConcurrency`` threads.
  mutating func assignTruncated(
    _ factored: [Factored<Scalar>], _ policy: TruncationPolicy, field: some LowRankVectorField<Scalar>
  ) throws -> [LowRankMatrix<Scalar>.Truncation] {
    let ceilings = field.rankCeilings
    precondition(
      ceilings.map { $0.count == factored.count } ?? true,
      "rankCeilings has \(ceilings?.count ?? 0) entries for \(factored.count) blocks")
    let truncations = try concurrentMap(factored.count, threads: field.blockConcurrency) { b in
      try factored[b].truncated(ceilings.map { policy.capped(at: $0[b]) } ?? policy)
    }
    blocks = truncations.map(\.matrix)
    return truncations
  }
}

/// The Galerkin S-step of the BUG family: `S' = Ûᵀ·F(Û·S·V̂ᵀ)·V̂` from `(ÛᵀU₀)·S₀·(V̂ᵀV₀)ᵀ`,
/// and for Tucker blocks `Ĉ' = F(Ĉ ×ₖ Û_k) ×ₖ Û_kᵀ` from `C₀ ×ₖ (Û_kᵀU_k)`.
/// Returns `Û, S₁, V̂` per block and `Ĉ₁, Û_k` per Tucker block; the state (Y₀) is not changed.
func galerkinStep<Scalar, Field: LowRankVectorField<Scalar>, Solver: SubstepSolver<Scalar>>(
  _ state: inout LowRankState<Scalar>, bases: BasisUpdate<Scalar>, field: inout Field, solver: inout Solver,
  from t: Double, by h: Double, counters: inout StepCounters, evolveDense: Bool = false,
  atPreviousPoint: Bool = false
) throws -> GalerkinResult<Scalar> {
  var system = SubstepSystem(u: bases.u, v: bases.v)
  system.s = state.blocks.indices.map { b in
    let y = state.blocks[b]
    guard let augmented = bases.augmented?[b] else {
      let m = bases.u[b].transposedTimes(y.u)
      let n = bases.v[b].transposedTimes(y.v)
      return (m * y.s).timesTransposed(n)
    }
    // Augmented bases: ÛᵀU₀ = [R_u; 0] and V̂ᵀV₀ = [R_v; 0], so Û·Ŝ₀·V̂ᵀ is Y₀ itself.
    var s0 = Matrix<Scalar>(rows: bases.u[b].columns, columns: bases.v[b].columns)
    s0.assign((augmented.u.leadingFactor * y.s).timesTransposed(augmented.v.leadingFactor))
    return s0
  }
  if let augmented = bases.augmented {
    // Then the Galerkin step starts from Y₀: evaluated from the factors K₀ and V₀ (rank r), not
    // from Û·Ŝ₀ and V̂ (rank 2r).
    system.initialPoint = bases.initialPoint
    if atPreviousPoint, !bases.initialFTimesV.isEmpty {
      // At the K-step's point: F·V̂'s leading columns are F·V₀·R_v⁻¹ from that evaluation, so only
      // the new directions of V̂ are requested.
      system.knownLeadingFTimesV = augmented.indices.map {
        augmented[$0].v.leadingProduct(fromProductWithOld: bases.initialFTimesV[$0])
      }
    }
  }
  system.tucker = .coreSteps(state.tuckers, bases: bases.tuckers, initialPoints: bases.tuckerPoints)
  system.evolveDense = evolveDense
  system.initialAtPreviousPoint = atPreviousPoint
  try system.solve(
    field: &field, solver: &solver, dense: &state.dense, from: t, by: h,
    evaluations: &counters.evaluations, objective: &counters.objective)
  return GalerkinResult(
    matrices: state.blocks.indices.map { Factored(u: bases.u[$0], s: system.s![$0], v: bases.v[$0]) },
    tuckers: zip(system.tucker.cores, bases.tuckers).map { ($0, $1) })
}
