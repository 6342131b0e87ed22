import LowRankIntegrators
import MatrixManifold
import TestSupport
import Testing

/// Every integrator with RK4 substeps; adaptive ones with a loose policy.
func allIntegrators(maxRank: Int, tolerance: Double = 1e-12) -> [any LowRankIntegrator<Double>] {
  let policy = try! TruncationPolicy.absolute(tolerance, maxRank: maxRank)
  return [
    ProjectorSplitting(solver: RungeKutta4<Double>(), variant: .lie),
    ProjectorSplitting(solver: RungeKutta4<Double>(), variant: .strang),
    BUG(solver: RungeKutta4<Double>()),
    AdaptiveBUG(solver: RungeKutta4<Double>(), truncation: policy),
    ParallelBUG(solver: RungeKutta4<Double>(), truncation: policy),
    MidpointBUG(solver: RungeKutta4<Double>(), truncation: policy),
  ]
}

func run(
  _ integrator: any LowRankIntegrator<Double>, field: some LowRankVectorField<Double>,
  initial: LowRankState<Double>, to t1: Double, steps: Int
) throws -> Solution<Double> {
  var integrator = integrator
  var field = field
  return try integrate(&integrator, field: &field, initial: initial, from: 0, to: t1, steps: steps)
}

@Suite struct ExactnessTests {
  /// Lubich & Oseledets (2014, Thm. 4.1) and Ceruti & Lubich (2022, Thm. 4.1): for F = Ȧ(t) with
  /// rank-r A(t), the integrators reproduce A exactly. Ȧ is linear in t, so RK4 substeps are exact;
  /// what remains is rounding: 1e-10 relative leaves room for ~10⁵ ulps of QR/GEMM error.
  @Test(arguments: [1, 3, 10])
  func reproduceRankRTrajectory(steps: Int) throws {
    let problem = LinearFactorsProblem(rows: 30, columns: 20, rank: 4, seed: 100)
    let exactOnes: [any LowRankIntegrator<Double>] = allIntegrators(maxRank: 8).filter {
      $0.name != "bug-parallel"  // parallel BUG is first order even for this problem
    }
    for integrator in exactOnes {
      let solution = try run(
        integrator, field: problem.field, initial: LowRankState(problem.initialValue), to: 1, steps: steps)
      let error = relativeError(solution.state, problem.exactSolution(at: 1))
      #expect(error <= 1e-10, "\(integrator.name), \(steps) steps: relative error \(error)")
      #expect(solution.state.blocks[0].rank == 4, "\(integrator.name): rank \(solution.state.blocks[0].rank)")
    }
  }

  /// The parallel integrator is not exact here, but converges at first order.
  @Test func parallelBUGConvergesOnRankRTrajectory() throws {
    let problem = LinearFactorsProblem(rows: 30, columns: 20, rank: 4, seed: 100)
    let integrator = allIntegrators(maxRank: 8).first { $0.name == "bug-parallel" }!
    let steps = [8, 16, 32, 64]
    let errors = try steps.map { n in
      relativeError(
        try run(
          integrator, field: problem.field, initial: LowRankState(problem.initialValue), to: 1, steps: n
        ).state, problem.exactSolution(at: 1))
    }
    let order = observedOrder(stepSizes: steps.map { 1 / Double($0) }, errors: errors)
    #expect(order > 0.7, "errors \(errors), observed order \(order)")
  }
}

