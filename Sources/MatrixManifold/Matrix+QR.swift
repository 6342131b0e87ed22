extension Matrix {
  /// Thin QR factorisation `A = Q·R` by Householder reflections (LAPACK `?geqrf` + `?orgqr`).
  ///
  /// For an m×n matrix with `k = min(m, n)`, returns Q (m×k, orthonormal columns) and R
  /// (k×n, upper triangular), so that `A = Q·R` and `QᵀQ = I`.
  /// - Throws: ``MatrixError/nonFinite(operation:)`` for NaN/Inf input,
  ///   ``MatrixError/lapackFailure(routine:info:)`` if LAPACK reports an error.
  /// - Complexity: `O(m n k)`.
  public func qr() throws(MatrixError) -> (q: Matrix, r: Matrix) {
    var (factored, tau) = try householder()
    let k = tau.count
    var r = Matrix(rows: k, columns: columns)
    if k > 0 {
      let (lda, m, n) = (leadingDimension, k, columns)
      factored.withUnsafeBufferPointer { a in
        r.withUnsafeMutableBufferPointer { b in
          Scalar.lacpyUpper(m: m, n: n, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: m)
        }
      }
    }
    let q = try factored.formQ(tau: tau)
    return (q, r)
  }

  /// An orthonormal basis of the column space computed by thin QR: the Q of ``qr()``.
  ///
  /// The columns of the result span the columns of `self` when `self` has full column rank;
  /// the result is m×min(m, n) with `QᵀQ = I`.
  public func orthonormalized() throws(MatrixError) -> Matrix {
    var (factored, tau) = try householder()
    return try factored.formQ(tau: tau)
  }

  /// Replaces the matrix with ``orthonormalized()``.
  public mutating func orthonormalize() throws(MatrixError) { self = try orthonormalized() }

  private func householder() throws(MatrixError) -> (Matrix, [Scalar]) {
    guard isFinite else { throw .nonFinite(operation: "QR") }
    var a = self
    var tau = [Scalar](repeating: 0, count: Swift.min(rows, columns))
    guard !tau.isEmpty else { return (a, tau) }
    let lda = leadingDimension
    let info = a.withUnsafeMutableBufferPointer { p in
      tau.withUnsafeMutableBufferPointer { t in
        Scalar.geqrf(m: rows, n: columns, a: p.baseAddress!, lda: lda, tau: t.baseAddress!)
      }
    }
    guard info == 0 else { throw .lapackFailure(routine: "geqrf", info: info) }
    return (a, tau)
  }

  /// Turns the output of `geqrf` (self) into the m×k orthonormal factor.
  private mutating func formQ(tau: [Scalar]) throws(MatrixError) -> Matrix {
    let k = tau.count
    guard k > 0 else { return Matrix(rows: rows, columns: 0) }
    let lda = leadingDimension
    let (m, n) = (rows, columns)
    let info = withUnsafeMutableBufferPointer { p in
      tau.withUnsafeBufferPointer { t in
        Scalar.orgqr(m: m, n: k, k: k, a: p.baseAddress!, lda: lda, tau: t.baseAddress!)
      }
    }
    guard info == 0 else { throw .lapackFailure(routine: "orgqr", info: info) }
    return n == k ? self : Matrix(columns(0..<k))
  }
}
