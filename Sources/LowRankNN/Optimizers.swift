import Foundation
import LowRankIntegrators
import MatrixManifold

/// Plain stochastic gradient descent: explicit Euler on `W' = −∇𝓛` with h = learning rate.
public typealias SGD<Scalar: BLASScalar> = ExplicitEuler<Scalar>

/// What a stateful optimizer (momentum, Adam) does with its state when the integrator moves a
/// factor to new bases (every step of the BUG integrators).
public enum OptimizerState: String, Codable, Sendable, CaseIterable {
  /// The state keeps its numbers: a moment accumulated in the old coordinates goes on in the new
  /// ones, as in the DLRT reference implementation, where the optimizer sees K, L and S as plain
  /// variables. When a factor's rank changes, the leading block that both shapes share is kept.
  /// With Adam it starts slower and, at τ = 0.05, trains further than `project` (Experiments.md).
  case keep
  /// The state is transformed into the new bases (the default): first moments projected, exact
  /// for the part the new bases can represent; second moments by the squared transformation.
  case project
  /// First moments projected as with `project`, second moments (Adam's v) kept as with `keep`:
  /// the direction of the momentum follows the bases, the per-coordinate step scale stays.
  /// Momentum has only a first moment, so for it this is `project`. Over the DLRT paper's 250
  /// epochs this is the rule that reproduces its published accuracies and ranks (Experiments.md).
  case projectFirst = "project-first"
}

/// The bases in which a factor's optimizer state is expressed (see
/// ``SubstepSolver/useBases(keys:left:right:threads:)``).
struct FactorBases<Scalar: BLASScalar> {
  var left: Matrix<Scalar>?
  var right: Matrix<Scalar>?
}

/// The bases each parameter's optimizer state is expressed in, and the carrying of that state
/// into new bases (one place for every stateful optimizer).
struct BasisBook<Scalar: NetworkScalar> {
  private var bases: [ParameterKey: FactorBases<Scalar>] = [:]

  /// Records the new bases of `keys` and returns, for each key that had bases before, the change
  /// of basis that carries its state matrices (see ``BasisChange``), formed on up to `threads`
  /// threads.
  mutating func move(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?], threads: Int
  ) -> [(key: ParameterKey, change: BasisChange<Scalar>)] {
    let new = keys.indices.map { FactorBases(left: left[$0], right: right[$0]) }
    let moved = keys.indices.compactMap { i in bases[keys[i]].map { (i, $0) } }
    let changes = concurrentMap(moved.count, threads: threads) { j in
      BasisChange(from: moved[j].1, to: new[moved[j].0])
    }
    for (i, key) in keys.enumerated() { bases[key] = new[i] }
    return moved.indices.map { (keys[moved[$0].0], changes[$0]) }
  }
}

/// Each state matrix of `states` whose key has a change in `changes`, carried by it on up to
/// `threads` threads (see ``BasisChange/carry(_:squared:)``; a state that cannot be carried is
/// dropped).
func carried<Scalar: NetworkScalar>(
  _ states: [ParameterKey: Matrix<Scalar>], by changes: [(key: ParameterKey, change: BasisChange<Scalar>)],
  squared: Bool, threads: Int
) -> [ParameterKey: Matrix<Scalar>] {
  let results = concurrentMap(changes.count, threads: threads) { j in
    states[changes[j].key].flatMap { changes[j].change.carry($0, squared: squared) }
  }
  var states = states
  for (j, c) in changes.enumerated() { states[c.key] = results[j] }
  return states
}

