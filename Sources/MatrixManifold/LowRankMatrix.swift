/// A matrix kept in factored form `Y = U·S·Vᵀ`.
///
/// `U` (n×r) and `V` (m×r) have orthonormal columns and `S` (r×r) is any matrix (not
/// necessarily diagonal), as in dynamical low-rank approximation (Koch & Lubich 2007).
/// Storage is `(n + m)·r + r²` numbers instead of `n·m`.
public struct LowRankMatrix<Scalar: BLASScalar>: Sendable, Equatable {
  /// Left basis, n×r with orthonormal columns.
  public var u: Matrix<Scalar>
  /// Core, r×r.
  public var s: Matrix<Scalar>
  /// Right basis, m×r with orthonormal columns.
  public var v: Matrix<Scalar>

  /// A factored matrix from its factors. Orthonormality of U and V is the caller's promise
  /// and is not checked (it costs a product); shapes and finiteness are.
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` unless U is n×r, S r×r and V m×r;
  ///   ``MatrixError/nonFinite(operation:)`` for NaN/Inf entries.
  public init(u: Matrix<Scalar>, s: Matrix<Scalar>, v: Matrix<Scalar>) throws(MatrixError) {
    let r = s.rows
    guard s.columns == r, u.columns == r, v.columns == r else {
      throw .shapeMismatch(
        "LowRankMatrix needs U n×r, S r×r, V m×r; got U \(u.shape), S \(s.shape), V \(v.shape)")
    }
    guard u.isFinite, s.isFinite, v.isFinite else { throw .nonFinite(operation: "LowRankMatrix") }
    self.u = u
    self.s = s
    self.v = v
  }

  /// The best approximation of `dense` at the rank `policy` chooses, by truncated SVD.
  /// - Throws: what ``Matrix/svd()`` throws.
  public init(truncating dense: Matrix<Scalar>, policy: TruncationPolicy) throws(MatrixError) {
    let f = try dense.svd()
    let r = policy.rank(for: f.singularValues)
    self.u = Matrix(f.u.columns(0..<r))
    self.s = Matrix.diagonal(Array(f.singularValues[0..<r]))
    self.v = Matrix(f.vt.block(rows: 0..<r, columns: 0..<f.vt.columns)).transposed()
  }

  /// Number of rows n.
  public var rows: Int { u.rows }
  /// Number of columns m.
  public var columns: Int { v.rows }
  /// The rank r of the factorisation (the size of S).
  public var rank: Int { s.rows }
  /// Numbers stored: `(n + m)·r + r²`.
  public var parameterCount: Int { (rows + columns) * rank + rank * rank }

  /// The dense matrix `U·S·Vᵀ`.
  /// - Complexity: `O(n m r)`.
  public func dense() -> Matrix<Scalar> {
    (u * s).timesTransposed(v)
  }

  /// `Y·X = U·(S·(Vᵀ·X))` without forming Y.
  /// - Complexity: `O((n + m)·r·k)` for an m×k X.
  public func applied(to x: some MatrixViewConvertible<Scalar>) -> Matrix<Scalar> {
    u * (s * Matrix.product(v, x, opA: .transposed))
  }

  /// `Yᵀ·X = V·(Sᵀ·(Uᵀ·X))` without forming Y.
  public func transposeApplied(to x: some MatrixViewConvertible<Scalar>) -> Matrix<Scalar> {
    v * s.transposedTimes(Matrix.product(u, x, opA: .transposed))
  }

  /// Frobenius norm, equal to `‖S‖_F` because U and V have orthonormal columns.
  public var frobeniusNorm: Scalar { s.frobeniusNorm }

  /// The singular values of Y (those of S), descending.
  public func singularValues() throws(MatrixError) -> [Scalar] { try s.singularValues() }

  /// Y with its core scaled by α.
  public func scaled(by alpha: Scalar) -> LowRankMatrix {
    var y = self
    y.s.scale(by: alpha)
    return y
  }
}

extension LowRankMatrix {
  /// The result of truncating a factorisation `Û·Ŝ·V̂ᵀ`.
  public struct Truncation: Sendable {
    /// The truncated factorisation `U₁·S₁·V₁ᵀ` with diagonal `S₁`.
    public var matrix: LowRankMatrix
    /// All singular values of Ŝ, descending (the kept ones first).
    public var singularValues: [Scalar]
    /// The Frobenius norm of what was discarded, `sqrt(Σ_{j>r₁} σ_j²)`.
    public var discardedNorm: Scalar
  }

  /// Truncates `Û·Ŝ·V̂ᵀ` through the SVD of the small core, `Ŝ = P·Σ·Qᵀ`:
  /// `U₁ = Û·P[:, :r₁]`, `S₁ = Σ[:r₁, :r₁]`, `V₁ = V̂·Q[:, :r₁]`, with r₁ chosen by `policy`.
  ///
  /// This is the truncation step of rank-adaptive BUG and DLRT (Ceruti, Kusch & Lubich 2022;
  /// Schotthöfer et al. 2022). Q is taken from the **rows** of LAPACK's `Vᵀ`.
  /// - Parameters:
  ///   - basisU: Û, n×k with orthonormal columns.
  ///   - core: Ŝ, k×l.
  ///   - basisV: V̂, m×l with orthonormal columns.
  ///   - policy: chooses the rank r₁ from the singular values of Ŝ.
  /// - Throws: what ``Matrix/svd()`` throws (for example when Ŝ contains NaN).
  /// - Complexity: `O(k³ + (n + m)·k·r₁)`.
  public static func truncate(
    basisU: some MatrixViewConvertible<Scalar>, core: Matrix<Scalar>,
    basisV: some MatrixViewConvertible<Scalar>, policy: TruncationPolicy
  ) throws(MatrixError) -> Truncation {
    let bu = basisU.view
    let bv = basisV.view
    precondition(
      bu.columns == core.rows && bv.columns == core.columns,
      "truncate: Û \(bu.shape), Ŝ \(core.shape), V̂ \(bv.shape)")
    let f = try core.svd()
    let sigma = f.singularValues
    let r = policy.rank(for: sigma)
    var u1 = Matrix<Scalar>(rows: bu.rows, columns: r)
    u1.formProduct(bu, f.u.columns(0..<r))
    var v1 = Matrix<Scalar>(rows: bv.rows, columns: r)
    v1.formProduct(bv, f.vt.block(rows: 0..<r, columns: 0..<f.vt.columns), opB: .transposed)
    let tail = sigma[r...].reduce(Scalar.zero) { $0 + $1 * $1 }.squareRoot()
    let y = LowRankMatrix(unchecked: u1, Matrix.diagonal(Array(sigma[0..<r])), v1)
    return Truncation(matrix: y, singularValues: sigma, discardedNorm: tail)
  }

  /// Re-truncates this factorisation with `policy` (SVD of S only).
  public func truncated(_ policy: TruncationPolicy) throws(MatrixError) -> LowRankMatrix {
    try Self.truncate(basisU: u, core: s, basisV: v, policy: policy).matrix
  }

  /// `Y + Z` recompressed: bases `[U_Y U_Z]`, `[V_Y V_Z]` orthonormalised by QR, the
  /// block-diagonal core transformed accordingly, then truncated by `policy`.
  /// - Complexity: `O((n + m)(r_Y + r_Z)² + (r_Y + r_Z)³)`; no n×m matrix is formed.
  public func adding(_ other: LowRankMatrix, policy: TruncationPolicy) throws(MatrixError) -> LowRankMatrix {
    precondition(
      rows == other.rows && columns == other.columns,
      "adding: \(rows)×\(columns) + \(other.rows)×\(other.columns)")
    let k = rank + other.rank
    let uu = Matrix.concatenated(u, other.u)
    let vv = Matrix.concatenated(v, other.v)
    var core = Matrix<Scalar>(rows: k, columns: k)
    core.assign(s)
    core.assign(other.s, row: rank, column: rank)
    let (qu, ru) = try uu.qr()
    let (qv, rv) = try vv.qr()
    // [U_Y U_Z]·C·[V_Y V_Z]ᵀ = Q_u·(R_u·C·R_vᵀ)·Q_vᵀ
    let small = (ru * core).timesTransposed(rv)
    return try Self.truncate(basisU: qu, core: small, basisV: qv, policy: policy).matrix
  }

  /// Factors already known to fit; shape-checked only by precondition.
  init(unchecked u: Matrix<Scalar>, _ s: Matrix<Scalar>, _ v: Matrix<Scalar>) {
    precondition(
      u.columns == s.rows && s.rows == s.columns && v.columns == s.columns,
      "LowRankMatrix: U \(u.shape), S \(s.shape), V \(v.shape)")
    self.u = u
    self.s = s
    self.v = v
  }
}
