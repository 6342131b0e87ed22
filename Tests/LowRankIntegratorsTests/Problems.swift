import Foundation
import LowRankIntegrators
import MatrixManifold
import TestSupport

/// `A(t) = (U₀ + t·U₁)·S·(V₀ + t·V₁)ᵀ`, of rank r for all t, and `F = Ȧ(t)` in factored form.
struct LinearFactorsTrajectory: Sendable {
  let u0, u1, s, v0, v1: Matrix<Double>

  init(rows n: Int, columns m: Int, rank r: Int, seed: UInt64) {
    var g = SplitMix64(seed: seed)
    u0 = .randomOrthonormal(rows: n, columns: r, using: &g)
    v0 = .randomOrthonormal(rows: m, columns: r, using: &g)
    u1 = .gaussian(rows: n, columns: r, standardDeviation: 0.3, using: &g)
    v1 = .gaussian(rows: m, columns: r, standardDeviation: 0.3, using: &g)
    s = .diagonal((0..<r).map { 1 / Double($0 + 1) })
  }

  func a(_ t: Double) -> Matrix<Double> { ((u0 + t * u1) * s).timesTransposed(v0 + t * v1) }

  var field: LowRankDerivativeField<Double> {
    let (u0, u1, s, v0, v1) = (self.u0, self.u1, self.s, self.v0, self.v1)
    return LowRankDerivativeField { t in
      // Ȧ = U₁·S·(V₀ + tV₁)ᵀ + (U₀ + tU₁)·S·V₁ᵀ = [U₁S, (U₀+tU₁)S]·[V₀+tV₁, V₁]ᵀ
      let p = concat(u1 * s, (u0 + t * u1) * s)
      let q = concat(v0 + t * v1, v1)
      return (p, q)
    }
  }

  var initial: LowRankState<Double> {
    LowRankState(try! LowRankMatrix(truncating: a(0), policy: .fixedRank(s.rows)))
  }
}

func concat(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
  var c = Matrix<Double>(rows: a.rows, columns: a.columns + b.columns)
  c.assign(a)
  c.assign(b, column: a.columns)
  return c
}

/// `Y' = L·Y + Y·L + G` with L = c·tridiag(1, −2, 1) (n×n, symmetric) and a constant rank-2 G,
/// solved exactly in L's eigenbasis: with `L = Q·Λ·Qᵀ` and `Ỹ = QᵀYQ`,
/// `Ỹ_ij(t) = e^{μt}·Ỹ_ij(0) + G̃_ij·(e^{μt} − 1)/μ`, `μ = λ_i + λ_j`.
struct HeatProblem: Sendable {
  let n: Int
  let laplacian: TridiagonalOperator<Double>
  let g: (p: Matrix<Double>, q: Matrix<Double>)
  let y0: LowRankMatrix<Double>
  let eigenvalues: [Double]
  let eigenvectors: Matrix<Double>

  init(n: Int = 32, scale: Double = 0.25, seed: UInt64 = 7, smoothData: Bool = true, initialSingularValues: [Double] = [1, 0.1, 0.01]) {
    self.n = n
    laplacian = .laplacian(n, scale: scale)
    var rng = SplitMix64(seed: seed)
    // Smooth data: low-frequency sines, so the solution's singular values decay fast.
    func smooth(_ count: Int) -> Matrix<Double> {
      guard smoothData else { return .gaussian(rows: n, columns: count, using: &rng) }
      var a = Matrix<Double>(rows: n, columns: count)
      for j in 0..<count {
        let phase = Double.random(in: 0..<1, using: &rng)
        for i in 0..<n { a[i, j] = sin(Double.pi * Double(j + 1) * (Double(i + 1) / Double(n + 1)) + phase) }
      }
      return a
    }
    g = (smooth(2), smooth(2) * 0.5)
    let r = initialSingularValues.count
    let u = try! smooth(r).orthonormalized()
    let v = try! smooth(r).orthonormalized()
    y0 = try! LowRankMatrix(u: u, s: .diagonal(initialSingularValues), v: v)
    (eigenvalues, eigenvectors) = try! laplacian.dense().symmetricEigen()
  }

  var field: StructuredMatrixField<Double> {
    let g = self.g
    return StructuredMatrixField(left: laplacian, right: laplacian, source: { _ in g })
  }

  func exact(_ t: Double) -> Matrix<Double> {
    let q = eigenvectors
    var yt = q.transposedTimes(y0.dense()) * q
    let gt = q.transposedTimes(g.p.timesTransposed(g.q)) * q
    for i in 0..<n {
      for j in 0..<n {
        let mu = eigenvalues[i] + eigenvalues[j]
        let e = exp(mu * t)
        yt[i, j] = e * yt[i, j] + gt[i, j] * (Swift.abs(mu) < 1e-14 ? t : (e - 1) / mu)
      }
    }
    return (q * yt).timesTransposed(q)
  }
}


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
  let g = problem.g.p.timesTransposed(problem.g.q)
  func rate(_ y: Matrix<Double>) -> Matrix<Double> {
    let f = l * y + y * l + g
    let point = try! LowRankMatrix(truncating: y, policy: .fixedRank(r))
    return point.tangentProjection(of: f)
  }
  let h = t1 / Double(steps)
  var y = problem.y0.dense()
  for _ in 0..<steps {
    let k1 = rate(y)
    let k2 = rate(y + (h / 2) * k1)
    let k3 = rate(y + (h / 2) * k2)
    let k4 = rate(y + h * k3)
    y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
  }
  return y
}
