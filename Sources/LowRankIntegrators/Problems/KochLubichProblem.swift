import Foundation
import MatrixManifold

/// The example of Koch & Lubich, "Dynamical low-rank approximation", SIAM J. Matrix Anal.
/// Appl. 29 (2007), Section 5, used again in the BUG papers:
/// `A(t) = e^{tW₁}·e^{t}·D·e^{tW₂}` with skew-symmetric W₁, W₂ and `D = diag(2⁻¹, 2⁻², …, 2⁻ⁿ)`;
/// the integrators solve `Y' = Ȧ(t)` at rank r, so the best possible error is the tail
/// `e·sqrt(Σ_{i>r} 4⁻ⁱ)` of A(1).
///
/// Each `W = Q·blockdiag([[0, θ], [−θ, 0]], …)·Qᵀ` with random orthogonal Q and θ ∈ [0, 1], so
/// `e^{tW} = Q·blockdiag(rotations by θt)·Qᵀ` is exact, and
/// `Ȧ = (W₁ + I)·A + A·W₂ = [(W₁+I)·E₁·eᵗD, E₁·eᵗD]·[E₂ᵀ, (E₂·W₂)ᵀ]ᵀ` with `E_k = e^{tW_k}`.
public struct KochLubichProblem: MatrixODEProblem {
  /// The size n of the n×n matrices.
  public let n: Int
  private let q1, q2: Matrix<Double>
  private let theta1, theta2: [Double]
  /// The rank of the initial value (the best rank-r approximation of A(0) = D).
  public let rank: Int

  /// The problem of size n at rank `rank`; `seed` draws Q₁, Q₂ and the angles θ.
  public init(n: Int = 100, rank: Int = 10, seed: UInt64 = 2007) {
    precondition(n >= 2 && rank >= 1 && rank <= n, "KochLubichProblem: n \(n), rank \(rank)")
    self.n = n
    self.rank = rank
    var g = SplitMix64(seed: seed)
    q1 = .randomOrthonormal(rows: n, columns: n, using: &g)
    q2 = .randomOrthonormal(rows: n, columns: n, using: &g)
    theta1 = (0..<(n / 2)).map { _ in Double.random(in: 0...1, using: &g) }
    theta2 = (0..<(n / 2)).map { _ in Double.random(in: 0...1, using: &g) }
  }

  public var name: String { "koch-lubich" }

  private static func generator(_ q: Matrix<Double>, _ theta: [Double]) -> Matrix<Double> {
    var block = Matrix<Double>(rows: q.rows, columns: q.rows)
    for (k, th) in theta.enumerated() {
      block[2 * k, 2 * k + 1] = th
      block[2 * k + 1, 2 * k] = -th
    }
    return (q * block).timesTransposed(q)
  }

  private static func exponential(_ q: Matrix<Double>, _ theta: [Double], _ t: Double) -> Matrix<Double> {
    var block = Matrix<Double>.identity(q.rows)
    for (k, th) in theta.enumerated() {
      let (c, s) = (cos(th * t), sin(th * t))
      block[2 * k, 2 * k] = c
      block[2 * k, 2 * k + 1] = s
      block[2 * k + 1, 2 * k] = -s
      block[2 * k + 1, 2 * k + 1] = c
    }
    return (q * block).timesTransposed(q)
  }

  private var d: [Double] { (1...n).map { pow(2, -Double($0)) } }

  public func exactSolution(at t: Double) -> Matrix<Double> {
    let e1 = Self.exponential(q1, theta1, t)
    let e2 = Self.exponential(q2, theta2, t)
    return (e1 * Matrix.diagonal(d.map { $0 * exp(t) })) * e2
  }

  public var field: LowRankDerivativeField<Double> {
    let (q1, q2, theta1, theta2, d, n) = (self.q1, self.q2, self.theta1, self.theta2, self.d, self.n)
    let w1PlusI = Self.generator(q1, theta1) + Matrix<Double>.identity(n)
    let w2 = Self.generator(q2, theta2)
    return LowRankDerivativeField { t in
      let e1d = Self.exponential(q1, theta1, t) * Matrix.diagonal(d.map { $0 * exp(t) })
      let e2 = Self.exponential(q2, theta2, t)
      return (
        Matrix.concatenated(w1PlusI * e1d, e1d), Matrix.concatenated(e2.transposed(), (e2 * w2).transposed())
      )
    }
  }

  public var initialValue: LowRankMatrix<Double> {
    // A(0) = D; its best rank-r approximation keeps the r largest entries of D.
    var u = Matrix<Double>(rows: n, columns: rank)
    for i in 0..<rank { u[i, i] = 1 }
    return try! LowRankMatrix(u: u, s: .diagonal(Array(d[0..<rank])), v: u)
  }

  /// `‖A(t) − T_r(A(t))‖_F`, the smallest error any rank-r method can have.
  public func bestApproximationError(at t: Double, rank r: Int) -> Double {
    exp(t) * d[r...].reduce(0) { $0 + $1 * $1 }.squareRoot()
  }
}
