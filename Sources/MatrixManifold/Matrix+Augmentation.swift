extension Matrix {
  /// An orthonormal basis `[Ū, Q]` of the columns of `[U₀, extra]` whose first r columns span
  /// U₀ = `self` (n×r): the augmented bases of the rank-adaptive BUG integrators (Ceruti, Kusch &
  /// Lubich, BIT 62, 2022).
  ///
  /// U₀ is meant to be orthonormal but may carry the rounding of earlier steps; Ū is U₀
  /// re-orthonormalised, so that rounding cannot accumulate from step to step (kept as it is, U₀
  /// lost orthogonality within about 1500 Float training steps and the training diverged). The
  /// steps are GEMMs and Cholesky factorisations of r×r and k×k Gram matrices:
  /// 1. `Ū = U₀·R⁻¹` with `RᵀR = U₀ᵀU₀` (Cholesky QR, one pass: orthonormal to working accuracy
  ///    because U₀ is nearly orthonormal already);
  /// 2. `P = (I − ŪŪᵀ)·extra`, applied twice (block classical Gram–Schmidt; the second pass removes
  ///    what rounding left of Ū in P, "twice is enough");
  /// 3. Q from two passes of Cholesky QR of P (CholeskyQR2), accurate when P's condition number is
  ///    below about `1/√ε`; when it is not (a factorisation breaks down, or after the first pass
  ///    the Gram matrix is more than 1/2 from I, as for a rank-deficient P when `extra` adds
  ///    little to U₀), Q from the Householder QR of P instead;
  /// 4. if `C = ŪᵀQ` is not negligible (P had directions at the rounding level, whose Q columns
  ///    can lean towards Ū), `Q ← (Q − Ū·C)·R₂⁻¹` with `R₂ᵀR₂` the Gram matrix of `Q − Ū·C`
  ///    (a second Gram–Schmidt pass with Cholesky QR, well conditioned because ‖C‖_F ≤ 1/2).
  /// See Barlow & Smoktunowicz, "Reorthogonalized block classical Gram–Schmidt", Numer. Math. 123
  /// (2013), and Yamamoto et al., "Roundoff error analysis of the CholeskyQR2 algorithm", ETNA 44
  /// (2015). When a safeguard fails (U₀ far from orthonormal, `‖C‖_F > 1/2`, a Cholesky
  /// factorisation that breaks down) or `r + k > n`, the result is the Householder QR of
  /// `[U₀, extra]` instead, which is always orthonormal to working accuracy.
  ///
  /// The basis is n×(r + k) (n×min(n, r + k) in the fallback when `r + k > n`), with
  /// `‖[Ū, Q]ᵀ[Ū, Q] − I‖` of the order of a fresh Householder QR's. Both ways also give the r×r
  /// upper-triangular R with `Ū·R = U₀` (the Cholesky factor of step 1, or the leading block of
  /// the Householder R), which gives the coordinates of U₀ in the new basis, `[Ū, Q]ᵀ·U₀ = [R; 0]`,
  /// without a product (``AugmentedBasis``).
  /// - Throws: ``MatrixError/nonFinite(operation:)`` for NaN/Inf input,
  ///   ``MatrixError/lapackFailure(routine:info:)`` if LAPACK reports an error.
  /// - Complexity: `O(n·(r + k)·k + n·r²)` flops, about as many as the Householder QR of
  ///   `[U₀, extra]` but in GEMMs and triangular solves instead of LAPACK's Householder panels,
  ///   which run at a fraction of the GEMM rate at these sizes.
  public func augmentedBasis(with extra: Matrix) throws(MatrixError) -> AugmentedBasis<Scalar> {
    precondition(rows == extra.rows, "augmentedBasis: U₀ \(shape), extra \(extra.shape)")
    guard isFinite, extra.isFinite else { throw .nonFinite(operation: "augmentedBasis") }
    if columns > 0, extra.columns > 0, columns + extra.columns <= rows,
      let augmented = try gramSchmidtAugmentation(extra)
    {
      return augmented
    }
    let (q, r) = try Matrix.concatenated(self, extra).qr()
    return AugmentedBasis(basis: q, leadingFactor: Matrix(r.block(rows: 0..<columns, columns: 0..<columns)))
  }

  /// Steps 1–4 of ``augmentedBasis(with:)``; nil when a safeguard fails.
  private func gramSchmidtAugmentation(_ extra: Matrix) throws(MatrixError) -> AugmentedBasis<Scalar>? {
    let (r, k) = (columns, extra.columns)
    var u = self
    guard let factored = u.orthonormalizeByCholesky(gram: gramUpper()) else { return nil }
    var p = extra
    var c = Matrix(rows: r, columns: k)
    for _ in 0..<2 {
      c.formProduct(u, p, opA: .transposed)
      p.formProduct(u, c, alpha: -1, beta: 1)
    }
    var q = p
    if q.orthonormalizeByCholesky(gram: p.gramUpper(), nearIdentity: false) == nil
      || q.orthonormalizeByCholesky(gram: q.gramUpper()) == nil
    {
      q = try p.orthonormalized()
    }
    c.formProduct(u, q, opA: .transposed)
    // ‖C‖_F below √(r·k)·ε (root mean square entry ε) is as orthogonal as Householder QR makes
    // [U₀, extra]; above 1/2, Q − Ū·C may be too ill-conditioned for Cholesky QR.
    let size = c.frobeniusNorm
    if size > Scalar(r * k).squareRoot() * Scalar.ulpOfOne {
      guard size <= 0.5 else { return nil }
      q.formProduct(u, c, alpha: -1, beta: 1)
      guard q.orthonormalizeByCholesky(gram: q.gramUpper()) != nil else { return nil }
    }
    var basis = Matrix(rows: rows, columns: r + k)
    basis.assign(u)
    basis.assign(q, column: r)
    // R is the upper triangle of the factored Gram matrix.
    var leadingFactor = Matrix(rows: r, columns: r)
    factored.withUnsafeBufferPointer { a in
      leadingFactor.withUnsafeMutableBufferPointer { b in
        Scalar.lacpyUpper(m: r, n: r, a: a.baseAddress!, lda: r, b: b.baseAddress!, ldb: r)
      }
    }
    return AugmentedBasis(basis: basis, leadingFactor: leadingFactor)
  }

  /// The upper triangle of the Gram matrix `selfᵀ·self` (columns × columns), by `?syrk` at half
  /// the arithmetic of a GEMM; the strict lower triangle is zero.
  func gramUpper() -> Matrix {
    var g = Matrix(rows: columns, columns: columns)
    guard rows > 0, columns > 0 else { return g }
    let (n, k, lda) = (columns, rows, leadingDimension)
    withUnsafeBufferPointer { a in
      g.withUnsafeMutableBufferPointer { c in
        Scalar.syrk(n: n, k: k, a: a.baseAddress!, lda: lda, c: c.baseAddress!, ldc: n)
      }
    }
    ProductWork.recordGram(n: n, k: k)
    return g
  }

  /// One Cholesky QR pass: `self ← self·R⁻¹` with `RᵀR = gram`, the upper triangle of the Gram
  /// matrix `selfᵀ·self` (``gramUpper()``; the strict lower triangle is not read); returns the
  /// factored Gram matrix, R in its upper triangle.
  ///
  /// Orthonormal to working accuracy only when `self` is well conditioned (the error grows like
  /// ε·κ²). Returns nil, leaving `self` unchanged, when the factorisation breaks down or, with
  /// `nearIdentity`, when `‖gram − I‖_F > 1/2` (then κ may exceed √3).
  private mutating func orthonormalizeByCholesky(gram: Matrix, nearIdentity: Bool = true) -> Matrix? {
    var r = gram
    let n = r.rows
    if nearIdentity {
      // ‖gram − I‖_F from the upper triangle, whose entries above the diagonal stand for two:
      // with E the upper triangle of gram − I, ‖gram − I‖²_F = 2‖E‖²_F − Σ E_ii². The entrywise
      // work goes through the BLAS norm (generic code would not be specialised here).
      for i in 0..<n { r[i, i] -= 1 }
      let upper = r.frobeniusNorm
      var diagonal: Scalar = 0
      for i in 0..<n { diagonal += r[i, i] * r[i, i] }
      guard 2 * upper * upper - diagonal <= 0.25 else { return nil }
      r = gram
    }
    let info = r.withUnsafeMutableBufferPointer { Scalar.potrf(n: n, a: $0.baseAddress!, lda: n) }
    guard info == 0 else { return nil }
    divideByUpperTriangle(of: r)
    return r
  }

  /// `self ← self·R⁻¹` for R the upper triangle of the square `r` (columns × columns; its strict
  /// lower triangle is not read), by a triangular solve.
  fileprivate mutating func divideByUpperTriangle(of r: Matrix) {
    precondition(r.rows == columns && r.columns == columns, "divideByUpperTriangle: \(shape) by \(r.shape)")
    let (m, n, ld) = (rows, columns, leadingDimension)
    guard m > 0, n > 0 else { return }
    r.withUnsafeBufferPointer { pr in
      withUnsafeMutableBufferPointer { pb in
        Scalar.trsm(m: m, n: n, r: pr.baseAddress!, ldr: n, b: pb.baseAddress!, ldb: ld)
      }
    }
  }
}

