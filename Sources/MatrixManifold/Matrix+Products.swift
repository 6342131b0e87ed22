extension Matrix {
  /// Overwrites (or accumulates into) this matrix with a product: `C ← α·op(A)·op(B) + β·C`.
  ///
  /// Calls BLAS `?gemm`, or `?gemv` when `op(B)` is a single column. No allocation happens:
  /// the result is written into this matrix's storage, which must already have the shape of
  /// `op(A)·op(B)` (or, with `columns`, the block of columns receives the product).
  ///
  /// Do not pass a view of this same matrix as an operand: the write would then copy the
  /// storage first (value semantics), which is correct but slow.
  ///
  /// - Complexity: `O(m·n·k)` flops in BLAS, counted by ``ProductWork``.
  /// - Precondition: shapes fit; the message prints them.
  public mutating func formProduct(
    _ a: some MatrixViewConvertible<Scalar>, _ b: some MatrixViewConvertible<Scalar>,
    opA transA: Transpose = .none, opB transB: Transpose = .none,
    alpha: Scalar = 1, beta: Scalar = 0, columns columnRange: Range<Int>? = nil
  ) {
    let a = a.view
    let b = b.view
    let (m, k) = transA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
    let (kb, n) = transB == .none ? (b.rows, b.columns) : (b.columns, b.rows)
    let target = columnRange ?? 0..<columns
    precondition(
      k == kb && m == rows && n == target.count && target.lowerBound >= 0 && target.upperBound <= columns,
      "formProduct: op(A) \(m)×\(k) · op(B) \(kb)×\(n) into \(rows)×\(columns) columns \(target)")
    guard m > 0, n > 0 else { return }
    ProductWork.record(m: m, n: n, k: k)
    let ldc = leadingDimension
    a.withBase { pa, lda in
      b.withBase { pb, ldb in
        withUnsafeMutableBufferPointer { c in
          let pc = c.baseAddress! + target.lowerBound * ldc
          if n == 1 {
            // y = α op(A) x + β y; x is op(B)'s only column: stride 1, or ldb when B is a row.
            Scalar.gemv(
              transA, m: a.rows, n: a.columns, alpha: alpha, a: pa, lda: lda,
              x: pb, incx: transB == .none ? 1 : ldb, beta: beta, y: pc, incy: 1)
          } else {
            Scalar.gemm(
              transA, transB, m: m, n: n, k: k, alpha: alpha, a: pa, lda: lda, b: pb, ldb: ldb,
              beta: beta, c: pc, ldc: ldc)
          }
        }
      }
    }
  }

  /// `op(A)·op(B)` as a new matrix.
  public static func product(
    _ a: some MatrixViewConvertible<Scalar>, _ b: some MatrixViewConvertible<Scalar>,
    opA transA: Transpose = .none, opB transB: Transpose = .none, alpha: Scalar = 1
  ) -> Matrix {
    let m = transA == .none ? a.view.rows : a.view.columns
    let n = transB == .none ? b.view.columns : b.view.rows
    // GEMM with β = 0 writes every entry of C without reading it (k = 0 included); GEMV's β = 0
    // goes through a scaling whose handling of NaN differs between OpenBLAS versions, so a
    // single column starts from zeros.
    var c = n == 1 ? Matrix(rows: m, columns: n) : Matrix(unspecifiedRows: m, columns: n)
    c.formProduct(a, b, opA: transA, opB: transB, alpha: alpha)
    return c
  }

  /// `A·B`.
  public static func * (a: Matrix, b: Matrix) -> Matrix { product(a, b) }

  /// `Aᵀ·B` without forming `Aᵀ`.
  public func transposedTimes(_ b: some MatrixViewConvertible<Scalar>) -> Matrix {
    Matrix.product(self, b, opA: .transposed)
  }

  /// `A·Bᵀ` without forming `Bᵀ`.
  public func timesTransposed(_ b: some MatrixViewConvertible<Scalar>) -> Matrix {
    Matrix.product(self, b, opB: .transposed)
  }

  /// The transpose, through OpenBLAS `?omatcopy`.
  public func transposed() -> Matrix {
    var t = Matrix(unspecifiedRows: columns, columns: rows)
    guard rows > 0, columns > 0 else { return t }
    let lda = leadingDimension
    withUnsafeBufferPointer { a in
      t.withUnsafeMutableBufferPointer { b in
        Scalar.omatcopy(
          .transposed, rows: rows, columns: columns, alpha: 1, a: a.baseAddress!, lda: lda,
          b: b.baseAddress!, ldb: columns)
      }
    }
    return t
  }
}
