internal import CLapack

extension Double: BLASScalar {
  public static func gemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasColMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  public static func gemv(
    _ trans: Transpose, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    cblas_dgemv(
      CblasColMajor, trans.cblas, blasint(m), blasint(n), alpha, a, blasint(lda),
      x, blasint(incx), beta, y, blasint(incy))
  }

  public static func dot(
    count: Int, _ x: UnsafePointer<Double>, incx: Int, _ y: UnsafePointer<Double>, incy: Int
  ) -> Double {
    Double(cblas_ddot(blasint(count), x, blasint(incx), y, blasint(incy)))
  }

  public static func nrm2(count: Int, _ x: UnsafePointer<Double>, incx: Int) -> Double {
    Double(cblas_dnrm2(blasint(count), x, blasint(incx)))
  }

  public static func axpy(
    count: Int, alpha: Double, _ x: UnsafePointer<Double>, incx: Int,
    _ y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    cblas_daxpy(blasint(count), alpha, x, blasint(incx), y, blasint(incy))
  }

  public static func scal(count: Int, alpha: Double, _ x: UnsafeMutablePointer<Double>, incx: Int) {
    cblas_dscal(blasint(count), alpha, x, blasint(incx))
  }

  public static func omatcopy(
    _ trans: Transpose, rows: Int, columns: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafeMutablePointer<Double>, ldb: Int
  ) {
    cblas_domatcopy(
      CblasColMajor, trans.cblas, blasint(rows), blasint(columns), alpha, a, blasint(lda),
      b, blasint(ldb))
  }

  public static func lacpyUpper(
    m: Int, n: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafeMutablePointer<Double>, ldb: Int
  ) {
    _ = LAPACKE_dlacpy(columnMajor, upper, Int32(m), Int32(n), a, Int32(lda), b, Int32(ldb))
  }

  public static func fill(_ buffer: UnsafeMutableBufferPointer<Double>, with value: Double) {
    buffer.update(repeating: value)
  }

  public static func sum(
    count: Int, _ y: UnsafePointer<Double>, _ alpha: Double, _ x: UnsafePointer<Double>,
    into z: UnsafeMutablePointer<Double>
  ) {
    sumInto(count, y, alpha, x, z)
  }

  public static func allFinite(_ buffer: UnsafeBufferPointer<Double>) -> Bool {
    allFiniteInLanes(buffer, SIMD8<Double>.self)
  }

  public static func geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafeMutablePointer<Double>
  ) -> Int {
    Int(LAPACKE_dgeqrf(columnMajor, Int32(m), Int32(n), a, Int32(lda), tau))
  }

  public static func orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafePointer<Double>
  ) -> Int {
    Int(
      LAPACKE_dorgqr(
        columnMajor, Int32(m), Int32(n), Int32(k), a, Int32(lda), tau))
  }

  public static func potrf(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int {
    Int(LAPACKE_dpotrf(columnMajor, upper, Int32(n), a, Int32(lda)))
  }

  public static func syrk(
    n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dsyrk(
      CblasColMajor, CblasUpper, CblasTrans, blasint(n), blasint(k), 1, a, blasint(lda), 0, c, blasint(ldc))
  }

  public static func trsm(
    m: Int, n: Int, r: UnsafePointer<Double>, ldr: Int, b: UnsafeMutablePointer<Double>, ldb: Int
  ) {
    cblas_dtrsm(
      CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, blasint(m), blasint(n), 1, r,
      blasint(ldr), b, blasint(ldb))
  }

  public static func gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>,
    u: UnsafeMutablePointer<Double>, ldu: Int, vt: UnsafeMutablePointer<Double>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_dgesdd(
        columnMajor, jobS, Int32(m), Int32(n), a, Int32(lda), s,
        u, Int32(ldu), vt, Int32(ldvt)))
  }

  public static func gesvd(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>,
    u: UnsafeMutablePointer<Double>, ldu: Int, vt: UnsafeMutablePointer<Double>, ldvt: Int
  ) -> Int {
    var superb = [Double](repeating: 0, count: Swift.max(1, Swift.min(m, n) - 1))
    return Int(
      LAPACKE_dgesvd(
        columnMajor, jobS, jobS, Int32(m), Int32(n), a, Int32(lda), s,
        u, Int32(ldu), vt, Int32(ldvt), &superb))
  }

  public static func syevd(
    n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>
  ) -> Int {
    Int(LAPACKE_dsyevd(columnMajor, jobV, upper, Int32(n), a, Int32(lda), w))
  }
}