@Suite struct AdaptiveStepTests {
  /// One explicit-Euler step of the rank-adaptive BUG integrator from Y₀ = U₀S₀V₀ᵀ is, before
  /// truncation (τ = 0), `Y₁ = P_Û·(Y₀ + h·F(Y₀))·P_V̂` with P the orthogonal projectors onto
  /// `span[U₀, K₁]` and `span[V₀, L₁]`, `K₁ = U₀S₀ + h·F(Y₀)V₀`, `L₁ = V₀S₀ᵀ + h·F(Y₀)ᵀU₀`: the
  /// Galerkin step starts from Y₀ and takes its rate there. The reference forms F, Y₀ and the
  /// projectors densely, with Householder bases of the concatenations; the integrator takes Ŝ₀
  /// from the augmentation's triangular factors and, in the single-pass order, the leading
  /// columns of `F·V̂` from the K-step's `F·V₀`. Shapes with 2r ≤ side (Gram–Schmidt
  /// augmentation) and 2r > side (Householder fallback, and a full-rank side with no new
  /// direction). U₀ and V₀ carry a drift of 10⁻⁶ from orthonormality, as rounding leaves in
  /// them over many steps, so that the triangular factors differ from I by more than the
  /// tolerance. Tolerance: 1e-12 for O(1) entries, room for the ~10³ ulps of QR and products.
  @Test(arguments: [false, true])
  func oneStepIsTheProjectedEulerStep(movesDenseWithGalerkinStep: Bool) throws {
    var g = testGenerator(610)
    let shapes = [(14, 11), (7, 9), (5, 12)]
    let ranks = [3, 4, 5]
    let targets = shapes.map { Matrix<Double>.gaussian(rows: $0.0, columns: $0.1, using: &g) }
    let initial = LowRankState(
      blocks: try zip(shapes, ranks).map { shape, r in
        let y = randomLowRank(
          rows: shape.0, columns: shape.1, singularValues: (0..<r).map { 1 / Double($0 + 1) }, using: &g)
        let drift = { (m: Matrix<Double>) in
          m + Matrix.gaussian(rows: m.rows, columns: r, standardDeviation: 1e-6, using: &g)
        }
        return try LowRankMatrix(u: drift(y.u), s: y.s, v: drift(y.v))
      })
    let h = 0.3
    var integrator = AdaptiveBUG(
      solver: ExplicitEuler<Double>(), truncation: try .relative(0),
      movesDenseWithGalerkinStep: movesDenseWithGalerkinStep)
    var field = RelaxingBlocks(targets: targets, blockConcurrency: 1)
    var state = initial
    _ = try integrator.step(&state, field: &field, from: 0, by: h)
    for (b, y0) in initial.blocks.enumerated() {
      let point = y0.dense()
      let f = targets[b] - point
      let k1 = y0.u * y0.s + h * (f * y0.v)
      let l1 = y0.v.timesTransposed(y0.s) + h * f.transposedTimes(y0.u)
      let qu = try Matrix.concatenated(y0.u, k1).orthonormalized()
      let qv = try Matrix.concatenated(y0.v, l1).orthonormalized()
      let expected = qu * (qu.transposedTimes(point + h * f) * qv).timesTransposed(qv)
      let error = maxDifference(state.blocks[b].dense(), expected)
      #expect(error < 1e-12, "block \(b) \(shapes[b]) rank \(ranks[b]): error \(error)")
    }
  }
}

