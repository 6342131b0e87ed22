/// How to choose a rank from singular values: the one truncation rule used everywhere.
///
/// Keeps the smallest r with `sqrt(Σ_{j>r} σ_j²) ≤ ϑ`, where ϑ is `τ·‖σ‖₂` for a relative
/// tolerance (the DLRT default, Schotthöfer et al. 2022), a given absolute ϑ, or simply a fixed
/// rank; the result is clamped to `[minRank, maxRank]` and to the number of singular values.
/// By Eckart–Young, the Frobenius error of truncating at that rank is exactly the tail norm.
public struct TruncationPolicy: Sendable, Hashable, CustomStringConvertible {
  /// The rule before clamping.
  public enum Criterion: Sendable, Hashable {
    /// Tail norm at most `τ·‖σ‖₂`.
    case relative(Double)
    /// Tail norm at most ϑ.
    case absolute(Double)
    /// Exactly this rank.
    case fixedRank(Int)
  }

  /// The rule before clamping.
  public let criterion: Criterion
  /// The smallest rank ever returned (unless fewer singular values exist).
  public private(set) var minRank: Int
  /// The largest rank ever returned.
  public private(set) var maxRank: Int

  /// A policy; throws ``MatrixError/invalidArgument(_:)`` for negative or non-finite tolerances,
  /// a rank below 1 for `fixedRank`, `minRank < 0` or `maxRank < minRank`.
  public init(_ criterion: Criterion, minRank: Int = 1, maxRank: Int = .max) throws(MatrixError) {
    switch criterion {
    case .relative(let t), .absolute(let t):
      guard t.isFinite, t >= 0 else {
        throw .invalidArgument("truncation tolerance must be finite and ≥ 0, got \(t)")
      }
    case .fixedRank(let r):
      guard r >= 1 else { throw .invalidArgument("fixed rank must be ≥ 1, got \(r)") }
    }
    guard minRank >= 0, maxRank >= minRank else {
      throw .invalidArgument("need 0 ≤ minRank ≤ maxRank, got minRank \(minRank), maxRank \(maxRank)")
    }
    self.criterion = criterion
    self.minRank = minRank
    self.maxRank = maxRank
  }

  /// Relative tolerance τ: tail norm at most `τ·‖σ‖₂`.
  public static func relative(_ tau: Double, minRank: Int = 1, maxRank: Int = .max) throws(MatrixError)
    -> Self
  {
    try Self(.relative(tau), minRank: minRank, maxRank: maxRank)
  }

  /// Absolute tolerance ϑ: tail norm at most ϑ.
  public static func absolute(_ theta: Double, minRank: Int = 1, maxRank: Int = .max) throws(MatrixError)
    -> Self
  {
    try Self(.absolute(theta), minRank: minRank, maxRank: maxRank)
  }

  /// Always rank r (or fewer when fewer singular values exist).
  public static func fixedRank(_ r: Int) throws(MatrixError) -> Self {
    try Self(.fixedRank(r), minRank: 1, maxRank: r)
  }

  /// The same rule with the largest rank at most `limit` (and the smallest rank lowered to it
  /// where it was larger): a per-block ceiling on top of a shared policy.
  /// - Precondition: `limit ≥ 0`.
  public func capped(at limit: Int) -> TruncationPolicy {
    precondition(limit >= 0, "TruncationPolicy: rank ceiling \(limit) must be ≥ 0")
    var policy = self
    policy.maxRank = Swift.min(maxRank, limit)
    policy.minRank = Swift.min(minRank, policy.maxRank)
    return policy
  }

  /// The rank to keep for singular values sorted in descending order.
  /// - Complexity: `O(count)`.
  public func rank<S: BinaryFloatingPoint>(for singularValues: [S]) -> Int {
    let count = singularValues.count
    let upper = Swift.min(maxRank, count)
    let lower = Swift.min(minRank, upper)
    let r: Int
    switch criterion {
    case .fixedRank(let fixed):
      r = fixed
    case .relative(let tau):
      r = Self.smallestRank(singularValues, threshold: tau * Self.norm(singularValues))
    case .absolute(let theta):
      r = Self.smallestRank(singularValues, threshold: theta)
    }
    return Swift.max(lower, Swift.min(upper, r))
  }

  /// Smallest r with `sqrt(Σ_{j≥r} σ_j²) ≤ threshold` (0-based j), scanning tails from the end.
  private static func smallestRank<S: BinaryFloatingPoint>(_ sigma: [S], threshold: Double) -> Int {
    var tail = 0.0  // Σ of squares of σ_j for j ≥ r, accumulated smallest first (accurate).
    var r = sigma.count
    while r > 0 {
      let next = tail + Double(sigma[r - 1]) * Double(sigma[r - 1])
      if next.squareRoot() > threshold { break }
      tail = next
      r -= 1
    }
    return r
  }

  private static func norm<S: BinaryFloatingPoint>(_ sigma: [S]) -> Double {
    sigma.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
  }

  public var description: String {
    let clamp = "ranks \(minRank)…\(maxRank == .max ? "∞" : String(maxRank))"
    switch criterion {
    case .relative(let t): return "relative τ=\(t), \(clamp)"
    case .absolute(let t): return "absolute ϑ=\(t), \(clamp)"
    case .fixedRank(let r): return "fixed rank \(r)"
    }
  }
}