/// Takes the state of `key` out of `states` (so it can be updated in place without a copy), or
/// zeros when there is none.
///
/// When the shape changed (a rank change) the overlapping leading block is kept and the rest is
/// zero: the columns of a factor are ordered by singular value after each truncation, so the
/// leading coordinates are the ones that persist (the reference implementation allocates its
/// factors at the maximal rank and uses their leading block, which has this effect).
func takeState<Scalar: BLASScalar>(
  _ states: inout [ParameterKey: Matrix<Scalar>], _ key: ParameterKey, shape: Shape
)
  -> Matrix<Scalar>
{
  var result = Matrix<Scalar>(rows: shape.rows, columns: shape.columns)
  guard let state = states.removeValue(forKey: key) else { return result }
  if state.shape == shape { return state }
  let (rows, columns) = (min(state.rows, shape.rows), min(state.columns, shape.columns))
  if rows > 0, columns > 0 { result.assign(state.block(rows: 0..<rows, columns: 0..<columns)) }
  return result
}

/// Carries optimizer state into new bases.
///
/// A K-factor's state M lives in the coordinates of the right basis V (it stands for `M·Vᵀ` in
/// weight space), an L-factor's in those of U, an S-core's in both. When the integrator moves to
/// new bases, a first moment is **projected**: `M·(V₀ᵀV₁)`, `M·(U₀ᵀU₁)`, `(U₁ᵀU₀)·M·(V₀ᵀV₁)`; this
/// is exact for the part of the old momentum that the new bases can represent, and follows rank
/// changes. A second moment (Adam's v, a per-coordinate variance) is carried by the squared
/// transformation `v·(T∘T)` (the variance of `g·T` for independent coordinates). The
/// transformations are formed once per parameter and step (`O(n·k·l)` each) and serve every
/// state matrix of the parameter.
struct BasisChange<Scalar: NetworkScalar> {
  /// `U₁ᵀU₀`, nil without left bases or when their row counts differ.
  private var left: Matrix<Scalar>?
  /// `V₀ᵀV₁`, likewise.
  private var right: Matrix<Scalar>?
  /// Whether a side has bases that cannot be related (the state is then dropped).
  private var broken = false

  init(from old: FactorBases<Scalar>, to new: FactorBases<Scalar>) {
    func transform(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Matrix<Scalar>? {
      a.rows == b.rows ? a.transposedTimes(b) : nil
    }
    if let l0 = old.left, let l1 = new.left {
      left = transform(l1, l0)
      broken = broken || left == nil
    }
    if let r0 = old.right, let r1 = new.right {
      right = transform(r0, r1)
      broken = broken || right == nil
    }
  }

  /// `state` in the new bases, or nil when the shapes do not fit (the state then restarts).
  func carry(_ state: Matrix<Scalar>, squared: Bool) -> Matrix<Scalar>? {
    guard !broken else { return nil }
    func prepared(_ t: Matrix<Scalar>) -> Matrix<Scalar> {
      guard squared else { return t }
      var t = t
      t.withUnsafeMutableBufferPointer { Scalar.square($0) }
      return t
    }
    var result = state
    if let left {
      guard left.columns == result.rows else { return nil }
      result = prepared(left) * result  // (U₁ᵀU₀)·M
    }
    if let right {
      guard right.rows == result.columns else { return nil }
      result = result * prepared(right)  // M·(V₀ᵀV₁)
    }
    return result
  }
}

/// SGD with momentum (Polyak 1964, as in PyTorch): `v ← μ·v + g`, `x ← x + h·v` with the rate
/// `g = −∇𝓛`. Velocities of factors follow basis changes as ``state`` says.
public struct Momentum<Scalar: NetworkScalar>: SubstepSolver {
  /// The momentum μ ∈ [0, 1).
  public let momentum: Scalar
  /// What happens to a velocity when its factor's bases change.
  public let state: OptimizerState
  private var velocity: [ParameterKey: Matrix<Scalar>] = [:]
  private var book = BasisBook<Scalar>()

  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless 0 ≤ μ < 1.
  public init(momentum: Double = 0.9, state: OptimizerState = .project) throws(TrainingError) {
    guard momentum >= 0, momentum < 1 else {
      throw .invalidConfiguration("momentum must be in [0, 1), got \(momentum)")
    }
    self.momentum = Scalar(momentum)
    self.state = state
  }