@Suite struct RankAdaptivityTests {
  /// `Y' = G` with G of rank k from a rank-r start: `Y(t) = Y₀ + t·G` has rank r + k. The
  /// augmented basis `[K₁, U₀]` contains range(G) after one step when k ≤ r, so the augmented
  /// integrators reach rank r + k and are exact (the K-step with constant F is exact even for
  /// Euler). Fixed-rank BUG cannot leave rank r.
  @Test(arguments: [(1, 1), (3, 3), (2, 1)])
  func augmentedIntegratorsGrowRankAndAreExact(startRank r: Int, sourceRank k: Int) throws {
    var g = testGenerator(200)
    let y0: LowRankMatrix<Double> = randomLowRank(
      rows: 25, columns: 18, singularValues: (0..<r).map { 1 / Double($0 + 1) }, using: &g)
    let p = Matrix<Double>.gaussian(rows: 25, columns: k, using: &g)
    let q = Matrix<Double>.gaussian(rows: 18, columns: k, using: &g)
    let field = LowRankDerivativeField<Double> { _ in (p, q) }
    let exact = y0.dense() + p.timesTransposed(q)
    let policy = try TruncationPolicy.relative(1e-10, maxRank: 10)
    for integrator in [
      AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy) as any LowRankIntegrator<Double>,
      ParallelBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      MidpointBUG(solver: ExplicitEuler<Double>(), truncation: policy),
    ] {
      let solution = try run(integrator, field: field, initial: LowRankState(y0), to: 1, steps: 3)
      let ranks = solution.history.map { $0.ranks[0] }
      #expect(ranks.dropFirst().allSatisfy { $0 == r + k }, "\(integrator.name): ranks \(ranks)")
      if integrator.name == "bug-parallel" {
        // The parallel step drops the block Ũᵀ·G·Ṽ (G's normal part at Y₀) in its first step, an
        // O(h) error that later steps cannot recover: first order, not exact.
        let fine = try run(integrator, field: field, initial: LowRankState(y0), to: 1, steps: 30)
        let (coarseError, fineError) = (
          relativeError(solution.state, exact), relativeError(fine.state, exact)
        )
        #expect(fineError < coarseError / 5, "parallel: \(coarseError) → \(fineError)")
      } else {
        #expect(relativeError(solution.state, exact) <= 1e-12, "\(integrator.name)")
      }
    }
    let fixed = try run(
      BUG(solver: ExplicitEuler<Double>()), field: field, initial: LowRankState(y0), to: 1, steps: 3)
    #expect(fixed.state.blocks[0].rank == r)
    #expect(relativeError(fixed.state, exact) > 0.01)
  }

  /// From rank 1 with a rank-3 source the rank at most doubles per step and reaches at least 4
  /// (the rank of Y(t); the O(h) part of G lost in the first step can add one more).
  @Test func rankAtMostDoublesPerStep() throws {
    var g = testGenerator(202)
    let y0: LowRankMatrix<Double> = randomLowRank(rows: 25, columns: 18, singularValues: [1], using: &g)
    let p = Matrix<Double>.gaussian(rows: 25, columns: 3, using: &g)
    let q = Matrix<Double>.gaussian(rows: 18, columns: 3, using: &g)
    let field = LowRankDerivativeField<Double> { _ in (p, q) }
    let policy = try TruncationPolicy.relative(1e-10, maxRank: 10)
    let solution = try run(
      AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy), field: field,
      initial: LowRankState(y0), to: 1, steps: 6)
    let ranks = solution.history.map { $0.ranks[0] }
    #expect(ranks[0...2] == [1, 2, 4], "ranks \(ranks)")
    #expect(zip(ranks, ranks.dropFirst()).allSatisfy { $1 <= 2 * $0 } && ranks.last! >= 4, "ranks \(ranks)")
  }

  @Test func maxRankIsRespected() throws {
    var g = testGenerator(201)
    let y0: LowRankMatrix<Double> = randomLowRank(rows: 25, columns: 18, singularValues: [1], using: &g)
    let p = Matrix<Double>.gaussian(rows: 25, columns: 6, using: &g)
    let q = Matrix<Double>.gaussian(rows: 18, columns: 6, using: &g)
    var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: try .relative(0, maxRank: 3))
    var field = LowRankDerivativeField<Double> { _ in (p, q) }
    let solution = try integrate(
      &integrator, field: &field, initial: LowRankState(y0), from: 0, to: 1, steps: 4)
    #expect(solution.history.allSatisfy { $0.ranks[0] <= 3 })
    #expect(solution.state.blocks[0].rank == 3)
  }

  /// A field's per-block ceilings cap every rank-adaptive integrator below its policy's max rank:
  /// the same problem grows beyond rank 3 without the ceiling.
  @Test func fieldRankCeilingsAreRespected() throws {
    var g = testGenerator(203)
    let y0: LowRankMatrix<Double> = randomLowRank(rows: 25, columns: 18, singularValues: [1], using: &g)
    let p = Matrix<Double>.gaussian(rows: 25, columns: 6, using: &g)
    let q = Matrix<Double>.gaussian(rows: 18, columns: 6, using: &g)
    let policy = try TruncationPolicy.relative(1e-10, maxRank: 10)
    let integrators: [any LowRankIntegrator<Double>] = [
      AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      ParallelBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      MidpointBUG(solver: ExplicitEuler<Double>(), truncation: policy),
    ]
    for integrator in integrators {
      for ceiling in [3, nil] {
        var field = CeiledField(
          base: LowRankDerivativeField<Double> { _ in (p, q) }, rankCeilings: ceiling.map { [$0] })
        var stepper = integrator
        let solution = try integrate(
          &stepper, field: &field, initial: LowRankState(y0), from: 0, to: 1, steps: 4)
        let ranks = solution.history.map { $0.ranks[0] }
        if ceiling != nil {
          #expect(ranks.allSatisfy { $0 <= 3 } && ranks.last == 3, "\(integrator.name): ranks \(ranks)")
        } else {
          #expect(ranks.last! > 3, "\(integrator.name): ranks \(ranks)")
        }
      }
    }
  }
}

