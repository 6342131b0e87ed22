import LowRankIntegrators
import MatrixManifold
import TestSupport
import Testing

@Suite struct ProblemTests {
  /// The factored Ȧ(t) of each problem against a central difference of its exact solution
  /// (truncation error O(δ²) ≈ 1e-8 relative for δ = 1e-4, rounding ≈ ε/δ ≈ 1e-12).
  @Test func fieldsAreDerivativesOfExactSolutions() throws {
    let delta = 1e-4
    let kl = KochLubichProblem(n: 20, rank: 4)
    let lf = LinearFactorsProblem(rows: 12, columns: 9, rank: 3, seed: 5)
    for (name, exact, derivative) in [
      (
        "koch-lubich", kl.exactSolution(at:),
        { (t: Double) in
          let (p, q) = kl.field.derivative(t); return p.timesTransposed(q)
        }
      ),
      (
        "linear-factors", lf.exactSolution(at:),
        { (t: Double) in
          let (p, q) = lf.field.derivative(t); return p.timesTransposed(q)
        }
      ),
    ] as [(String, (Double) -> Matrix<Double>, (Double) -> Matrix<Double>)] {
      let t = 0.7
      var difference = exact(t + delta) - exact(t - delta)
      difference.scale(by: 1 / (2 * delta))
      let d = derivative(t)
      #expect(Double((difference - d).frobeniusNorm / d.frobeniusNorm) < 1e-7, "\(name)")
    }
  }

  /// Y' = L·Y + Y·L + G: the exact solution satisfies the ODE (central difference again).
  @Test func heatSolutionSatisfiesTheODE() throws {
    let problem = HeatProblem(n: 12)
    let t = 0.5, delta = 1e-4
    var lhs = problem.exactSolution(at: t + delta) - problem.exactSolution(at: t - delta)
    lhs.scale(by: 1 / (2 * delta))
    let y = problem.exactSolution(at: t)
    let l = problem.laplacian.dense()
    let rhs = l * y + y * l + problem.source.p.timesTransposed(problem.source.q)
    #expect(Double((lhs - rhs).frobeniusNorm / rhs.frobeniusNorm) < 1e-7)
    #expect(maxDifference(problem.exactSolution(at: 0), problem.initialValue.dense()) < 1e-13)
  }

  /// Koch–Lubich: the BUG error at rank r with small steps is close to the best rank-r error.
  @Test func kochLubichErrorNearBestApproximation() throws {
    for r in [4, 8] {
      let problem = KochLubichProblem(n: 40, rank: r)
      var integrator = BUG(solver: RungeKutta4<Double>())
      var field = problem.field
      let solution = try integrate(
        &integrator, field: &field, initial: LowRankState(problem.initialValue), from: 0, to: 1, steps: 100)
      let error = Double((solution.state.blocks[0].dense() - problem.exactSolution(at: 1)).frobeniusNorm)
      let best = problem.bestApproximationError(at: 1, rank: r)
      #expect(error >= best * (1 - 1e-8) && error <= 5 * best, "r=\(r): error \(error), best \(best)")
    }
  }
}
