// A matrix ODE solved on the low-rank manifold, step by step.
//
//   Y' = L·Y + Y·L + G,   L = discrete 1-D Laplacian (n×n),  G of rank 2,  Y(0) of rank 3.
//
// The rank-adaptive BUG integrator evolves Y = U·S·Vᵀ without ever forming an n×n matrix; the
// rank follows the solution. The exact solution is known (HeatProblem), so we print the error.
import LowRankIntegrators
import MatrixManifold

let problem = HeatProblem(n: 200, scale: 0.25, initialSingularValues: [1, 0.1, 0.01])

var integrator = AdaptiveBUG(
  solver: RungeKutta4<Double>(),
  truncation: try TruncationPolicy.relative(1e-8, maxRank: 30))  // keep σ tail ≤ 1e-8·‖σ‖
var field = problem.field

let solution = try integrate(
  &integrator, field: &field, initial: LowRankState(problem.initialValue), from: 0, to: 1, steps: 20
) { t, state in
  // Error against the exact solution (dense, for this demonstration only).
  let exact = problem.exactSolution(at: t)
  return Double((state.blocks[0].dense() - exact).frobeniusNorm / exact.frobeniusNorm)
}

print("   t    rank   relative error   largest σ")
for entry in solution.history where Int((entry.time * 20).rounded()) % 4 == 0 {
  let sigma = entry.singularValues[0].first ?? 0
  print(
    String(format: "%5.2f  %4d   %14.3e   %9.4f", entry.time, entry.ranks[0], entry.error ?? .nan, sigma))
}
let y = solution.state.blocks[0]
print("stored numbers: \(y.parameterCount) instead of \(y.rows * y.columns) for the dense matrix")