/// A field with the evaluations of `base` and the given per-block rank ceilings.
struct CeiledField<Base: LowRankVectorField>: LowRankVectorField {
  typealias Scalar = Base.Scalar
  var base: Base
  var rankCeilings: [Int]?
  mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws {
    try base.evaluate(&evaluation)
  }
}

@Suite struct ConvergenceTests {
  /// Fixed-rank integrators against the exact solution of the DLRA equation `Y' = P(Y)·F(Y)` at
  /// rank 4, computed independently by dense RK4 with 4096 steps (error ~1e-13). Measuring against
  /// the DLRA solution removes the rank-4 modelling error, so what remains is the time error:
  /// order 1 for Lie splitting and BUG, 2 for Strang splitting (RK4 substeps).
  @Test func fixedRankOrdersAgainstDLRAReference() throws {
    let problem = HeatProblem(
      n: 20, scale: 1, smoothData: false, initialSingularValues: [1, 0.5, 0.25, 0.125])
    let reference = dlraReference(problem, rank: 4, to: 1, steps: 4096)
    try checkOrders(
      ["ksl": 1, "ksl-strang": 2, "bug": 1], of: allIntegrators(maxRank: 4), on: problem, against: reference,
      steps: [16, 32, 64, 128])
  }

  /// Rank-adaptive integrators against the exact solution of the full problem: with tolerance
  /// 1e-12 the truncation error stays far below the time error, so the slope is the time order:
  /// 1 for adaptive and parallel BUG, 2 for midpoint BUG.
  @Test func adaptiveOrdersAgainstExactSolution() throws {
    let problem = HeatProblem()
    let reference = problem.exactSolution(at: 1)
    try checkOrders(
      ["bug-adaptive": 1, "bug-parallel": 1, "bug-midpoint": 2], of: allIntegrators(maxRank: 16), on: problem,
      against: reference, steps: [4, 8, 16, 32])
  }

  /// Errors at t = 1 for each step count, and the least-squares slope, within ±0.3 of `expected`.
  func checkOrders(
    _ expected: [String: Double], of integrators: [any LowRankIntegrator<Double>], on problem: HeatProblem,
    against reference: Matrix<Double>, steps: [Int]
  ) throws {
    for integrator in integrators where expected[integrator.name] != nil {
      let errors = try steps.map { n in
        relativeError(
          try run(
            integrator, field: problem.field, initial: LowRankState(problem.initialValue), to: 1, steps: n
          ).state, reference)
      }
      let order = observedOrder(stepSizes: steps.map { 1 / Double($0) }, errors: errors)
      #expect(
        Swift.abs(order - expected[integrator.name]!) <= 0.3,
        "\(integrator.name): errors \(errors), order \(order)")
    }
  }

  /// The DLRA error at fixed rank approaches the best rank-r approximation error of Y(t).
  @Test func errorVersusRankTracksBestApproximation() throws {
    let problem = HeatProblem(initialSingularValues: [1, 0.3, 0.1, 0.03, 0.01, 0.003])
    let reference = problem.exactSolution(at: 1)
    let sigma = try reference.singularValues()
    var previous = Double.infinity
    for r in [2, 3, 4, 5] {
      let y0 = try LowRankMatrix(truncating: problem.initialValue.dense(), policy: .fixedRank(r))
      let solution = try run(
        BUG(solver: RungeKutta4<Double>()), field: problem.field, initial: LowRankState(y0), to: 1, steps: 200
      )
      let error = Double((solution.state.blocks[0].dense() - reference).frobeniusNorm)
      let best = sigma[r...].reduce(0) { $0 + $1 * $1 }.squareRoot()
      // Not better than the best approximation (up to rounding), and within a modest factor of it.
      #expect(error >= best * (1 - 1e-6), "r=\(r): error \(error) best \(best)")
      #expect(error <= 10 * best + 1e-6, "r=\(r): error \(error) best \(best)")
      #expect(error < previous)
      previous = error
    }
  }
}

