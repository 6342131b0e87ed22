import Foundation
import LowRankIntegrators
import MatrixManifold
import TestSupport

/// Relative Frobenius error of the final state against a dense reference.
func relativeError(_ state: LowRankState<Double>, _ reference: Matrix<Double>) -> Double {
  Double((state.blocks[0].dense() - reference).frobeniusNorm / reference.frobeniusNorm)
}

/// Least-squares slope of log(error) against log(h): the observed order of convergence.
func observedOrder(stepSizes: [Double], errors: [Double]) -> Double {
  let x = stepSizes.map { log($0) }
  let y = errors.map { log($0) }
  let mx = x.reduce(0, +) / Double(x.count)
  let my = y.reduce(0, +) / Double(y.count)
  let num = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
  let den = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
  return num / den
}

/// The solution of the DLRA equation `Y' = P(Y)·F(Y)` at fixed rank, by classical RK4 on dense
/// n×n matrices, with P evaluated at the rank-r SVD truncation of each stage value (a smooth
/// extension of the projected field off the manifold; the exact solution stays on it).
/// Independent of the low-rank integrators: it shares only `tangentProjection` and the SVD.
func dlraReference(_ problem: HeatProblem, rank r: Int, to t1: Double, steps: Int) -> Matrix<Double> {
  let l = problem.laplacian.dense()
  let g = problem.source.p.timesTransposed(problem.source.q)
  func rate(_ y: Matrix<Double>) -> Matrix<Double> {
    let f = l * y + y * l + g
    let point = try! LowRankMatrix(truncating: y, policy: .fixedRank(r))
    return point.tangentProjection(of: f)
  }
  let h = t1 / Double(steps)
  var y = problem.initialValue.dense()
  for _ in 0..<steps {
    let k1 = rate(y)
    let k2 = rate(y + (h / 2) * k1)
    let k3 = rate(y + (h / 2) * k2)
    let k4 = rate(y + h * k3)
    y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
  }
  return y
}
