import MatrixManifold

/// `A(t) = (U₀ + t·U₁)·S·(V₀ + t·V₁)ᵀ`, of rank r for all t, with `F = Ȧ(t)` in factored form.
///
/// Projector splitting and BUG reproduce A(t) exactly here (Lubich & Oseledets 2014, Thm. 4.1;
/// Ceruti & Lubich 2022, Thm. 4.1), and Ȧ is linear in t so RK4 substeps are exact.
public struct LinearFactorsProblem: MatrixODEProblem {
  /// The data U₀ (n×r, orthonormal), U₁ (n×r), S (r×r), V₀ (m×r, orthonormal), V₁ (m×r).
  public let u0, u1, s, v0, v1: Matrix<Double>

  /// Random data: orthonormal U₀, V₀, Gaussian U₁, V₁ with standard deviation 0.3, S = diag(1/i).
  public init(rows n: Int, columns m: Int, rank r: Int, seed: UInt64) {
    var g = SplitMix64(seed: seed)
    u0 = .randomOrthonormal(rows: n, columns: r, using: &g)
    v0 = .randomOrthonormal(rows: m, columns: r, using: &g)
    u1 = .gaussian(rows: n, columns: r, standardDeviation: 0.3, using: &g)
    v1 = .gaussian(rows: m, columns: r, standardDeviation: 0.3, using: &g)
    s = .diagonal((0..<r).map { 1 / Double($0 + 1) })
  }

  public var name: String { "linear-factors" }

  public func exactSolution(at t: Double) -> Matrix<Double> {
    ((u0 + t * u1) * s).timesTransposed(v0 + t * v1)
  }

  public var field: LowRankDerivativeField<Double> {
    let (u0, u1, s, v0, v1) = (self.u0, self.u1, self.s, self.v0, self.v1)
    return LowRankDerivativeField { t in
      // Ȧ = U₁·S·(V₀ + tV₁)ᵀ + (U₀ + tU₁)·S·V₁ᵀ = [U₁S, (U₀+tU₁)S]·[V₀+tV₁, V₁]ᵀ
      (Matrix.concatenated(u1 * s, (u0 + t * u1) * s), Matrix.concatenated(v0 + t * v1, v1))
    }
  }

  public var initialValue: LowRankMatrix<Double> {
    // A(0) = U₀·S·V₀ᵀ with orthonormal U₀, V₀: already factored.
    try! LowRankMatrix(u: u0, s: s, v: v0)
  }
}