/// `count` orthonormal columns orthogonal to the orthonormal `basis`.
func completionBasis(_ basis: Matrix<Double>, count: Int, using g: inout SplitMix64) -> Matrix<Double> {
  let random = Matrix<Double>.gaussian(rows: basis.rows, columns: count, using: &g)
  let q = try! Matrix.concatenated(basis, random).orthonormalized()
  return Matrix(q.columns(basis.columns..<(basis.columns + count)))
}

@Suite struct RobustnessTests {
  /// Kieri, Lubich & Walach (2016): projector splitting and BUG are robust to small singular
  /// values, where the classical DLRA equations have a 1/σ_r stiffness. σ_r = 1e-14 must give
  /// bounded errors and no NaN.
  @Test func smallSingularValues() throws {
    let problem = HeatProblem(initialSingularValues: [1, 1e-3, 1e-8, 1e-14])
    let reference = problem.exactSolution(at: 0.5)
    for integrator in allIntegrators(maxRank: 8) {
      let solution = try run(
        integrator, field: problem.field, initial: LowRankState(problem.initialValue), to: 0.5, steps: 10)
      #expect(solution.state.isFinite, "\(integrator.name)")
      let error = relativeError(solution.state, reference)
      #expect(error < 1e-2, "\(integrator.name): error \(error)")
    }
  }

  @Test func blowUpIsReportedAsTypedError() throws {
    // Y' = 10⁴·Y with explicit Euler and h = 1: the state grows like 10⁴ⁿ and overflows.
    let field = DenseMatrixField<Double> { _, y in y * 1e4 }
    var g = testGenerator(400)
    let y0: LowRankMatrix<Double> = randomLowRank(rows: 6, columns: 5, singularValues: [1, 0.5], using: &g)
    #expect(throws: IntegratorError.self) {
      _ = try run(
        BUG(solver: ExplicitEuler<Double>()), field: field, initial: LowRankState(y0), to: 200, steps: 200)
    }
    #expect(throws: IntegratorError.self) {
      _ = try run(
        BUG(solver: ExplicitEuler<Double>()), field: field, initial: LowRankState(y0), to: 1, steps: 0)
    }
  }
}

@Suite struct TrainingIdentityTests {
  /// DESIGN's check of the truncation step: for `𝓛(W) = ½‖W − A‖²` with rank(A) = r, the field
  /// is `F(W) = −∇𝓛 = A − W`, and one rank-adaptive step with explicit Euler and h = 1 (SGD with
  /// learning rate 1) must give `W₁ = A` exactly: K₁ = A·V₀, L₁ = Aᵀ·U₀ span A's ranges, the
  /// Galerkin step gives `ÛᵀAV̂`, and truncation at τ = 0 keeps it. Using the columns of LAPACK's
  /// Vᵀ instead of its rows in the truncation would corrupt W₁ here.
  @Test func oneStepWithLearningRateOneReachesTheTarget() throws {
    var g = testGenerator(500)
    for (r0, r) in [(3, 3), (5, 2), (2, 4)] {
      let a: Matrix<Double> = randomRank(r, rows: 30, columns: 20, using: &g)
      let y0: LowRankMatrix<Double> = randomLowRank(
        rows: 30, columns: 20, singularValues: (0..<r0).map { 1 + Double($0) }, using: &g)
      let field = DenseMatrixField<Double> { _, w in a - w }
      var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: try .relative(1e-12))
      var f = field
      var state = LowRankState(y0)
      _ = try integrator.step(&state, field: &f, from: 0, by: 1)
      // Only reachable in one step when the augmented space can hold rank r: r ≤ 2·r₀.
      #expect(state.blocks[0].rank == Swift.min(r, 2 * r0), "r₀=\(r0) r=\(r)")
      if r <= r0 {
        #expect(maxDifference(state.blocks[0].dense(), a) <= 1e-12 * Double(a.maxAbs), "r₀=\(r0) r=\(r)")
      }
    }
  }
}

