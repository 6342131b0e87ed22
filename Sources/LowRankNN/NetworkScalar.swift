import Foundation
import MatrixManifold

/// A ``BLASScalar`` with the elementwise kernels of training: activations, the softmax
/// cross-entropy, the Adam update and arg-max.
///
/// Generic code calls these through the protocol and the loops run in concrete, specialised
/// code (`Float+Network.swift`, `Double+Network.swift`), so an elementwise pass over a batch runs
/// at memory speed instead of through witness tables entry by entry. Each conformance forwards
/// to the one `@inlinable` generic implementation below, so every algorithm is written once.
public protocol NetworkScalar: BLASScalar {
  /// `y ← max(y, 0)`.
  static func relu(_ y: UnsafeMutableBufferPointer<Self>)
  /// `δ ← δ ⊙ 1[y > 0]`, with y the ReLU output.
  static func reluBackward(_ delta: UnsafeMutableBufferPointer<Self>, output y: UnsafeBufferPointer<Self>)
  /// `y ← tanh(y)`.
  static func tanh(_ y: UnsafeMutableBufferPointer<Self>)
  /// `δ ← δ ⊙ (1 − y²)`, with y the tanh output.
  static func tanhBackward(_ delta: UnsafeMutableBufferPointer<Self>, output y: UnsafeBufferPointer<Self>)
  /// Mean softmax cross-entropy of the logits (classes×batch, column-major) against `labels`;
  /// writes its gradient `(softmax − onehot)/batch` into `gradient`. Stable log-sum-exp.
  static func softmaxCrossEntropy(
    logits: UnsafeBufferPointer<Self>, classes: Int, labels: UnsafeBufferPointer<Int>,
    gradient: UnsafeMutableBufferPointer<Self>
  ) -> Double
  /// One Adam update (Kingma & Ba 2015) with rate g = −gradient:
  /// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `x ← x + h·(m/c₁)/(√(v/c₂) + ε)` with the bias
  /// corrections `c₁ = 1 − β₁ᵗ`, `c₂ = 1 − β₂ᵗ`.
  static func adamUpdate(
    _ x: UnsafeMutableBufferPointer<Self>, m: UnsafeMutableBufferPointer<Self>,
    v: UnsafeMutableBufferPointer<Self>, rate g: UnsafeBufferPointer<Self>,
    step h: Self, beta1: Self, beta2: Self, epsilon: Self, correction1: Self, correction2: Self)
  /// `x ← x ⊙ x`.
  static func square(_ x: UnsafeMutableBufferPointer<Self>)
  /// For each column of a rows×columns matrix, the row index of its largest entry (first on ties).
  static func argmaxColumns(
    _ a: UnsafeBufferPointer<Self>, rows: Int, into result: UnsafeMutableBufferPointer<Int>)
}

// The algorithms, written once; the conformances specialise them.

@inlinable func reluKernel<T: BinaryFloatingPoint>(_ y: UnsafeMutableBufferPointer<T>) {
  for i in y.indices { y[i] = Swift.max(y[i], 0) }
}

@inlinable func reluBackwardKernel<T: BinaryFloatingPoint>(
  _ d: UnsafeMutableBufferPointer<T>, _ y: UnsafeBufferPointer<T>
) {
  precondition(d.count == y.count, "reluBackward: \(d.count) and \(y.count) entries")
  for i in d.indices { d[i] = y[i] > 0 ? d[i] : 0 }
}

@inlinable func tanhBackwardKernel<T: BinaryFloatingPoint>(
  _ d: UnsafeMutableBufferPointer<T>, _ y: UnsafeBufferPointer<T>
) {
  precondition(d.count == y.count, "tanhBackward: \(d.count) and \(y.count) entries")
  for i in d.indices { d[i] *= 1 - y[i] * y[i] }
}

@inlinable func softmaxCrossEntropyKernel<T: BinaryFloatingPoint>(
  _ z: UnsafeBufferPointer<T>, _ classes: Int, _ labels: UnsafeBufferPointer<Int>,
  _ d: UnsafeMutableBufferPointer<T>, exp: (T) -> T, log: (Double) -> Double
) -> Double {
  let batch = labels.count
  precondition(z.count == classes * batch && d.count == z.count, "softmaxCrossEntropy: shapes")
  var total = 0.0
  let scale = T(1) / T(batch)
  for j in 0..<batch {
    let base = j * classes
    var m = z[base]
    for i in 1..<classes { m = Swift.max(m, z[base + i]) }
    var sum: T = 0
    for i in 0..<classes {
      let e = exp(z[base + i] - m)
      d[base + i] = e
      sum += e
    }
    let label = labels[j]
    total += Double(m) + log(Double(sum)) - Double(z[base + label])
    let inverse = scale / sum
    for i in 0..<classes { d[base + i] *= inverse }
    d[base + label] -= scale
  }
  return total / Double(batch)
}

@inlinable func adamKernel<T: BinaryFloatingPoint>(
  _ x: UnsafeMutableBufferPointer<T>, _ m: UnsafeMutableBufferPointer<T>, _ v: UnsafeMutableBufferPointer<T>,
  _ g: UnsafeBufferPointer<T>, _ h: T, _ b1: T, _ b2: T, _ eps: T, _ c1: T, _ c2: T, sqrt: (T) -> T
) {
  precondition(x.count == m.count && x.count == v.count && x.count == g.count, "adamUpdate: sizes differ")
  for i in x.indices {
    m[i] = b1 * m[i] + (1 - b1) * g[i]
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
    x[i] += h * (m[i] / c1) / (sqrt(v[i] / c2) + eps)
  }
}

@inlinable func squareKernel<T: BinaryFloatingPoint>(_ x: UnsafeMutableBufferPointer<T>) {
  for i in x.indices { x[i] *= x[i] }
}

@inlinable func argmaxKernel<T: BinaryFloatingPoint>(
  _ a: UnsafeBufferPointer<T>, _ rows: Int, _ result: UnsafeMutableBufferPointer<Int>
) {
  precondition(rows > 0 && a.count == rows * result.count, "argmaxColumns: shapes")
  for j in result.indices {
    let base = j * rows
    var best = 0
    for i in 1..<rows where a[base + i] > a[base + best] { best = i }
    result[j] = best
  }
}
