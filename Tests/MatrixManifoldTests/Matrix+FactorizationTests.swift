import Foundation
import MatrixManifold
import TestSupport
import Testing

@Suite struct MatrixFactorizationTests {
  /// Inputs: Gaussian of every test shape, a rank-deficient matrix, and the zero matrix.
  func inputs<T: BLASScalar>(_: T.Type) -> [Matrix<T>] {
    var g = testGenerator(10)
    var list = testShapes.map { Matrix<T>.gaussian(rows: $0.rows, columns: $0.columns, using: &g) }
    list.append(randomRank(2, rows: 12, columns: 8, using: &g))
    list.append(Matrix<T>(rows: 6, columns: 4))
    return list
  }

  func checkQR<T: BLASScalar>(_: T.Type) throws {
    for a in inputs(T.self) {
      let (q, r) = try a.qr()
      let k = Swift.min(a.rows, a.columns)
      #expect(q.shape == Shape(rows: a.rows, columns: k) && r.shape == Shape(rows: k, columns: a.columns))
      // Householder QR is backward stable: ‖A − QR‖ ≲ c·m·n·ε·‖A‖ and ‖QᵀQ − I‖ ≲ c·m·n·ε.
      let tol = tolerance(T.self, terms: a.rows * a.columns)
      #expect(orthonormalityError(q) <= tol, "\(a.shape) \(T.self)")
      let scale = Swift.max(1, Double(a.maxAbs))
      #expect(maxDifference(q * r, a) <= tol * scale, "\(a.shape) \(T.self)")
      for j in 0..<r.columns { for i in (j + 1)..<Swift.max(j + 1, k) { #expect(r[i, j] == 0) } }
    }
  }

  @Test func qrIdentities() throws {
    try checkQR(Float.self)
    try checkQR(Double.self)
  }

  func checkSVD<T: BLASScalar>(_: T.Type, of matrices: [Matrix<T>]? = nil) throws {
    for a in matrices ?? inputs(T.self) {
      let f = try a.svd()
      let tol = tolerance(T.self, terms: a.rows * a.columns)
      #expect(orthonormalityError(f.u) <= tol, "\(a.shape)")
      #expect(orthonormalityError(f.v) <= tol, "\(a.shape)")
      #expect(f.singularValues.allSatisfy { $0 >= 0 })
      #expect(zip(f.singularValues, f.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
      let reconstructed = (f.u * Matrix.diagonal(f.singularValues)) * f.vt
      #expect(maxDifference(reconstructed, a) <= tol * Swift.max(1, Double(a.maxAbs)), "\(a.shape)")
      // ‖A‖_F² = Σσ²: an identity independent of the factors.
      let sum = f.singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
      let fro = Double(a.frobeniusNorm)
      #expect(Swift.abs(sum.squareRoot() - fro) <= tol * Swift.max(1, fro))
    }
  }

  @Test func svdIdentities() throws {
    try checkSVD(Float.self)
    try checkSVD(Double.self)
  }

  /// A truncation core saved from a `dlrt train` run (158×158: a diagonal leading block, the rest
  /// within 3·10⁻⁵ of zero; 8 bytes of Int32 rows and columns, then Float entries by column) on
  /// which OpenBLAS 0.3.21's `sgesdd` prints "On entry to SLASCL parameter number 4 had an
  /// illegal value". The factorisation is still correct: the identities of `checkSVD`, a
  /// reconstruction to 10·n·ε relative in the Frobenius norm, and singular values within
  /// 10·n·ε·σ₁ of those of the Double SVD of the same entries (Weyl's bound for a backward stable
  /// SVD).
  @Test func svdOfANearlyDiagonalCoreThatMakesLAPACKComplainIsCorrect() throws {
    let url = try #require(
      Bundle.module.url(forResource: "nearly-diagonal-core", withExtension: "bin", subdirectory: "Resources"))
    let bytes = [UInt8](try Data(contentsOf: url))
    let (m, n) = bytes.withUnsafeBytes {
      (Int($0.load(as: Int32.self)), Int($0.load(fromByteOffset: 4, as: Int32.self)))
    }
    try #require(m == 158 && n == 158 && bytes.count == 8 + 4 * m * n)
    let entries = bytes[8...].withUnsafeBytes { raw in
      (0..<m * n).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }
    let a = try Matrix<Float>(rows: m, columns: n, elements: entries)
    try checkSVD(Float.self, of: [a])
    let f = try a.svd()
    let tol = tolerance(Float.self, terms: n)
    let residual = (f.u * Matrix.diagonal(f.singularValues)) * f.vt - a
    #expect(Double(residual.frobeniusNorm) <= tol * Double(a.frobeniusNorm))
    let exact = try Matrix<Double>(rows: m, columns: n, elements: entries.map(Double.init)).singularValues()
    for (s, e) in zip(f.singularValues, exact) {
      #expect(Swift.abs(Double(s) - e) <= tol * exact[0], "σ \(s) against \(e)")
    }
  }

  @Test func svdOfRankDeficientMatrixHasZeroTail() throws {
    var g = testGenerator(11)
    let a: Matrix<Double> = randomRank(3, rows: 20, columns: 10, using: &g)
    let sigma = try a.singularValues()
    #expect(sigma[2] > 1e-3)
    #expect(sigma[3...].allSatisfy { $0 <= 1e-12 * sigma[0] })
  }

  @Test func spectralNormOfDiagonal() throws {
    let d = Matrix<Double>.diagonal([3, -7, 2])
    #expect(Swift.abs(try d.spectralNorm() - 7) <= 1e-14)
  }

  @Test func symmetricEigenReconstructs() throws {
    var g = testGenerator(12)
    let b = Matrix<Double>.gaussian(rows: 8, columns: 8, using: &g)
    let a = b + b.transposed()
    let (values, vectors) = try a.symmetricEigen()
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(orthonormalityError(vectors) <= 1e-13)
    let reconstructed = (vectors * Matrix.diagonal(values)).timesTransposed(vectors)
    #expect(maxDifference(reconstructed, a) <= 1e-12)
    #expect(throws: MatrixError.self) { try Matrix<Double>(rows: 2, columns: 3).symmetricEigen() }
  }

  @Test func nonFiniteInputThrows() throws {
    var a = Matrix<Float>.identity(3)
    a[1, 2] = .nan
    #expect(throws: MatrixError.nonFinite(operation: "SVD")) { try a.svd() }
    #expect(throws: MatrixError.nonFinite(operation: "QR")) { try a.qr() }
    a[1, 2] = .infinity
    #expect(throws: MatrixError.self) { try a.orthonormalized() }
  }

  /// `allFinite` (the check behind `isFinite` and the factorisations' input errors) against the
  /// element-by-element test: every length 0…40 (whole SIMD blocks, tails, both), extreme finite
  /// values, and a NaN, +∞ or −∞ at every position.
  func checkAllFinite<T: BLASScalar>(_: T.Type) {
    for n in 0...40 {
      var x = (0..<n).map { i -> T in
        switch i % 4 {
        case 0: T.greatestFiniteMagnitude
        case 1: -T.leastNonzeroMagnitude
        case 2: -0.0
        default: T(i)
        }
      }
      #expect(x.withUnsafeBufferPointer { T.allFinite($0) }, "n = \(n)")
      for position in 0..<n {
        for bad in [T.nan, T.infinity, -T.infinity] {
          let kept = x[position]
          x[position] = bad
          let found = x.withUnsafeBufferPointer { T.allFinite($0) }
          #expect(found == x.allSatisfy(\.isFinite) && !found, "n = \(n), \(bad) at \(position)")
          x[position] = kept
        }
      }
    }
  }

  @Test func allFiniteFindsEveryNonFiniteEntry() {
    checkAllFinite(Float.self)
    checkAllFinite(Double.self)
  }

  @Test func randomOrthonormalIsOrthonormalAndSeeded() {
    var g1 = testGenerator(13)
    var g2 = testGenerator(13)
    let q1 = Matrix<Double>.randomOrthonormal(rows: 30, columns: 7, using: &g1)
    let q2 = Matrix<Double>.randomOrthonormal(rows: 30, columns: 7, using: &g2)
    #expect(q1 == q2)
    #expect(orthonormalityError(q1) <= 1e-14)
  }

  @Test func gaussianMomentsAreRight() {
    // 40 000 samples: the sample mean has standard deviation 1/200, the variance ≈ 0.007.
    var g = testGenerator(14)
    let x = Matrix<Double>.gaussian(rows: 200, columns: 200, using: &g).elements
    let mean = x.reduce(0, +) / Double(x.count)
    let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
    #expect(Swift.abs(mean) < 0.025)
    #expect(Swift.abs(variance - 1) < 0.035)
  }
}