/// An orthonormal basis `[Ū, Q]` that extends a basis U₀ (``Matrix/augmentedBasis(with:)``),
/// with the triangular factor that relates its leading columns to U₀.
public struct AugmentedBasis<Scalar: BLASScalar>: Sendable {
  /// `[Ū, Q]`, n×(r + k) with orthonormal columns (n×min(n, r + k) when `r + k > n`).
  public var basis: Matrix<Scalar>
  /// R, r×r upper triangular, with `Ū·R = U₀` to working accuracy; so the coordinates of U₀ in
  /// the basis are `[Ū, Q]ᵀ·U₀ = [R; 0]` without a product (`QᵀU₀ = QᵀŪ·R` is of the order of
  /// the orthonormality error).
  public var leadingFactor: Matrix<Scalar>

  /// A basis and the factor of its leading columns.
  public init(basis: Matrix<Scalar>, leadingFactor: Matrix<Scalar>) {
    precondition(
      leadingFactor.rows == leadingFactor.columns && leadingFactor.rows <= basis.columns,
      "AugmentedBasis: basis \(basis.shape), leading factor \(leadingFactor.shape)")
    self.basis = basis
    self.leadingFactor = leadingFactor
  }

  /// `X·Ū` from `X·U₀` (m×r) for any X: `(X·U₀)·R⁻¹`, a triangular solve with the r×r factor
  /// instead of a product with the n×r Ū. A product with U₀ that is already known (a field's
  /// `F·V₀`, say) thus gives the product with the basis's leading columns.
  public func leadingProduct(fromProductWithOld xu0: Matrix<Scalar>) -> Matrix<Scalar> {
    let r = leadingFactor.rows
    precondition(xu0.columns == r, "leadingProduct: X·U₀ \(xu0.shape) for a leading factor \(r)×\(r)")
    var result = xu0
    result.divideByUpperTriangle(of: leadingFactor)
    return result
  }
}
