internal import CLapack

extension Float: BLASScalar {
  public static func gemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasColMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  public static func gemv(
    _ trans: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    cblas_sgemv(
      CblasColMajor, trans.cblas, blasint(m), blasint(n), alpha, a, blasint(lda),
      x, blasint(incx), beta, y, blasint(incy))
  }

  public static func dot(
    count: Int, _ x: UnsafePointer<Float>, incx: Int, _ y: UnsafePointer<Float>, incy: Int
  ) -> Float {
    Float(cblas_sdot(blasint(count), x, blasint(incx), y, blasint(incy)))
  }

  public static func nrm2(count: Int, _ x: UnsafePointer<Float>, incx: Int) -> Float {
    Float(cblas_snrm2(blasint(count), x, blasint(incx)))
  }

  public static func axpy(
    count: Int, alpha: Float, _ x: UnsafePointer<Float>, incx: Int,
    _ y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    cblas_saxpy(blasint(count), alpha, x, blasint(incx), y, blasint(incy))
  }

  public static func scal(count: Int, alpha: Float, _ x: UnsafeMutablePointer<Float>, incx: Int) {
    cblas_sscal(blasint(count), alpha, x, blasint(incx))
  }

  public static func omatcopy(
    _ trans: Transpose, rows: Int, columns: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafeMutablePointer<Float>, ldb: Int
  ) {
    cblas_somatcopy(
      CblasColMajor, trans.cblas, blasint(rows), blasint(columns), alpha, a, blasint(lda),
      b, blasint(ldb))
  }

  public static func lacpyUpper(
    m: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeMutablePointer<Float>, ldb: Int
  ) {
    _ = LAPACKE_slacpy(columnMajor, upper, Int32(m), Int32(n), a, Int32(lda), b, Int32(ldb))
  }

  public static func fill(_ buffer: UnsafeMutableBufferPointer<Float>, with value: Float) {
    buffer.update(repeating: value)
  }

  public static func sum(
    count: Int, _ y: UnsafePointer<Float>, _ alpha: Float, _ x: UnsafePointer<Float>,
    into z: UnsafeMutablePointer<Float>
  ) {
    sumInto(count, y, alpha, x, z)
  }

  public static func allFinite(_ buffer: UnsafeBufferPointer<Float>) -> Bool {
    allFiniteInLanes(buffer, SIMD16<Float>.self)
  }

  public static func geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafeMutablePointer<Float>
  ) -> Int {
    Int(LAPACKE_sgeqrf(columnMajor, Int32(m), Int32(n), a, Int32(lda), tau))
  }

  public static func orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafePointer<Float>
  ) -> Int {
    Int(
      LAPACKE_sorgqr(
        columnMajor, Int32(m), Int32(n), Int32(k), a, Int32(lda), tau))
  }

  public static func potrf(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int {
    Int(LAPACKE_spotrf(columnMajor, upper, Int32(n), a, Int32(lda)))
  }

  public static func syrk(
    n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_ssyrk(
      CblasColMajor, CblasUpper, CblasTrans, blasint(n), blasint(k), 1, a, blasint(lda), 0, c, blasint(ldc))
  }

  public static func trsm(
    m: Int, n: Int, r: UnsafePointer<Float>, ldr: Int, b: UnsafeMutablePointer<Float>, ldb: Int
  ) {
    cblas_strsm(
      CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, blasint(m), blasint(n), 1, r,
      blasint(ldr), b, blasint(ldb))
  }

  public static func gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
    u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_sgesdd(
        columnMajor, jobS, Int32(m), Int32(n), a, Int32(lda), s,
        u, Int32(ldu), vt, Int32(ldvt)))
  }

  public static func gesvd(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
    u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
  ) -> Int {
    var superb = [Float](repeating: 0, count: Swift.max(1, Swift.min(m, n) - 1))
    return Int(
      LAPACKE_sgesvd(
        columnMajor, jobS, jobS, Int32(m), Int32(n), a, Int32(lda), s,
        u, Int32(ldu), vt, Int32(ldvt), &superb))
  }

  public static func syevd(
    n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>
  ) -> Int {
    Int(LAPACKE_ssyevd(columnMajor, jobV, upper, Int32(n), a, Int32(lda), w))
  }
}
