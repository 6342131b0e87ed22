/// A tensor in Tucker format `Y = C ×₀ U₀ ×₁ U₁ ⋯ ×_{d−1} U_{d−1}`: a core C of dimensions
/// `[r₀, …, r_{d−1}]` (the multilinear ranks) and one factor `U_k` (n_k × r_k, orthonormal
/// columns) per mode (Tucker 1966; Kolda & Bader, SIAM Review 51, 2009).
///
/// The tensor analogue of ``LowRankMatrix``: an order-2 Tucker tensor is `U₀·C·U₁ᵀ`. Storage is
/// `∏ r_k + Σ n_k·r_k` numbers instead of `∏ n_k`. The mode-k unfolding is
/// `Y₍ₖ₎ = U_k·C₍ₖ₎·(⊗_{j≠k} U_j)ᵀ` (Kronecker product over the other modes, highest first,
/// ``kroneckerOfFactors(excluding:)``).
public struct TuckerTensor<Scalar: BLASScalar>: Sendable, Equatable {
  /// The core C, of dimensions ``ranks``.
  public var core: Tensor<Scalar>
  /// The factors `U_k`, n_k × r_k with orthonormal columns.
  public var factors: [Matrix<Scalar>]

  /// A Tucker tensor from its core and factors. Orthonormality is the caller's promise and is
  /// not checked; shapes and finiteness are.
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` unless there is one factor per core mode with
  ///   as many columns as the core has in that mode, and every rank is at least 1 and at most
  ///   the product of the others (which any core of full multilinear rank satisfies);
  ///   ``MatrixError/nonFinite(operation:)`` for NaN/Inf entries.
  public init(core: Tensor<Scalar>, factors: [Matrix<Scalar>]) throws(MatrixError) {
    let ranks = core.dimensions
    guard factors.count == ranks.count, zip(factors, ranks).allSatisfy({ $0.columns == $1 }) else {
      throw .shapeMismatch(
        "a Tucker tensor needs one n_k×r_k factor per mode of its core \(ranks); got \(factors.map(\.shape))")
    }
    let total = ranks.reduce(1, *)
    guard ranks.allSatisfy({ $0 >= 1 && $0 * $0 <= total }) else {
      throw .shapeMismatch("Tucker ranks \(ranks): each must be ≥ 1 and at most the product of the others")
    }
    guard core.isFinite, factors.allSatisfy(\.isFinite) else { throw .nonFinite(operation: "TuckerTensor") }
    self.core = core
    self.factors = factors
  }

  /// The HOSVD truncation of a dense tensor at the multilinear ranks `policy` chooses per mode
  /// (see ``truncate(core:factors:policy:)``; here the factors are identities).
  /// - Throws: what ``Matrix/svd()`` throws.
  public init(truncating dense: Tensor<Scalar>, policy: TruncationPolicy) throws(MatrixError) {
    try self.init(truncating: dense, policies: Array(repeating: policy, count: dense.order))
  }

  /// The HOSVD truncation of a dense tensor with one policy per mode.
  /// - Throws: what ``Matrix/svd()`` throws.
  public init(truncating dense: Tensor<Scalar>, policies: [TruncationPolicy]) throws(MatrixError) {
    let identities = dense.dimensions.map { Matrix<Scalar>.identity($0) }
    self = try Self.truncate(core: dense, factors: identities, policies: policies).tensor
  }

  /// Factors already known to fit.
  init(unchecked core: Tensor<Scalar>, _ factors: [Matrix<Scalar>]) {
    precondition(
      factors.count == core.order && zip(factors, core.dimensions).allSatisfy { $0.columns == $1 },
      "TuckerTensor: core \(core.dimensions), factors \(factors.map(\.shape))")
    self.core = core
    self.factors = factors
  }

  /// The order d.
  public var order: Int { factors.count }
  /// The size of each mode, `[n₀, …]`.
  public var dimensions: [Int] { factors.map(\.rows) }
  /// The multilinear ranks `[r₀, …]` (the core's dimensions).
  public var ranks: [Int] { core.dimensions }
  /// Numbers stored: `∏ r_k + Σ n_k·r_k`.
  public var parameterCount: Int { core.count + factors.reduce(0) { $0 + $1.rows * $1.columns } }

  /// The dense tensor `C ×₀ U₀ ⋯`.
  /// - Complexity: `O(Σ_k (∏_{j≤k} n_j)·(∏_{j≥k} r_j))`, the mode products one after another.
  public func dense() -> Tensor<Scalar> { core.multiplied(by: factors) }

  /// `⊗_{j≠k} U_j`, the Kronecker product of every factor but the k-th, highest mode first:
  /// `(∏_{j≠k} n_j) × (∏_{j≠k} r_j)` with orthonormal columns, such that
  /// `Y₍ₖ₎ = U_k·C₍ₖ₎·(⊗_{j≠k} U_j)ᵀ`.
  public func kroneckerOfFactors(excluding k: Int) -> Matrix<Scalar> {
    Self.kronecker(factors, excluding: k)
  }

  /// `⊗_{j≠k} A_j` over `matrices`, highest index first (the identity 1×1 for order 1).
  public static func kronecker(_ matrices: [Matrix<Scalar>], excluding k: Int) -> Matrix<Scalar> {
    var result = Matrix<Scalar>.identity(1)
    for j in matrices.indices.reversed() where j != k { result = result.kronecker(matrices[j]) }
    return result
  }

  /// `(⊗_{j≠k} A_j)·Q` without forming the Kronecker product: each column of Q is read as a
  /// tensor over the modes j ≠ k and multiplied by `A_j` in each of them.
  /// - Complexity: the mode products, `O(Σ_j (∏ of the sizes around mode j)·…)` — for
  ///   `n_j × r_j` factors at most `O(q·∏_{j≠k} n_j·max r_j)` for q columns, against
  ///   `O(q·∏ n_j·∏ r_j)` through the explicit product.
  public static func kronecker(_ matrices: [Matrix<Scalar>], excluding k: Int, times q: Matrix<Scalar>)
    -> Matrix<Scalar>
  {
    let others = matrices.indices.filter { $0 != k }
    precondition(
      q.rows == others.reduce(1) { $0 * matrices[$1].columns },
      "Tucker kronecker: Q \(q.shape) for factors \(matrices.map(\.shape)) without mode \(k)")
    var x = Tensor(reshaping: q, dimensions: others.map { matrices[$0].columns } + [q.columns])
    for (position, j) in others.enumerated() { x = x.modeProduct(matrices[j], mode: position) }
    return x.matrix(rows: others.reduce(1) { $0 * matrices[$1].rows })
  }

  /// What a truncation kept and dropped.
  public struct Truncation: Sendable {
    /// The truncated tensor (core of the kept ranks, factors `Û_k·P_k`).
    public var tensor: TuckerTensor
    /// Per mode, the singular values of the core's mode-k unfolding, descending (all of them).
    public var singularValues: [[Scalar]]
    /// `sqrt(Σ_k Σ_{j ≥ r_k} σ_{k,j}²)`: an upper bound of the Frobenius error of the
    /// truncation (De Lathauwer, De Moor & Vandewalle, SIAM J. Matrix Anal. Appl. 21, 2000). The
    /// error is at least the largest single-mode tail.
    public var discardedNormBound: Scalar
  }

  /// HOSVD truncation of `C ×₀ Û₀ ⋯` (orthonormal Û_k, n_k × k_k; any core of dimensions k):
  /// per mode, the SVD of the core's unfolding `C₍ₖ₎ = P_k Σ_k Q_kᵀ` gives the rank r_k that
  /// `policy` chooses from `Σ_k`; the result has core `C ×₀ P₀ᵀ ⋯` (P_k its first r_k left
  /// singular vectors) and factors `Û_k·P_k`. This is the truncation of the rank-adaptive Tucker
  /// integrator (Ceruti, Kusch & Lubich, BIT 62, 2022, Section 5) with one policy for every mode.
  /// - Throws: what ``Matrix/svd()`` throws (NaN in the core).
  /// - Complexity: one SVD of each unfolding, `O(Σ_k k_k²·∏_j k_j)`, and the mode products.
  public static func truncate(core: Tensor<Scalar>, factors: [Matrix<Scalar>], policy: TruncationPolicy)
    throws(MatrixError) -> Truncation
  {
    try truncate(core: core, factors: factors, policies: Array(repeating: policy, count: core.order))
  }

  /// HOSVD truncation as ``truncate(core:factors:policy:)`` with one policy per mode (for
  /// example `.fixedRank(r_k)` for given multilinear ranks).
  public static func truncate(core: Tensor<Scalar>, factors: [Matrix<Scalar>], policies: [TruncationPolicy])
    throws(MatrixError) -> Truncation
  {
    precondition(
      policies.count == core.order, "Tucker truncate: \(policies.count) policies, order \(core.order)")
    precondition(
      factors.count == core.order && zip(factors, core.dimensions).allSatisfy { $0.columns == $1 },
      "Tucker truncate: core \(core.dimensions), factors \(factors.map(\.shape))")
    var projections: [Matrix<Scalar>] = []
    var sigmas: [[Scalar]] = []
    var tail = Scalar.zero
    for k in 0..<core.order {
      let f = try core.unfolding(mode: k).svd()
      let r = Swift.max(1, policies[k].rank(for: f.singularValues))
      sigmas.append(f.singularValues)
      tail += f.singularValues.dropFirst(r).reduce(Scalar.zero) { $0 + $1 * $1 }
      projections.append(Matrix(f.u.columns(0..<r)))
    }
    var newCore = core.multiplied(by: projections.map { $0.transposed() })
    var newFactors = zip(factors, projections).map { $0 * $1 }
    // Modes cut independently can leave r_k > ∏_{j≠k} r_j; the core's mode-k unfolding then has
    // rank at most that product, and an exact SVD reduction restores a full-rank core.
    while let k = newCore.dimensions.indices.first(where: { k in
      newCore.dimensions[k] * newCore.dimensions[k] > newCore.count
    }) {
      let others = newCore.count / newCore.dimensions[k]
      let f = try newCore.unfolding(mode: k).svd()
      let p = Matrix(f.u.columns(0..<others))
      newCore = newCore.modeProduct(p.transposed(), mode: k)
      newFactors[k] = newFactors[k] * p
    }
    return Truncation(
      tensor: TuckerTensor(unchecked: newCore, newFactors), singularValues: sigmas,
      discardedNormBound: tail.squareRoot())
  }

  /// Re-truncates this tensor with `policy` (HOSVD of the core only).
  public func truncated(_ policy: TruncationPolicy) throws(MatrixError) -> TuckerTensor {
    try Self.truncate(core: core, factors: factors, policy: policy).tensor
  }
}
