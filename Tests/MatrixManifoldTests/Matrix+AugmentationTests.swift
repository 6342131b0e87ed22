import MatrixManifold
import TestSupport
import Testing

@Suite struct MatrixAugmentationTests {
  /// How the extra columns relate to U₀: each kind exercises another path of `augmentedBasis`.
  enum Extra: CaseIterable {
    /// Gaussian: a well-conditioned complement (no second pass).
    case gaussian
    /// `U₀·X + 10⁻⁴·G`: mostly inside span(U₀), as K₁ = K₀ + h·F·V₀ in training.
    case nearlyInside
    /// `U₀·X` exactly: the complement is rounding noise.
    case inside
    /// One random direction outside U₀ repeated in every column: rank-deficient complement.
    case repeated
    /// Zero.
    case zero
  }

  func extra<T: BLASScalar>(_ kind: Extra, basis u0: Matrix<T>, columns k: Int, using g: inout SplitMix64)
    -> Matrix<T>
  {
    let n = u0.rows
    switch kind {
    case .gaussian: return .gaussian(rows: n, columns: k, using: &g)
    case .nearlyInside:
      return u0 * Matrix<T>.gaussian(rows: u0.columns, columns: k, using: &g)
        + Matrix<T>.gaussian(rows: n, columns: k, standardDeviation: 1e-4, using: &g)
    case .inside: return u0 * Matrix<T>.gaussian(rows: u0.columns, columns: k, using: &g)
    case .repeated:
      let column = Matrix<T>.gaussian(rows: n, columns: 1, using: &g)
      return column * Matrix<T>(rows: 1, columns: k, repeating: 1)
    case .zero: return Matrix(rows: n, columns: k)
    }
  }

  /// `[Ū, Q]` is orthonormal, its first r columns span U₀ and all of it spans `extra`, to the
  /// accuracy of Householder QR of `[U₀, extra]`: backward stable, so errors of order n·(r + k)·ε
  /// (the bound of the QR tests, Higham ch. 19). U₀ is orthonormal, or (`drift`) perturbed by
  /// 10⁻³ as if rounding had accumulated in it for many steps.
  func check<T: BLASScalar>(_: T.Type, rows n: Int, rank r: Int, extra k: Int, drift: Bool) throws {
    var g = testGenerator(UInt64(31 * n + 7 * r + k))
    var u0 = Matrix<T>.randomOrthonormal(rows: n, columns: r, using: &g)
    if drift { u0 += Matrix<T>.gaussian(rows: n, columns: r, standardDeviation: 1e-3, using: &g) }
    for kind in Extra.allCases {
      let e = extra(kind, basis: u0, columns: k, using: &g)
      let augmented = try u0.augmentedBasis(with: e)
      let basis = augmented.basis
      let label = "\(T.self) \(n)×(\(r)+\(k)) \(kind) drift \(drift)"
      #expect(basis.shape == Shape(rows: n, columns: Swift.min(n, r + k)), "\(label)")
      let tol = tolerance(T.self, terms: n * (r + k))
      #expect(orthonormalityError(basis) <= tol, "\(label): ‖ÛᵀÛ − I‖ \(orthonormalityError(basis))")
      let leading = Matrix(basis.columns(0..<r))
      let outsideLeading = u0 - leading * leading.transposedTimes(u0)
      #expect(Double(outsideLeading.maxAbs) <= tol, "\(label): U₀ outside span(Ū)")
      // The leading factor: upper triangular, Ū·R = U₀, and [Ū, Q]ᵀ·U₀ = [R; 0] (formed here by
      // a product, which the type avoids).
      let factor = augmented.leadingFactor
      #expect(factor.shape == Shape(rows: r, columns: r), "\(label)")
      #expect(
        (0..<r).allSatisfy { j in (j + 1..<r).allSatisfy { factor[$0, j] == 0 } },
        "\(label): R not triangular")
      #expect(Double((leading * factor - u0).maxAbs) <= tol, "\(label): Ū·R ≠ U₀")
      var stacked = Matrix<T>(rows: basis.columns, columns: r)
      stacked.assign(factor)
      #expect(Double((basis.transposedTimes(u0) - stacked).maxAbs) <= tol, "\(label): ÛᵀU₀ ≠ [R; 0]")
      // X·Ū from X·U₀ by the triangular solve.
      let x = Matrix<T>.gaussian(rows: 7, columns: n, using: &g)
      let fromOld = augmented.leadingProduct(fromProductWithOld: x * u0)
      #expect(
        Double((fromOld - x * leading).maxAbs) <= tol * Double(x.maxAbs) * Double(n),
        "\(label): X·Ū from X·U₀")
      let outside = e - basis * basis.transposedTimes(e)
      #expect(
        Double(outside.maxAbs) <= tol * Swift.max(1, Double(e.maxAbs)), "\(label): extra outside span(Û)")
    }
  }

  @Test(arguments: [(40, 5, 5), (60, 8, 3), (30, 12, 12), (9, 1, 8), (20, 3, 6)])
  func augmentedBasisIsOrthonormalAndSpansBoth(rows n: Int, rank r: Int, extra k: Int) throws {
    for drift in [false, true] {
      try check(Float.self, rows: n, rank: r, extra: k, drift: drift)
      try check(Double.self, rows: n, rank: r, extra: k, drift: drift)
    }
  }

  /// With more columns than rows the result is the n×n Householder basis, still led by U₀.
  @Test func moreColumnsThanRowsGiveASquareBasis() throws {
    try check(Double.self, rows: 10, rank: 6, extra: 6, drift: false)
    try check(Float.self, rows: 10, rank: 6, extra: 6, drift: true)
  }

  @Test func nonFiniteInputThrows() {
    var g = testGenerator(33)
    let u0 = Matrix<Double>.randomOrthonormal(rows: 12, columns: 3, using: &g)
    var e = Matrix<Double>.gaussian(rows: 12, columns: 3, using: &g)
    e[4, 1] = .nan
    #expect(throws: MatrixError.self) { try u0.augmentedBasis(with: e).basis }
  }
}