@Suite struct FactorGradientFlowTests {
  /// Against a naive implementation of gradient descent on the factors: with `F(W) = A − W`,
  /// several Euler steps of `A' = F·B`, `B' = Fᵀ·A` from the balanced split of Y₀ computed
  /// densely must equal the integrator's states (which store orthonormal bases and R_A·R_Bᵀ).
  /// Tolerance 1e-12 relative: a few dozen Double operations per entry on O(1) numbers.
  @Test func matchesNaiveGradientDescentOnTheFactors() throws {
    var g = testGenerator(600)
    let target: Matrix<Double> = randomRank(4, rows: 12, columns: 9, using: &g)
    let y0: LowRankMatrix<Double> = randomLowRank(
      rows: 12, columns: 9, singularValues: [2, 1, 0.5], using: &g)
    // Naive: A = U·P·Σ^½, B = V·Q·Σ^½ with S = P·Σ·Qᵀ, then explicit Euler on both factors.
    let f = try y0.s.svd()
    let root = Matrix<Double>.diagonal(f.singularValues.map { $0.squareRoot() })
    var a = y0.u * f.u * root
    var b = y0.v * f.vt.transposed() * root
    #expect(maxDifference(a.timesTransposed(b), y0.dense()) <= 1e-12)
    let h = 0.1
    var integrator = FactorGradientFlow(solver: ExplicitEuler<Double>())
    var field = DenseMatrixField<Double> { _, w in target - w }
    var state = LowRankState(y0)
    for step in 0..<5 {
      let rate = target - a.timesTransposed(b)
      let (a1, b1) = (a + (rate * b) * h, b + (rate.transposedTimes(a)) * h)
      (a, b) = (a1, b1)
      let report = try integrator.step(&state, field: &field, from: Double(step) * h, by: h)
      let y = state.blocks[0]
      #expect(report.ranks == [3])
      #expect(maxDifference(y.dense(), a.timesTransposed(b)) <= 1e-12 * Double(target.maxAbs), "step \(step)")
      #expect(maxDifference(y.u.transposedTimes(y.u), Matrix<Double>.identity(3)) <= 1e-13)
      #expect(maxDifference(y.v.transposedTimes(y.v), Matrix<Double>.identity(3)) <= 1e-13)
    }
    // The factors are its own state: the flow on (A, B) is not the flow on a re-split Y, so a
    // fresh integrator started from the same Y now takes a different step.
    var fresh = FactorGradientFlow(solver: ExplicitEuler<Double>())
    var restarted = state
    _ = try fresh.step(&restarted, field: &field, from: 0.5, by: h)
    _ = try integrator.step(&state, field: &field, from: 0.5, by: h)
    #expect(maxDifference(restarted.blocks[0].dense(), state.blocks[0].dense()) > 1e-8)
  }
}

