import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

@Suite struct OptimizerTests {
  /// Runs `solver` for `steps` steps on x' = g(x) = −x (a quadratic loss), returning the iterates.
  func iterate<S: SubstepSolver<Double>>(_ solver: inout S, from x0: Matrix<Double>, h: Double, steps: Int)
    throws -> [Matrix<Double>]
  {
    var x = [x0]
    var history: [Matrix<Double>] = []
    for _ in 0..<steps {
      try solver.advance(&x, keys: [ParameterKey(.dense, 0)], from: 0, by: h) { _, y, _ in [y[0] * -1] }
      history.append(x[0])
    }
    return history
  }

  /// Momentum against the textbook recursion (PyTorch's convention) computed by hand.
  @Test func momentumMatchesReference() throws {
    var g = testGenerator(600)
    let x0 = Matrix<Double>.gaussian(rows: 3, columns: 2, using: &g)
    var solver = try Momentum<Double>(momentum: 0.8)
    let iterates = try iterate(&solver, from: x0, h: 0.1, steps: 5)
    var (x, v) = (x0, Matrix<Double>(rows: 3, columns: 2))
    for step in 0..<5 {
      v = 0.8 * v + (x * -1)  // v ← μv + g with g = −∇ = −x
      x = x + 0.1 * v
      #expect(maxDifference(iterates[step], x) <= 1e-14, "step \(step)")
    }
  }

  /// Adam against a scalar-by-scalar reference of Kingma & Ba's Algorithm 1.
  @Test func adamMatchesReference() throws {
    var g = testGenerator(601)
    let x0 = Matrix<Double>.gaussian(rows: 4, columns: 3, using: &g)
    var solver = try Adam<Double>(beta1: 0.9, beta2: 0.99, epsilon: 1e-8)
    let iterates = try iterate(&solver, from: x0, h: 0.01, steps: 4)
    var x = x0.elements
    var m = [Double](repeating: 0, count: x.count)
    var v = m
    for step in 1...4 {
      for i in x.indices {
        let grad = x[i]  // ∇ of ½x²
        m[i] = 0.9 * m[i] + 0.1 * grad
        v[i] = 0.99 * v[i] + 0.01 * grad * grad
        let mHat = m[i] / (1 - pow(0.9, Double(step)))
        let vHat = v[i] / (1 - pow(0.99, Double(step)))
        x[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
      }
      #expect(
        maxDifference(iterates[step - 1], try Matrix(rows: 4, columns: 3, elements: x)) <= 1e-14,
        "step \(step)")
    }
  }

  /// With `.keep` the velocity's numbers survive a change of basis unchanged (as in the reference
  /// implementation), and a change of shape (a rank change) keeps the shared leading block.
  @Test func keptStateIgnoresBasesAndRestartsOnShapeChange() throws {
    var g = testGenerator(603)
    let v0 = Matrix<Double>.randomOrthonormal(rows: 8, columns: 3, using: &g)
    let v1 = v0 * Matrix<Double>.randomOrthonormal(rows: 3, columns: 3, using: &g)
    var solver = try Momentum<Double>(momentum: 0.5, state: .keep)
    let key = ParameterKey(.k, 0)
    let rate = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
    solver.useBases(keys: [key], left: [nil], right: [v0])
    var x = [Matrix<Double>(rows: 5, columns: 3)]
    try solver.advance(&x, keys: [key], from: 0, by: 1) { _, _, _ in [rate] }
    solver.useBases(keys: [key], left: [nil], right: [v1])
    var y = [Matrix<Double>(rows: 5, columns: 3)]
    try solver.advance(&y, keys: [key], from: 0, by: 1) { _, _, _ in [Matrix<Double>(rows: 5, columns: 3)] }
    #expect(maxDifference((1 / 0.5) * y[0], rate) <= 1e-15)
    // Rank 3 → 2: the velocity keeps its first two columns (μ² times the first rate by now).
    var z = [Matrix<Double>(rows: 5, columns: 2)]
    try solver.advance(&z, keys: [key], from: 0, by: 1) { _, _, _ in [Matrix<Double>(rows: 5, columns: 2)] }
    #expect(maxDifference(z[0], Matrix(rate.columns(0..<2)) * 0.25) <= 1e-15)
    // Rank 2 → 4: the two new columns start at zero.
    var w = [Matrix<Double>(rows: 5, columns: 4)]
    try solver.advance(&w, keys: [key], from: 0, by: 1) { _, _, _ in [Matrix<Double>(rows: 5, columns: 4)] }
    #expect(maxDifference(Matrix(w[0].columns(0..<2)), Matrix(rate.columns(0..<2)) * 0.125) <= 1e-15)
    #expect(Matrix(w[0].columns(2..<4)).elements.allSatisfy { $0 == 0 })
  }

