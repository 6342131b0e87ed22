import MatrixManifold

/// A linear map on matrices applied column by column: `X ↦ A·X` and `X ↦ Aᵀ·X`.
public protocol LinearOperator<Scalar>: Sendable {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// Dimension n of the n×n operator.
  var dimension: Int { get }
  /// `A·X`.
  func apply(to x: Matrix<Scalar>) -> Matrix<Scalar>
  /// `Aᵀ·X`.
  func applyTransposed(to x: Matrix<Scalar>) -> Matrix<Scalar>
}

/// A dense n×n operator (GEMM).
public struct DenseOperator<Scalar: BLASScalar>: LinearOperator {
  /// The n×n matrix A.
  public let matrix: Matrix<Scalar>
  /// The operator of a square matrix.
  public init(_ matrix: Matrix<Scalar>) {
    precondition(matrix.rows == matrix.columns, "DenseOperator needs a square matrix, got \(matrix.shape)")
    self.matrix = matrix
  }
  public var dimension: Int { matrix.rows }
  public func apply(to x: Matrix<Scalar>) -> Matrix<Scalar> { matrix * x }
  public func applyTransposed(to x: Matrix<Scalar>) -> Matrix<Scalar> { matrix.transposedTimes(x) }
}

/// A tridiagonal n×n operator; `apply` costs `O(n·k)` for an n×k argument.
public struct TridiagonalOperator<Scalar: BLASScalar>: LinearOperator {
  /// Sub-diagonal (n−1), diagonal (n), super-diagonal (n−1).
  public let lower: [Scalar], diagonal: [Scalar], upper: [Scalar]

  /// The operator with these diagonals; the off-diagonals have one entry less than the diagonal.
  public init(lower: [Scalar], diagonal: [Scalar], upper: [Scalar]) {
    precondition(
      lower.count == Swift.max(0, diagonal.count - 1) && upper.count == lower.count,
      "TridiagonalOperator: lengths \(lower.count), \(diagonal.count), \(upper.count)")
    self.lower = lower
    self.diagonal = diagonal
    self.upper = upper
  }

  /// The scaled 1-D discrete Laplacian `c·tridiag(1, −2, 1)` of size n (Dirichlet boundary).
  public static func laplacian(_ n: Int, scale c: Scalar = 1) -> TridiagonalOperator {
    TridiagonalOperator(
      lower: Array(repeating: c, count: Swift.max(0, n - 1)), diagonal: Array(repeating: -2 * c, count: n),
      upper: Array(repeating: c, count: Swift.max(0, n - 1)))
  }

  public var dimension: Int { diagonal.count }

  /// The operator as a dense matrix (for tests and reference solutions).
  public func dense() -> Matrix<Scalar> {
    var a = Matrix<Scalar>(rows: dimension, columns: dimension)
    for i in 0..<dimension {
      a[i, i] = diagonal[i]
      if i + 1 < dimension {
        a[i + 1, i] = lower[i]
        a[i, i + 1] = upper[i]
      }
    }
    return a
  }

  public func apply(to x: Matrix<Scalar>) -> Matrix<Scalar> { band(x, sub: lower, sup: upper) }
  public func applyTransposed(to x: Matrix<Scalar>) -> Matrix<Scalar> { band(x, sub: upper, sup: lower) }

  private func band(_ x: Matrix<Scalar>, sub: [Scalar], sup: [Scalar]) -> Matrix<Scalar> {
    let n = dimension
    precondition(x.rows == n, "TridiagonalOperator \(n)×\(n) applied to \(x.shape)")
    var y = Matrix<Scalar>(rows: n, columns: x.columns)
    guard n > 0 else { return y }
    x.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        for j in 0..<x.columns {
          let c = j * n
          for i in 0..<n {
            var s = diagonal[i] * px[c + i]
            if i > 0 { s += sub[i - 1] * px[c + i - 1] }
            if i + 1 < n { s += sup[i] * px[c + i + 1] }
            py[c + i] = s
          }
        }
      }
    }
    return y
  }
}

/// `F(t, Y) = A·Y + Y·Bᵀ + P(t)·Q(t)ᵀ`: linear operators on both sides plus a low-rank source.
///
/// Applied to factors without forming any n×m matrix: with `Y = X·Wᵀ`,
/// `F·V = A·X·(WᵀV) + X·((B·W)ᵀV) + P·(QᵀV)`; the cost is linear in n and m for sparse A, B.
/// This covers Lyapunov-type and heat-equation problems (for example A = B = a discrete Laplacian).
public struct StructuredMatrixField<Scalar: BLASScalar>: FactoredMatrixField, Sendable {
  /// Left operator A (n×n), or nil for zero.
  public let left: (any LinearOperator<Scalar>)?
  /// Right operator B (m×m), or nil for zero.
  public let right: (any LinearOperator<Scalar>)?
  /// Low-rank source `(P(t), Q(t))` with `G(t) = P·Qᵀ`, or nil for zero.
  public let source: (@Sendable (Double) -> (p: Matrix<Scalar>, q: Matrix<Scalar>))?

  /// The field `A·Y + Y·Bᵀ + G(t)`; nil parts are zero.
  public init(
    left: (any LinearOperator<Scalar>)?, right: (any LinearOperator<Scalar>)?,
    source: (@Sendable (Double) -> (p: Matrix<Scalar>, q: Matrix<Scalar>))? = nil
  ) {
    self.left = left
    self.right = right
    self.source = source
  }

  public func fTimes(_ v: Matrix<Scalar>, at t: Double, a x: Matrix<Scalar>, b w: Matrix<Scalar>) -> Matrix<
    Scalar
  > {
    let wtv = w.transposedTimes(v)  // k×p
    var result = Matrix<Scalar>(rows: x.rows, columns: v.columns)
    if let left { result.add(left.apply(to: x * wtv)) }
    if let right { result.formProduct(x, right.apply(to: w).transposedTimes(v), beta: 1) }
    if let source {
      let (p, q) = source(t)
      result.formProduct(p, q.transposedTimes(v), beta: 1)
    }
    return result
  }

  public func fTransposeTimes(_ u: Matrix<Scalar>, at t: Double, a x: Matrix<Scalar>, b w: Matrix<Scalar>)
    -> Matrix<Scalar>
  {
    // Fᵀ·U = W·Xᵀ·Aᵀ·U + B·W·(XᵀU) + Q·(PᵀU)
    var result = Matrix<Scalar>(rows: w.rows, columns: u.columns)
    if let left { result.formProduct(w, x.transposedTimes(left.applyTransposed(to: u))) }
    if let right { result.add(right.apply(to: w * x.transposedTimes(u))) }
    if let source {
      let (p, q) = source(t)
      result.formProduct(q, p.transposedTimes(u), beta: 1)
    }
    return result
  }
}
