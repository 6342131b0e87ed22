import Foundation
import MatrixManifold

/// `Y' = L·Y + Y·L + G` with `L = c·tridiag(1, −2, 1)` (n×n, symmetric negative definite) and a
/// constant rank-2 source G: a discrete 2-D heat equation with a source, whose solution has
/// rapidly decaying singular values.
///
/// Exact solution in L's eigenbasis (`L = Q·Λ·Qᵀ`, `Ỹ = QᵀYQ`, computed with `syevd`):
/// `Ỹ_ij(t) = e^{μt}·Ỹ_ij(0) + G̃_ij·(e^{μt} − 1)/μ` with `μ = λ_i + λ_j`.
public struct HeatProblem: MatrixODEProblem {
  /// The size n of the n×n solution.
  public let n: Int
  /// L = c·tridiag(1, −2, 1).
  public let laplacian: TridiagonalOperator<Double>
  /// The source `G = P·Qᵀ`.
  public let source: (p: Matrix<Double>, q: Matrix<Double>)
  /// Y(0), with the singular values given at initialisation.
  public let initialValue: LowRankMatrix<Double>
  private let eigenvalues: [Double]
  private let eigenvectors: Matrix<Double>

  /// The problem of size n with seeded data.
  ///
  /// - Parameters:
  ///   - n: the size of Y (n×n).
  ///   - scale: c; RK4 substeps are stable for `h·8c ≲ 2.7`.
  ///   - smoothData: low-frequency sines (fast singular-value decay) or Gaussian data.
  ///   - seed: seed of the data (SplitMix64).
  ///   - initialSingularValues: singular values of Y(0).
  public init(
    n: Int = 32, scale: Double = 0.25, seed: UInt64 = 7, smoothData: Bool = true,
    initialSingularValues: [Double] = [1, 0.1, 0.01]
  ) {
    self.n = n
    laplacian = .laplacian(n, scale: scale)
    var rng = SplitMix64(seed: seed)
    func data(_ count: Int) -> Matrix<Double> {
      guard smoothData else { return .gaussian(rows: n, columns: count, using: &rng) }
      var a = Matrix<Double>(rows: n, columns: count)
      for j in 0..<count {
        let phase = Double.random(in: 0..<1, using: &rng)
        for i in 0..<n { a[i, j] = sin(Double.pi * Double(j + 1) * Double(i + 1) / Double(n + 1) + phase) }
      }
      return a
    }
    source = (data(2), data(2) * 0.5)
    let r = initialSingularValues.count
    // Finite data: QR and the eigensolver cannot fail here.
    let u = try! data(r).orthonormalized()
    let v = try! data(r).orthonormalized()
    initialValue = try! LowRankMatrix(u: u, s: .diagonal(initialSingularValues), v: v)
    (eigenvalues, eigenvectors) = try! laplacian.dense().symmetricEigen()
  }

  public var name: String { "heat" }

  public var field: StructuredMatrixField<Double> {
    let g = source
    return StructuredMatrixField(left: laplacian, right: laplacian, source: { _ in g })
  }

  public func exactSolution(at t: Double) -> Matrix<Double> {
    let q = eigenvectors
    var yt = q.transposedTimes(initialValue.dense()) * q
    let gt = q.transposedTimes(source.p.timesTransposed(source.q)) * q
    for i in 0..<n {
      for j in 0..<n {
        let mu = eigenvalues[i] + eigenvalues[j]
        let e = exp(mu * t)
        yt[i, j] = e * yt[i, j] + gt[i, j] * (Swift.abs(mu * t) < 1e-12 ? t : (e - 1) / mu)
      }
    }
    return (q * yt).timesTransposed(q)
  }
}
