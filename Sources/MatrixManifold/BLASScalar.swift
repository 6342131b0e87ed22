/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable, Hashable {
  /// Use the operand as stored: `op(A) = A`.
  case none
  /// Use the transpose of the operand: `op(A) = Aᵀ`.
  case transposed
}

/// A real floating-point scalar for which OpenBLAS and LAPACKE provide routines.
///
/// Generic code in this package is written against this protocol and never switches on the
/// concrete type; `Float+BLAS.swift` and `Double+BLAS.swift` forward each requirement to the
/// matching single- or double-precision C routine. Every routine works on **column-major**
/// storage given by a base pointer and a leading dimension (the distance between columns).
///
/// These are low-level entry points: most code should use ``Matrix`` and ``LowRankMatrix``.
/// LAPACK routines return LAPACK's `info` (0 on success).
public protocol BLASScalar: BinaryFloatingPoint, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
  /// `C ← α·op(A)·op(B) + β·C` with `op(A)` m×k, `op(B)` k×n, C m×n (BLAS `?gemm`).
  static func gemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// `y ← α·op(A)·x + β·y` with A m×n (BLAS `?gemv`).
  static func gemv(
    _ trans: Transpose, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)

  /// `Σ xᵢ yᵢ` (BLAS `?dot`).
  static func dot(
    count: Int, _ x: UnsafePointer<Self>, incx: Int, _ y: UnsafePointer<Self>, incy: Int
  ) -> Self

  /// Euclidean norm `‖x‖₂`, computed without overflow (BLAS `?nrm2`).
  static func nrm2(count: Int, _ x: UnsafePointer<Self>, incx: Int) -> Self

  /// `y ← α·x + y` (BLAS `?axpy`).
  static func axpy(
    count: Int, alpha: Self, _ x: UnsafePointer<Self>, incx: Int,
    _ y: UnsafeMutablePointer<Self>, incy: Int)

  /// `x ← α·x` (BLAS `?scal`).
  static func scal(count: Int, alpha: Self, _ x: UnsafeMutablePointer<Self>, incx: Int)

  /// `B ← α·op(A)` for an m×n A (OpenBLAS extension `?omatcopy`); B is n×m when transposed.
  static func omatcopy(
    _ trans: Transpose, rows: Int, columns: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    b: UnsafeMutablePointer<Self>, ldb: Int)

  /// Copies the upper triangle (including the diagonal) of an m×n A into B (LAPACK `?lacpy`, 'U');
  /// the rest of B is left as it is.
  static func lacpyUpper(
    m: Int, n: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafeMutablePointer<Self>, ldb: Int)

  /// Sets every entry of `buffer` to `value` (concrete per type, so it runs at memory speed).
  static func fill(_ buffer: UnsafeMutableBufferPointer<Self>, with value: Self)

  /// `z ← y + α·x` over `count` entries into a third buffer: one pass over memory, where a copy
  /// followed by `?axpy` would take two. Concrete per type so that the loop is vectorised.
  static func sum(
    count: Int, _ y: UnsafePointer<Self>, _ alpha: Self, _ x: UnsafePointer<Self>,
    into z: UnsafeMutablePointer<Self>)

  /// Whether every entry of `buffer` is finite (no NaN, no infinity). Concrete per type so the
  /// scan runs at memory speed even when called from generic code.
  static func allFinite(_ buffer: UnsafeBufferPointer<Self>) -> Bool

  /// Householder QR factorisation of an m×n matrix in place (LAPACK `?geqrf`).
  static func geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafeMutablePointer<Self>
  ) -> Int

  /// Forms the first n columns of Q from the output of `geqrf` (LAPACK `?orgqr`).
  static func orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int,
    tau: UnsafePointer<Self>
  ) -> Int

  /// Cholesky factorisation `A = RᵀR` of a symmetric positive definite n×n matrix in place: the
  /// upper triangle is read and overwritten by R, the strict lower triangle is not referenced
  /// (LAPACK `?potrf`, uplo U). Returns LAPACK's info: > 0 when A is not positive definite.
  static func potrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int

  /// The upper triangle of `C ← Aᵀ·A` for a k×n A: n×n, including the diagonal (BLAS `?syrk`:
  /// upper, transposed, α = 1, β = 0); the strict lower triangle of C is not written. Half the
  /// arithmetic of the GEMM that forms all of C.
  static func syrk(n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// `B ← B·R⁻¹` for an m×n B and the upper triangle of an n×n R (BLAS `?trsm`: side right,
  /// upper, not transposed, non-unit diagonal).
  static func trsm(
    m: Int, n: Int, r: UnsafePointer<Self>, ldr: Int, b: UnsafeMutablePointer<Self>, ldb: Int)

  /// Thin SVD by divide and conquer, `A = U·diag(s)·Vᵀ`, writing `Vᵀ` (LAPACK `?gesdd`, jobz S).
  static func gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int
  ) -> Int

  /// Thin SVD by QR iteration, the robust fallback (LAPACK `?gesvd`, jobu = jobvt = S).
  static func gesvd(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int
  ) -> Int

  /// Eigenvalues (ascending) and eigenvectors of a symmetric matrix, upper triangle read
  /// (LAPACK `?syevd`, jobz V). The eigenvectors overwrite `a`.
  static func syevd(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>)
    -> Int
}

/// Whether every element of `buffer` is finite, summed in the lanes of `Lanes` (the conformances'
/// ``BLASScalar/allFinite(_:)``). `x − x` is 0 for finite x and NaN for NaN or ±∞, and a sum keeps
/// any NaN. The lanes are explicit because the compiler may not reorder a scalar floating-point
/// sum into vector lanes; the scalar loop was several times slower.
func allFiniteInLanes<Lanes: SIMD>(_ buffer: UnsafeBufferPointer<Lanes.Scalar>, _: Lanes.Type) -> Bool
where Lanes.Scalar: BinaryFloatingPoint {
  guard let base = buffer.baseAddress else { return true }
  let raw = UnsafeRawPointer(base)
  var lanes = Lanes()
  var i = 0
  while i + Lanes.scalarCount <= buffer.count {
    let x = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Lanes.Scalar>.stride, as: Lanes.self)
    lanes += x - x
    i += Lanes.scalarCount
  }
  var tail: Lanes.Scalar = 0
  while i < buffer.count {
    tail += base[i] - base[i]
    i += 1
  }
  return lanes.sum() + tail == 0
}

/// `z ← y + α·x` elementwise (the conformances' ``BLASScalar/sum(count:_:_:_:into:)``).
func sumInto<T: BinaryFloatingPoint>(
  _ count: Int, _ y: UnsafePointer<T>, _ alpha: T, _ x: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>
) {
  for i in 0..<count { z[i] = y[i] + alpha * x[i] }
}