  /// A K-factor's velocity stands for `M·Vᵀ` in weight space. When the new basis spans the same
  /// space (V₁ = V₀·Q for an orthogonal Q), the projection must keep `M·Vᵀ` exactly.
  @Test func momentumFollowsARotatedBasis() throws {
    var g = testGenerator(602)
    let v0 = Matrix<Double>.randomOrthonormal(rows: 8, columns: 3, using: &g)
    let q = Matrix<Double>.randomOrthonormal(rows: 3, columns: 3, using: &g)
    let v1 = v0 * q
    var solver = try Momentum<Double>(momentum: 0.5, state: .project)
    let key = ParameterKey(.k, 0)
    let k0 = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
    let rate = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
    // Step 1 in basis V₀ with rate R: velocity M = R (stands for R·V₀ᵀ).
    solver.useBases(keys: [key], left: [nil], right: [v0])
    var x = [k0]
    try solver.advance(&x, keys: [key], from: 0, by: 1) { _, _, _ in [rate] }
    // Step 2 in basis V₁ with zero rate: the update is h·μ·M', and M'·V₁ᵀ must equal M·V₀ᵀ.
    solver.useBases(keys: [key], left: [nil], right: [v1])
    var y = [Matrix<Double>(rows: 5, columns: 3)]
    try solver.advance(&y, keys: [key], from: 0, by: 1) { _, _, _ in [Matrix<Double>(rows: 5, columns: 3)] }
    let carried = (1 / 0.5) * y[0]  // = M' (the update was μ·M' with h = 1)
    #expect(maxDifference(carried.timesTransposed(v1), rate.timesTransposed(v0)) <= 1e-13)
  }

  /// Adam's moments across a basis change V₀ → V₁ = V₀·Q (Q orthogonal) for each state rule,
  /// against the update written out from Algorithm 1: one step with rate R in V₀ leaves
  /// m = (1−β₁)R and v = (1−β₂)R∘R; the next step, with zero rate in V₁, moves by
  /// `m̂/(√v̂ + ε)` with m̂ = β₁m'/(1−β₁²), v̂ = β₂v'/(1−β₂²), where the carried moments are
  /// `m' = m·Q` (project, project-first) or m (keep), and `v' = v·(Q∘Q)` (project) or v (keep,
  /// project-first).
  @Test(arguments: OptimizerState.allCases)
  func adamMomentsAcrossARotatedBasis(state: OptimizerState) throws {
    var g = testGenerator(604)
    let v0 = Matrix<Double>.randomOrthonormal(rows: 8, columns: 3, using: &g)
    let q = Matrix<Double>.randomOrthonormal(rows: 3, columns: 3, using: &g)
    let (b1, b2, eps) = (0.9, 0.99, 1e-8)
    var solver = try Adam<Double>(beta1: b1, beta2: b2, epsilon: eps, state: state)
    let key = ParameterKey(.k, 0)
    let rate = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
    solver.useBases(keys: [key], left: [nil], right: [v0])
    var x = [Matrix<Double>(rows: 5, columns: 3)]
    try solver.advance(&x, keys: [key], from: 0, by: 1) { _, _, _ in [rate] }
    solver.useBases(keys: [key], left: [nil], right: [v0 * q])
    var y = [Matrix<Double>(rows: 5, columns: 3)]
    try solver.advance(&y, keys: [key], from: 0, by: 1) { _, _, _ in [Matrix<Double>(rows: 5, columns: 3)] }

    let m = (1 - b1) * rate
    var squaredRate = rate
    var squaredQ = q
    for i in 0..<5 { for j in 0..<3 { squaredRate[i, j] = rate[i, j] * rate[i, j] } }
    for i in 0..<3 { for j in 0..<3 { squaredQ[i, j] = q[i, j] * q[i, j] } }
    let v = (1 - b2) * squaredRate
    let carriedM = state == .keep ? m : m * q
    let carriedV = state == .project ? v * squaredQ : v
    for i in 0..<5 {
      for j in 0..<3 {
        let mHat = b1 * carriedM[i, j] / (1 - b1 * b1)
        let vHat = b2 * carriedV[i, j] / (1 - b2 * b2)
        let expected = mHat / (vHat.squareRoot() + eps)
        #expect(Swift.abs(y[0][i, j] - expected) <= 1e-12 * Swift.max(1, Swift.abs(expected)), "(\(i), \(j))")
      }
    }
  }

