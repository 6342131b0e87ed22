import MatrixManifold

/// Which factor of which block a matrix in a substep is: lets a stateful solver (momentum,
/// Adam) keep its state per parameter.
public struct ParameterKey: Sendable, Hashable, CustomStringConvertible {
  /// The factor kinds an integrator evolves.
  public enum Factor: String, Sendable, Hashable {
    /// K = U·S in the K-step.
    case k
    /// L = V·Sᵀ in the L-step.
    case l
    /// The core S in the S-step.
    case s
    /// A dense parameter (a bias, a dense layer's weight).
    case dense
    /// The K-factor of one mode of a Tucker block (``mode``).
    case tuckerK
    /// The core of a Tucker block, as its mode-0 unfolding.
    case tuckerCore
  }
  /// Block (layer) index, Tucker-block index for the Tucker factors, or dense-parameter index
  /// for `.dense`.
  public var index: Int
  /// Factor kind.
  public var factor: Factor
  /// The mode of a `.tuckerK` factor (0 otherwise).
  public var mode: Int

  /// The key of `factor` of block (or dense parameter) `index`, and of `mode` for `.tuckerK`.
  public init(_ factor: Factor, _ index: Int, mode: Int = 0) {
    self.factor = factor
    self.index = index
    self.mode = mode
  }

  public var description: String {
    factor == .tuckerK ? "\(factor.rawValue)[\(index), mode \(mode)]" : "\(factor.rawValue)[\(index)]"
  }
}

/// The rate of a substep system `x' = g(t, x)`.
///
/// The third argument is true exactly when x is the substep's initial value, so an integrator
/// can serve several substeps from one evaluation there (BUG evaluates its K- and L-steps in one
/// network pass at the initial point).
public typealias SubstepRate<Scalar: BLASScalar> =
  (_ t: Double, _ x: [Matrix<Scalar>], _ atInitialValue: Bool) throws -> [Matrix<Scalar>]

/// Solves the small matrix ODEs of the K-, L- and S-steps over one step: explicit Euler,
/// classical Runge–Kutta, or (for training) an optimizer step seen as a preconditioned Euler step.
public protocol SubstepSolver<Scalar> {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// Advances `x` from t to t + h for `x' = rate(t, x)`; `keys` names each entry of `x`.
  mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double,
    rate: SubstepRate<Scalar>) throws

  /// Called before ``advance(_:keys:from:by:rate:)`` with the bases in which each entry of x
  /// is expressed: a K-factor lives in the coordinates of its right basis V (`W = K·Vᵀ`), an
  /// L-factor in those of its left basis U (`W = U·Lᵀ`), a core S in both (`W = U·S·Vᵀ`), a
  /// dense parameter in none. A solver with state (momentum, Adam) uses this to carry its state
  /// into new bases; the default does nothing. The parameters' carries are independent and may run
  /// on up to `threads` threads (the field's `LowRankVectorField.blockConcurrency`).
  mutating func useBases(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?], threads: Int)
}

extension SubstepSolver {
  public mutating func useBases(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?], threads: Int
  ) {}

  /// ``useBases(keys:left:right:threads:)`` on the calling thread.
  public mutating func useBases(keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?]) {
    useBases(keys: keys, left: left, right: right, threads: 1)
  }
}

/// Explicit Euler: `x₁ = x₀ + h·g(t₀, x₀)`. One evaluation; first order.
/// For training with h = learning rate this is plain SGD.
public struct ExplicitEuler<Scalar: BLASScalar>: SubstepSolver, Sendable {
  /// The method (it has no parameters).
  public init() {}
  public mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double,
    rate: SubstepRate<Scalar>
  ) throws {
    let g = try rate(t, x, true)
    // Out of place: the caller usually still holds x (the state before the step), and an update
    // in place would copy it first.
    for i in x.indices { x[i] = x[i].adding(g[i], scaledBy: Scalar(h)) }
  }
}

/// The classical fourth-order Runge–Kutta method (Kutta 1901). Four evaluations; fourth order.
public struct RungeKutta4<Scalar: BLASScalar>: SubstepSolver, Sendable {
  /// The method (it has no parameters).
  public init() {}
  public mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double,
    rate: SubstepRate<Scalar>
  ) throws {
    let x0 = x
    func shifted(_ k: [Matrix<Scalar>], _ c: Double) -> [Matrix<Scalar>] {
      zip(x0, k).map { $0.adding($1, scaledBy: Scalar(c * h)) }
    }
    let k1 = try rate(t, x0, true)
    let k2 = try rate(t + h / 2, shifted(k1, 0.5), false)
    let k3 = try rate(t + h / 2, shifted(k2, 0.5), false)
    let k4 = try rate(t + h, shifted(k3, 1), false)
    for i in x.indices {
      x[i].add(k1[i], scaledBy: Scalar(h / 6))
      x[i].add(k2[i], scaledBy: Scalar(h / 3))
      x[i].add(k3[i], scaledBy: Scalar(h / 3))
      x[i].add(k4[i], scaledBy: Scalar(h / 6))
    }
  }
}