  /// Records the new bases and, unless ``OptimizerState/keep``, carries the velocities into them.
  public mutating func useBases(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?], threads: Int
  ) {
    guard state != .keep else { return }
    let changes = book.move(keys: keys, left: left, right: right, threads: threads)
    velocity = carried(velocity, by: changes, squared: false, threads: threads)
  }

  public mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double, rate: SubstepRate<Scalar>
  ) throws {
    let g = try rate(t, x, true)
    for i in x.indices {
      var v = takeState(&velocity, keys[i], shape: g[i].shape)
      v.scale(by: momentum)
      v.add(g[i])
      x[i] = x[i].adding(v, scaledBy: Scalar(h))
      velocity[keys[i]] = v
    }
  }
}

/// Adam (Kingma & Ba, ICLR 2015) as a substep solver: with the rate `g = −∇𝓛`,
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `x ← x + h·m̂/(√v̂ + ε)`, bias-corrected per
/// parameter. When a factor's bases change, its moments are kept or projected as ``state`` says;
/// the step counter of a factor continues.
public struct Adam<Scalar: NetworkScalar>: SubstepSolver {
  /// The decay rates β₁, β₂ of the moments and the ε added to √v̂.
  public let beta1: Scalar, beta2: Scalar, epsilon: Scalar
  /// What happens to the moments when their factor's bases change.
  public let state: OptimizerState
  private var first: [ParameterKey: Matrix<Scalar>] = [:]
  private var second: [ParameterKey: Matrix<Scalar>] = [:]
  private var steps: [ParameterKey: Int] = [:]
  private var book = BasisBook<Scalar>()

  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless 0 ≤ β₁, β₂ < 1 and ε > 0.
  public init(
    beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, state: OptimizerState = .project
  ) throws(TrainingError) {
    guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0, epsilon.isFinite else {
      throw .invalidConfiguration(
        "Adam needs 0 ≤ β₁, β₂ < 1 and ε > 0; got β₁ \(beta1), β₂ \(beta2), ε \(epsilon)")
    }
    (self.beta1, self.beta2, self.epsilon) = (Scalar(beta1), Scalar(beta2), Scalar(epsilon))
    self.state = state
  }

  /// Records the new bases and carries the moments into them as ``state`` says.
  public mutating func useBases(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?], threads: Int
  ) {
    guard state != .keep else { return }
    let changes = book.move(keys: keys, left: left, right: right, threads: threads)
    first = carried(first, by: changes, squared: false, threads: threads)
    if state == .project { second = carried(second, by: changes, squared: true, threads: threads) }
  }

  public mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double, rate: SubstepRate<Scalar>
  ) throws {
    let g = try rate(t, x, true)
    for i in x.indices {
      let key = keys[i]
      let shape = g[i].shape
      var m = takeState(&first, key, shape: shape)
      var v = takeState(&second, key, shape: shape)
      let n = (steps[key] ?? 0) + 1
      steps[key] = n
      let c1 = 1 - Scalar(pow(Double(beta1), Double(n)))
      let c2 = 1 - Scalar(pow(Double(beta2), Double(n)))
      // Into a new matrix: the caller usually still holds x (the state before the step), and an
      // update in place would copy it first.
      var updated = Matrix<Scalar>(unspecifiedRows: shape.rows, columns: shape.columns)
      g[i].withUnsafeBufferPointer { gp in
        m.withUnsafeMutableBufferPointer { mp in
          v.withUnsafeMutableBufferPointer { vp in
            x[i].withUnsafeBufferPointer { xp in
              updated.withUnsafeMutableBufferPointer { up in
                Scalar.adamUpdate(
                  xp, into: up, m: mp, v: vp, rate: gp, step: Scalar(h), beta1: beta1, beta2: beta2,
                  epsilon: epsilon, correction1: c1, correction2: c2)
              }
            }
          }
        }
      }
      x[i] = updated
      (first[key], second[key]) = (m, v)
    }
  }
}