  /// The carries of several parameters into new bases on 3 threads give bitwise the same steps
  /// as on one (each parameter's arithmetic is the same, only the thread differs), and as each
  /// parameter alone (the state of one never reaches another): momentum and Adam with every state
  /// rule, K-, L- and S-factors of two blocks, with a rank change in one of them.
  @Test func carriesOnSeveralThreadsEqualCarriesInOrder() throws {
    var g = testGenerator(605)
    let (n, m) = (9, 7)
    func bases(_ r: Int) -> (u: Matrix<Double>, v: Matrix<Double>) {
      (.randomOrthonormal(rows: n, columns: r, using: &g), .randomOrthonormal(rows: m, columns: r, using: &g))
    }
    let steps = [[bases(3), bases(2)], [bases(3), bases(3)], [bases(4), bases(3)]]
    let keys = (0..<2).flatMap { b in [ParameterKey(.k, b), ParameterKey(.l, b), ParameterKey(.s, b)] }
    let left = steps.map { step in step.flatMap { [nil, $0.u, $0.u] as [Matrix<Double>?] } }
    let right = steps.map { step in step.flatMap { [$0.v, nil, $0.v] as [Matrix<Double>?] } }
    let rates = steps.map { step in
      step.flatMap { y in
        [
          Matrix<Double>.gaussian(rows: n, columns: y.u.columns, using: &g),
          .gaussian(rows: m, columns: y.u.columns, using: &g),
          .gaussian(rows: y.u.columns, columns: y.u.columns, using: &g),
        ]
      }
    }
    /// The iterates of the parameters `chosen` (indices into keys), per step.
    func run(_ solver: some SubstepSolver<Double>, _ chosen: [Int], threads: Int) throws -> [[Matrix<Double>]]
    {
      var solver = solver
      var trajectory: [[Matrix<Double>]] = []
      for i in steps.indices {
        solver.useBases(
          keys: chosen.map { keys[$0] }, left: chosen.map { left[i][$0] }, right: chosen.map { right[i][$0] },
          threads: threads)
        var x = chosen.map { Matrix<Double>(rows: rates[i][$0].rows, columns: rates[i][$0].columns) }
        try solver.advance(&x, keys: chosen.map { keys[$0] }, from: 0, by: 0.1) { _, _, _ in
          chosen.map { rates[i][$0] }
        }
        trajectory.append(x)
      }
      return trajectory
    }
    var solvers: [any SubstepSolver<Double>] = [try Momentum<Double>(momentum: 0.9)]
    solvers += try OptimizerState.allCases.map { try Adam<Double>(state: $0) }
    for solver in solvers {
      let all = Array(keys.indices)
      let inOrder = try run(solver, all, threads: 1)
      #expect(try run(solver, all, threads: 3) == inOrder, "\(solver)")
      for p in all {
        let alone = try run(solver, [p], threads: 1)
        #expect(alone.map { $0[0] } == inOrder.map { $0[p] }, "\(solver), parameter \(keys[p])")
      }
    }
  }

  /// `Float.adamUpdate` (four elements at a time in C) equals Adam's formula evaluated one
  /// element at a time in Swift, bitwise, at every length to 40 (every tail after the blocks of
  /// four) and at 1001, with moments and rates spread over several orders of magnitude, zeros
  /// included.
  @Test func floatAdamUpdateEqualsTheFormulaElementByElement() {
    var g = testGenerator(606)
    let (h, b1, b2, eps, c1, c2): (Float, Float, Float, Float, Float, Float) = (
      1e-3, 0.9, 0.999, 1e-8, 0.19, 0.003
    )
    for n in Array(0...40) + [1001] {
      func draw(_ scale: Float) -> [Float] {
        (0..<n).map { i in
          i % 7 == 3
            ? 0
            : Float(Matrix<Double>.gaussian(rows: 1, columns: 1, using: &g)[0, 0]) * scale
              * Float(i % 5 + 1)
        }
      }
      let (x, g0, m0) = (draw(1), draw(1e-2), draw(1e-3))
      let v0 = draw(1e-4).map { $0 * $0 }
      var (m, v, updated) = (m0, v0, [Float](repeating: .nan, count: n))
      x.withUnsafeBufferPointer { xp in
        g0.withUnsafeBufferPointer { gp in
          updated.withUnsafeMutableBufferPointer { up in
            m.withUnsafeMutableBufferPointer { mp in
              v.withUnsafeMutableBufferPointer { vp in
                Float.adamUpdate(
                  xp, into: up, m: mp, v: vp, rate: gp, step: h, beta1: b1, beta2: b2, epsilon: eps,
                  correction1: c1, correction2: c2)
              }
            }
          }
        }
      }
      for i in 0..<n {
        let mi = b1 * m0[i] + (1 - b1) * g0[i]
        let vi = b2 * v0[i] + (1 - b2) * g0[i] * g0[i]
        let xi = x[i] + h * (mi / c1) / ((vi / c2).squareRoot() + eps)
        let same =
          m[i].bitPattern == mi.bitPattern && v[i].bitPattern == vi.bitPattern
          && updated[i].bitPattern == xi.bitPattern
        #expect(same, "n = \(n), element \(i): \(updated[i]) against \(xi)")
      }
    }
  }

  @Test func invalidHyperparametersThrow() {
    #expect(throws: TrainingError.self) { try Momentum<Float>(momentum: 1) }
    #expect(throws: TrainingError.self) { try Adam<Float>(beta1: -0.1) }
    #expect(throws: TrainingError.self) { try Adam<Float>(epsilon: 0) }
  }
}
