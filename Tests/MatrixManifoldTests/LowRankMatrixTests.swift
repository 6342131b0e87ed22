import MatrixManifold
import TestSupport
import Testing

@Suite struct LowRankMatrixTests {
  func checkEckartYoung<T: BLASScalar>(_: T.Type) throws {
    var g = testGenerator(30)
    for (m, n) in [(20, 12), (12, 20), (9, 9)] {
      let a = Matrix<T>.gaussian(rows: m, columns: n, using: &g)
      let sigma = try a.singularValues().map(Double.init)
      for r in [1, 3, Swift.min(m, n)] {
        let y = try LowRankMatrix(truncating: a, policy: .fixedRank(r))
        #expect(y.rank == r)
        #expect(orthonormalityError(y.u) <= tolerance(T.self, terms: m * n))
        #expect(orthonormalityError(y.v) <= tolerance(T.self, terms: m * n))
        // Eckart–Young: ‖A − T_r(A)‖_F equals the tail norm sqrt(Σ_{j>r} σ_j²).
        let error = Double((a - y.dense()).frobeniusNorm)
        let tail = sigma[r...].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(
          Swift.abs(error - tail) <= tolerance(T.self, terms: m * n, factor: 50) * sigma[0],
          "\(m)×\(n) r=\(r)")
      }
    }
  }

  @Test func truncatedSVDIsBestApproximation() throws {
    try checkEckartYoung(Float.self)
    try checkEckartYoung(Double.self)
  }

  @Test func relativePolicyRecoversExactRank() throws {
    var g = testGenerator(31)
    let a: Matrix<Double> = randomRank(4, rows: 30, columns: 25, using: &g)
    let y = try LowRankMatrix(truncating: a, policy: .relative(1e-10))
    #expect(y.rank == 4)
    #expect(maxDifference(y.dense(), a) <= 1e-12 * Double(a.maxAbs))
    #expect(y.parameterCount == (30 + 25) * 4 + 16)
  }

  @Test func applyWithoutFormingDense() {
    var g = testGenerator(32)
    let y: LowRankMatrix<Double> = randomLowRank(rows: 15, columns: 11, singularValues: [3, 2, 1], using: &g)
    let x = Matrix<Double>.gaussian(rows: 11, columns: 4, using: &g)
    let w = Matrix<Double>.gaussian(rows: 15, columns: 2, using: &g)
    let dense = y.dense()
    #expect(maxDifference(y.applied(to: x), naiveProduct(dense, x)) <= 1e-13)
    #expect(maxDifference(y.transposeApplied(to: w), naiveProduct(dense, w, transposeA: true)) <= 1e-13)
    #expect(Swift.abs(y.frobeniusNorm - dense.frobeniusNorm) <= 1e-13)
  }

  @Test func truncationUsesRightFactorOfNonSymmetricCore() throws {
    // Û Ŝ V̂ᵀ with a full, non-symmetric Ŝ: truncation at τ → 0 must leave the product unchanged.
    // Taking the columns of LAPACK's Vᵀ instead of its rows (a known pitfall) breaks this.
    var g = testGenerator(33)
    let uHat = Matrix<Double>.randomOrthonormal(rows: 20, columns: 6, using: &g)
    let vHat = Matrix<Double>.randomOrthonormal(rows: 14, columns: 6, using: &g)
    let sHat = Matrix<Double>.gaussian(rows: 6, columns: 6, using: &g)
    let before = (uHat * sHat).timesTransposed(vHat)
    let t = try LowRankMatrix.truncate(basisU: uHat, core: sHat, basisV: vHat, policy: .relative(0))
    #expect(t.matrix.rank == 6)
    #expect(maxDifference(t.matrix.dense(), before) <= 1e-13)
    #expect(t.discardedNorm == 0)
    // With a tolerance, the discarded norm equals the true Frobenius error (Eckart–Young).
    let t2 = try LowRankMatrix.truncate(basisU: uHat, core: sHat, basisV: vHat, policy: .fixedRank(3))
    let err = (before - t2.matrix.dense()).frobeniusNorm
    #expect(Swift.abs(err - t2.discardedNorm) <= 1e-12)
    #expect(orthonormalityError(t2.matrix.u) <= 1e-14 && orthonormalityError(t2.matrix.v) <= 1e-14)
  }

  @Test func recompressedSumEqualsDenseSum() throws {
    var g = testGenerator(34)
    let y: LowRankMatrix<Double> = randomLowRank(rows: 25, columns: 18, singularValues: [5, 2, 1], using: &g)
    let z: LowRankMatrix<Double> = randomLowRank(rows: 25, columns: 18, singularValues: [4, 0.5], using: &g)
    let sum = try y.adding(z, policy: .relative(1e-12))
    #expect(sum.rank == 5)
    #expect(maxDifference(sum.dense(), y.dense() + z.dense()) <= 1e-13)
    // Y + (−Y) recompresses to (numerically) nothing.
    let zero = try y.adding(y.scaled(by: -1), policy: .absolute(1e-10))
    #expect(zero.rank == 1 && zero.frobeniusNorm <= 1e-12)
  }

  func checkTangentProjection<T: BLASScalar>(_: T.Type) {
    var g = testGenerator(35)
    let y: LowRankMatrix<T> = randomLowRank(rows: 17, columns: 13, singularValues: [3, 2, 1, 0.5], using: &g)
    let z = Matrix<T>.gaussian(rows: 17, columns: 13, using: &g)
    let pz = y.tangentProjection(of: z)
    let tol = tolerance(T.self, terms: 17 * 13, factor: 20)
    // Idempotent: P(P Z) = P Z.
    #expect(maxDifference(y.tangentProjection(of: pz), pz) <= tol)
    // Fixes tangent vectors U·M + N·Vᵀ.
    let tangent =
      y.u * Matrix<T>.gaussian(rows: 4, columns: 13, using: &g)
      + Matrix<T>.gaussian(rows: 17, columns: 4, using: &g).timesTransposed(y.v)
    #expect(maxDifference(y.tangentProjection(of: tangent), tangent) <= tol * Double(tangent.maxAbs))
    // P(Y)·Y = Y, and Z − P Z is orthogonal to the tangent space: Uᵀ(Z − PZ) = 0, (Z − PZ)V = 0.
    #expect(maxDifference(y.tangentProjection(of: y.dense()), y.dense()) <= tol * 3)
    let normal = z - pz
    #expect(y.u.transposedTimes(normal).maxAbs <= T(tol) * 10)
    #expect((normal * y.v).maxAbs <= T(tol) * 10)
  }

  @Test func tangentProjectionProperties() {
    checkTangentProjection(Float.self)
    checkTangentProjection(Double.self)
  }
}
