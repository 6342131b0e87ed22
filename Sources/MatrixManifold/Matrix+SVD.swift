/// A thin singular value decomposition `A = U·diag(σ)·Vᵀ`.
public struct SVD<Scalar: BLASScalar>: Sendable {
  /// Left singular vectors, m×k with orthonormal columns (`k = min(m, n)`).
  public var u: Matrix<Scalar>
  /// Singular values, `σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0`.
  public var singularValues: [Scalar]
  /// Right singular vectors transposed, k×n with orthonormal rows. Note: this is `Vᵀ`, not V.
  public var vt: Matrix<Scalar>

  /// The right singular vectors V (n×k), the transpose of ``vt``.
  public var v: Matrix<Scalar> { vt.transposed() }
}

extension Matrix {
  /// Thin SVD: returns U, σ, Vᵀ such that `A = U·diag(σ)·Vᵀ`.
  ///
  /// Uses LAPACK's divide-and-conquer `?gesdd`; if it reports non-convergence, falls back to
  /// the QR-iteration `?gesvd` (which LAPACK documents as the more robust of the two).
  /// On some nearly diagonal inputs LAPACK's divide and conquer prints ` ** On entry to SLASCL
  /// parameter number 4 had an illegal value` (an internal rescaling of an all-zero vector in
  /// `?lasd3`) and still returns a correct factorisation (Training.md, "A run").
  /// - Throws: ``MatrixError/nonFinite(operation:)`` for NaN/Inf input,
  ///   ``MatrixError/lapackFailure(routine:info:)`` when both routines fail.
  /// - Complexity: `O(m n min(m, n))`.
  public func svd() throws(MatrixError) -> SVD<Scalar> {
    guard isFinite else { throw .nonFinite(operation: "SVD") }
    let (m, n) = (rows, columns)
    let k = Swift.min(m, n)
    var u = Matrix(rows: m, columns: k)
    var vt = Matrix(rows: k, columns: n)
    var s = [Scalar](repeating: 0, count: k)
    guard k > 0 else { return SVD(u: u, singularValues: s, vt: vt) }
    var routine = "gesdd"
    for useGESDD in [true, false] {
      var a = self  // LAPACK destroys its input
      let info = a.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
          u.withUnsafeMutableBufferPointer { pu in
            vt.withUnsafeMutableBufferPointer { pv in
              (useGESDD ? Scalar.gesdd : Scalar.gesvd)(
                m, n, pa.baseAddress!, Swift.max(1, m), ps.baseAddress!,
                pu.baseAddress!, Swift.max(1, m), pv.baseAddress!, Swift.max(1, k))
            }
          }
        }
      }
      if info == 0 { return SVD(u: u, singularValues: s, vt: vt) }
      if info < 0 { throw .lapackFailure(routine: routine, info: info) }
      routine = "gesvd"
    }
    throw .lapackFailure(routine: "gesvd", info: 1)
  }

  /// The singular values in descending order.
  public func singularValues() throws(MatrixError) -> [Scalar] { try svd().singularValues }
}

extension Matrix {
  /// Eigen-decomposition of a symmetric matrix, `A = Q·diag(λ)·Qᵀ` (LAPACK `?syevd`).
  ///
  /// Only the upper triangle is read. Returns the eigenvalues in ascending order and the
  /// orthonormal eigenvectors as the columns of Q.
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` for a non-square matrix,
  ///   ``MatrixError/nonFinite(operation:)``, ``MatrixError/lapackFailure(routine:info:)``.
  public func symmetricEigen() throws(MatrixError) -> (values: [Scalar], vectors: Matrix) {
    guard rows == columns else { throw .shapeMismatch("symmetricEigen needs a square matrix, got \(shape)") }
    guard isFinite else { throw .nonFinite(operation: "symmetricEigen") }
    var q = self
    var w = [Scalar](repeating: 0, count: rows)
    guard rows > 0 else { return (w, q) }
    let n = rows
    let info = q.withUnsafeMutableBufferPointer { pa in
      w.withUnsafeMutableBufferPointer { pw in
        Scalar.syevd(n: n, a: pa.baseAddress!, lda: n, w: pw.baseAddress!)
      }
    }
    guard info == 0 else { throw .lapackFailure(routine: "syevd", info: info) }
    return (w, q)
  }
}