@Suite struct FrozenBasesGalerkinTests {
  /// With frozen bases only the core moves: one Euler step is `S₁ = S₀ + h·Uᵀ·F(U·S₀·Vᵀ)·V`
  /// computed densely, U and V stay bit for bit, and for `F = A − W` the cores converge to the
  /// Galerkin projection `UᵀAV` (the fixed point). Tolerances: 1e-12 for a few Double operations
  /// on O(1) numbers; 1e-10 after 200 contracting steps with factor (1 − h) = 0.8.
  @Test func onlyTheCoreMovesTowardsTheGalerkinProjection() throws {
    var g = testGenerator(700)
    let target: Matrix<Double> = randomRank(5, rows: 14, columns: 11, using: &g)
    let y0: LowRankMatrix<Double> = randomLowRank(
      rows: 14, columns: 11, singularValues: [3, 1, 0.2], using: &g)
    var integrator = FrozenBasesGalerkin(solver: ExplicitEuler<Double>())
    var field = DenseMatrixField<Double> { _, w in target - w }
    var state = LowRankState(y0)
    let h = 0.2
    _ = try integrator.step(&state, field: &field, from: 0, by: h)
    let expected = y0.s + y0.u.transposedTimes((target - y0.dense()) * y0.v) * h
    #expect(state.blocks[0].u == y0.u && state.blocks[0].v == y0.v)
    #expect(maxDifference(state.blocks[0].s, expected) <= 1e-12 * Double(target.maxAbs))
    for step in 1..<200 { _ = try integrator.step(&state, field: &field, from: Double(step) * h, by: h) }
    let galerkin = y0.u.transposedTimes(target * y0.v)
    #expect(maxDifference(state.blocks[0].s, galerkin) <= 1e-10 * Double(target.maxAbs))
  }
}

/// Independent blocks relaxing to targets, `Y_b' = T_b − Y_b`, with a chosen block concurrency.
private struct RelaxingBlocks: LowRankVectorField {
  var targets: [Matrix<Double>]
  var blockConcurrency: Int

  mutating func evaluate(_ e: inout FieldEvaluation<Double>) throws {
    for b in e.blocks.indices {
      let f = targets[b] - e.blocks[b].densePoint()
      if let v = e.blocks[b].rightBasis { e.blocks[b].fTimesV = f * v }
      if let u = e.blocks[b].leftBasis { e.blocks[b].fTransposeTimesU = f.transposedTimes(u) }
    }
  }
}

@Suite struct BlockConcurrencyTests {
  /// Per-block augmentation and truncation on several threads compute exactly what they compute
  /// in order (each block's arithmetic is the same, only the thread differs): bitwise-equal
  /// states after a few steps of every integrator that uses them, over blocks of different
  /// shapes; and a non-finite block is the same typed error.
  @Test func concurrentBlocksEqualSequentialBlocks() throws {
    var g = testGenerator(500)
    let shapes = [(9, 7), (5, 8), (12, 4)]
    let targets = shapes.map { Matrix<Double>.gaussian(rows: $0.0, columns: $0.1, using: &g) }
    let initial = LowRankState(
      blocks: shapes.map { randomLowRank(rows: $0.0, columns: $0.1, singularValues: [1, 0.3], using: &g) })
    let policy = try TruncationPolicy.relative(0.05, maxRank: 6)
    let integrators: [any LowRankIntegrator<Double>] = [
      BUG(solver: ExplicitEuler<Double>()), AdaptiveBUG(solver: RungeKutta4<Double>(), truncation: policy),
      AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy, movesDenseWithGalerkinStep: true),
      ParallelBUG(solver: ExplicitEuler<Double>(), truncation: policy),
      MidpointBUG(solver: ExplicitEuler<Double>(), truncation: policy),
    ]
    for integrator in integrators {
      let ends = try [1, 3].map { threads in
        try run(
          integrator, field: RelaxingBlocks(targets: targets, blockConcurrency: threads), initial: initial,
          to: 0.5, steps: 5
        ).state
      }
      #expect(ends[0].ranks == ends[1].ranks, "\(type(of: integrator))")
      let name = "\(type(of: integrator))"
      for (a, b) in zip(ends[0].blocks, ends[1].blocks) {
        let same: Bool = a.u == b.u && a.s == b.s && a.v == b.v
        #expect(same, "\(name)")
      }
    }
    var broken = targets
    broken[1][0, 0] = .nan
    for threads in [1, 3] {
      #expect(throws: IntegratorError.self) {
        _ = try run(
          AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy),
          field: RelaxingBlocks(targets: broken, blockConcurrency: threads), initial: initial, to: 0.1,
          steps: 1)
      }
    }
  }
}
