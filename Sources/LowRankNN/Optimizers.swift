import Foundation
import LowRankIntegrators
import MatrixManifold

/// Plain stochastic gradient descent: explicit Euler on `W' = −∇𝓛` with h = learning rate.
public typealias SGD<Scalar: BLASScalar> = ExplicitEuler<Scalar>

/// The bases in which a factor's optimizer state is expressed (see
/// ``SubstepSolver/useBases(keys:left:right:)``).
struct FactorBases<Scalar: BLASScalar> {
  var left: Matrix<Scalar>?
  var right: Matrix<Scalar>?
}

/// The bases each parameter's optimizer state is expressed in, and the carrying of that state
/// into new bases (one place for every stateful optimizer).
struct BasisBook<Scalar: NetworkScalar> {
  private var bases: [ParameterKey: FactorBases<Scalar>] = [:]

  /// Records the new bases of `keys` and calls `carry` for each key that had bases before, with
  /// a function that carries one state matrix (first moment, or second with `squared`) into them.
  mutating func move(
    keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?],
    carry: (ParameterKey, (Matrix<Scalar>, _ squared: Bool) -> Matrix<Scalar>?) -> Void
  ) {
    for (i, key) in keys.enumerated() {
      let new = FactorBases(left: left[i], right: right[i])
      if let old = bases[key] { carry(key) { BasisChange.carry($0, from: old, to: new, squared: $1) } }
      bases[key] = new
    }
  }
}

/// Takes the state of `key` out of `states` (so it can be updated in place without a copy), or
/// zeros when there is none of the right shape.
func takeState<Scalar: BLASScalar>(
  _ states: inout [ParameterKey: Matrix<Scalar>], _ key: ParameterKey, shape: Shape
)
  -> Matrix<Scalar>
{
  let state = states.removeValue(forKey: key)
  return state.flatMap { $0.shape == shape ? $0 : nil } ?? Matrix(rows: shape.rows, columns: shape.columns)
}

/// Carries optimizer state into new bases.
///
/// A K-factor's state M lives in the coordinates of the right basis V (it stands for `M·Vᵀ` in
/// weight space), an L-factor's in those of U, an S-core's in both. When the integrator moves to
/// new bases, a first moment is **projected**: `M·(V₀ᵀV₁)`, `M·(U₀ᵀU₁)`, `(U₁ᵀU₀)·M·(V₀ᵀV₁)`; this
/// is exact for the part of the old momentum that the new bases can represent, and follows rank
/// changes. A second moment (Adam's v, a per-coordinate variance) is carried by the squared
/// transformation `v·(T∘T)` (the variance of `g·T` for independent coordinates).
enum BasisChange {
  static func carry<Scalar: NetworkScalar>(
    _ state: Matrix<Scalar>, from old: FactorBases<Scalar>, to new: FactorBases<Scalar>, squared: Bool
  ) -> Matrix<Scalar>? {
    func transform(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Matrix<Scalar>? {
      guard a.rows == b.rows else { return nil }
      var t = a.transposedTimes(b)
      if squared { t.withUnsafeMutableBufferPointer { Scalar.square($0) } }
      return t
    }
    var result = state
    if let l0 = old.left, let l1 = new.left {
      guard let t = transform(l1, l0), t.columns == result.rows else { return nil }
      result = t * result  // (U₁ᵀU₀)·M
    }
    if let r0 = old.right, let r1 = new.right {
      guard let t = transform(r0, r1), t.rows == result.columns else { return nil }
      result = result * t  // M·(V₀ᵀV₁)
    }
    return result
  }
}

/// SGD with momentum (Polyak 1964, as in PyTorch): `v ← μ·v + g`, `x ← x + h·v` with the rate
/// `g = −∇𝓛`. Velocities of factors follow basis changes by projection (``BasisChange``).
public struct Momentum<Scalar: NetworkScalar>: SubstepSolver {
  /// The momentum μ ∈ [0, 1).
  public let momentum: Scalar
  private var velocity: [ParameterKey: Matrix<Scalar>] = [:]
  private var book = BasisBook<Scalar>()

  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless 0 ≤ μ < 1.
  public init(momentum: Double = 0.9) throws(TrainingError) {
    guard momentum >= 0, momentum < 1 else {
      throw .invalidConfiguration("momentum must be in [0, 1), got \(momentum)")
    }
    self.momentum = Scalar(momentum)
  }

  public mutating func useBases(keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?]) {
    book.move(keys: keys, left: left, right: right) { key, carry in
      velocity[key] = velocity[key].flatMap { carry($0, false) }
    }
  }

  public mutating func advance(
    _ x: inout [Matrix<Scalar>], keys: [ParameterKey], from t: Double, by h: Double, rate: SubstepRate<Scalar>
  ) throws {
    let g = try rate(t, x, true)
    for i in x.indices {
      var v = takeState(&velocity, keys[i], shape: g[i].shape)
      v.scale(by: momentum)
      v.add(g[i])
      x[i].add(v, scaledBy: Scalar(h))
      velocity[keys[i]] = v
    }
  }
}

/// Adam (Kingma & Ba, ICLR 2015) as a substep solver: with the rate `g = −∇𝓛`,
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `x ← x + h·m̂/(√v̂ + ε)`, bias-corrected per
/// parameter. First moments of factors are projected into new bases and second moments carried
/// by the squared transformation (``BasisChange``); the step counter of a factor continues.
public struct Adam<Scalar: NetworkScalar>: SubstepSolver {
  public let beta1: Scalar, beta2: Scalar, epsilon: Scalar
  private var first: [ParameterKey: Matrix<Scalar>] = [:]
  private var second: [ParameterKey: Matrix<Scalar>] = [:]
  private var steps: [ParameterKey: Int] = [:]
  private var book = BasisBook<Scalar>()

  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` unless 0 ≤ β₁, β₂ < 1 and ε > 0.
  public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws(TrainingError) {
    guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0, epsilon.isFinite else {
      throw .invalidConfiguration(
        "Adam needs 0 ≤ β₁, β₂ < 1 and ε > 0; got β₁ \(beta1), β₂ \(beta2), ε \(epsilon)")
    }
    (self.beta1, self.beta2, self.epsilon) = (Scalar(beta1), Scalar(beta2), Scalar(epsilon))
  }

  public mutating func useBases(keys: [ParameterKey], left: [Matrix<Scalar>?], right: [Matrix<Scalar>?]) {
    book.move(keys: keys, left: left, right: right) { key, carry in
      first[key] = first[key].flatMap { carry($0, false) }
      second[key] = second[key].flatMap { carry($0, true) }
    }
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
      g[i].withUnsafeBufferPointer { gp in
        m.withUnsafeMutableBufferPointer { mp in
          v.withUnsafeMutableBufferPointer { vp in
            x[i].withUnsafeMutableBufferPointer { xp in
              Scalar.adamUpdate(
                xp, m: mp, v: vp, rate: gp, step: Scalar(h), beta1: beta1, beta2: beta2, epsilon: epsilon,
                correction1: c1, correction2: c2)
            }
          }
        }
      }
      (first[key], second[key]) = (m, v)
    }
  }
}
