import Foundation
import MatrixManifold

/// A `BLASScalar` with the elementwise kernels of training: activations, the softmax
/// cross-entropy, the Adam update, arg-max, and the copy kernels of convolution and pooling.
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
  /// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `updated ← x + h·(m/c₁)/(√(v/c₂) + ε)` with the
  /// bias corrections `c₁ = 1 − β₁ᵗ`, `c₂ = 1 − β₂ᵗ`. `updated` may be x itself; a separate
  /// buffer leaves x unchanged (the state before the step).
  static func adamUpdate(
    _ x: UnsafeBufferPointer<Self>, into updated: UnsafeMutableBufferPointer<Self>,
    m: UnsafeMutableBufferPointer<Self>, v: UnsafeMutableBufferPointer<Self>,
    rate g: UnsafeBufferPointer<Self>,
    step h: Self, beta1: Self, beta2: Self, epsilon: Self, correction1: Self, correction2: Self)
  /// `x ← x ⊙ x`.
  static func square(_ x: UnsafeMutableBufferPointer<Self>)
  /// For each column of a rows×columns matrix, the row index of its largest entry (first on ties).
  static func argmaxColumns(
    _ a: UnsafeBufferPointer<Self>, rows: Int, into result: UnsafeMutableBufferPointer<Int>)
  /// im2col: writes the patch matrix (`patchSize × (outputPixels·batch)`, column-major) of a
  /// batch of input maps (``FeatureMaps`` layout); patch rows are ordered like the columns of the
  /// kernel matrix (see ``Convolution``), columns sample by sample and pixel by pixel, row by row.
  /// Entries outside the image (padding) are 0.
  static func im2col(
    _ x: UnsafeBufferPointer<Self>, _ convolution: Convolution, batch: Int,
    into patches: UnsafeMutableBufferPointer<Self>)
  /// col2im, the adjoint of ``im2col(_:_:batch:into:)``: overwrites `x` with the sum, over all
  /// patches, of each patch entry added back at the input pixel it was copied from.
  static func col2im(
    _ patches: UnsafeBufferPointer<Self>, _ convolution: Convolution, batch: Int,
    into x: UnsafeMutableBufferPointer<Self>)
  /// Max pooling of a batch of maps into `y` (output maps, same layout); `argmax[i]` receives the
  /// index into `x` of the maximum of output entry i (the first on ties; NaN wins, so it spreads).
  static func maxPool(
    _ x: UnsafeBufferPointer<Self>, _ pooling: MaxPooling, batch: Int,
    into y: UnsafeMutableBufferPointer<Self>,
    argmax: UnsafeMutableBufferPointer<Int>)
  /// The backward pass of max pooling: `dx ← 0`, then `dx[argmax[i]] += dy[i]`.
  static func maxPoolBackward(
    _ dy: UnsafeBufferPointer<Self>, argmax: UnsafeBufferPointer<Int>,
    into dx: UnsafeMutableBufferPointer<Self>)
}

// The algorithms, written once; the conformances specialise them.

@inlinable func reluKernel<T: BinaryFloatingPoint>(_ y: UnsafeMutableBufferPointer<T>) {
  for i in y.indices { y[i] = Swift.max(y[i], 0) }
}

/// `δ ← δ ⊙ 1[y > 0]` eight entries at a time: `lanes(δ, y)` must return, lane by lane, δ where
/// y > 0 and 0 elsewhere (NaN included). The conformances pass it with their concrete SIMD
/// comparison, which compiles to a vector compare and mask; a scalar loop keeps a branch on the
/// data, mispredicted for about half the entries of a ReLU layer.
@inlinable func reluBackwardKernel<T: BinaryFloatingPoint & SIMDScalar>(
  _ d: UnsafeMutableBufferPointer<T>, _ y: UnsafeBufferPointer<T>,
  lanes: (SIMD8<T>, SIMD8<T>) -> SIMD8<T>
) {
  precondition(d.count == y.count, "reluBackward: \(d.count) and \(y.count) entries")
  guard let dp = d.baseAddress, let yp = y.baseAddress else { return }
  let n = d.count
  var i = 0
  while i + 8 <= n {
    let dv = UnsafeRawPointer(dp + i).loadUnaligned(as: SIMD8<T>.self)
    let yv = UnsafeRawPointer(yp + i).loadUnaligned(as: SIMD8<T>.self)
    UnsafeMutableRawPointer(dp + i).storeBytes(of: lanes(dv, yv), as: SIMD8<T>.self)
    i += 8
  }
  for j in i..<n where !(yp[j] > 0) { dp[j] = 0 }
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

/// The precondition of every Adam update: the five arrays are equally long.
@inlinable func checkAdamSizes<T>(
  _ x: UnsafeBufferPointer<T>, _ updated: UnsafeMutableBufferPointer<T>, _ m: UnsafeMutableBufferPointer<T>,
  _ v: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>
) {
  precondition(
    x.count == updated.count && x.count == m.count && x.count == v.count && x.count == g.count,
    "adamUpdate: sizes differ")
}

@inlinable func adamKernel<T: BinaryFloatingPoint>(
  _ x: UnsafeBufferPointer<T>, _ updated: UnsafeMutableBufferPointer<T>, _ m: UnsafeMutableBufferPointer<T>,
  _ v: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>,
  _ h: T, _ b1: T, _ b2: T, _ eps: T, _ c1: T, _ c2: T, sqrt: (T) -> T
) {
  checkAdamSizes(x, updated, m, v, g)
  for i in x.indices {
    m[i] = b1 * m[i] + (1 - b1) * g[i]
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
    updated[i] = x[i] + h * (m[i] / c1) / (sqrt(v[i] / c2) + eps)
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

/// Calls `body(inputStart, patchStart, count)` for every run of entries that
/// im2col copies: for each patch (column) and kernel row, the kernel columns inside the image
/// form one contiguous run of `count` entries at `inputStart` in x and `patchStart` in the patch
/// matrix (channel-fastest maps make pixels of one image row adjacent). `zero(start, count)` is
/// called for the patch entries that fall into the padding.
@inlinable func forEachPatchRun(
  _ g: Convolution, batch: Int, run body: (Int, Int, Int) -> Void, zero: (Int, Int) -> Void
) {
  let (channels, height, width) = (g.input.channels, g.input.height, g.input.width)
  let output = g.output
  let rows = g.patchSize
  let run = channels * g.kernelWidth
  var column = 0
  for n in 0..<batch {
    let image = n * g.input.count
    for oy in 0..<output.height {
      for ox in 0..<output.width {
        let x0 = ox * g.stride - g.padding
        // Kernel columns j in lo..<hi are inside the image.
        let lo = Swift.max(0, -x0)
        let hi = Swift.max(lo, Swift.min(g.kernelWidth, width - x0))
        for i in 0..<g.kernelHeight {
          let y = oy * g.stride - g.padding + i
          let start = column * rows + i * run
          guard y >= 0 && y < height else {
            zero(start, run)
            continue
          }
          if lo > 0 { zero(start, lo * channels) }
          if hi > lo {
            body(image + channels * (x0 + lo + width * y), start + lo * channels, (hi - lo) * channels)
          }
          if hi < g.kernelWidth { zero(start + hi * channels, (g.kernelWidth - hi) * channels) }
        }
        column += 1
      }
    }
  }
}

@inlinable func im2colKernel<T: BinaryFloatingPoint>(
  _ x: UnsafeBufferPointer<T>, _ g: Convolution, _ batch: Int, _ p: UnsafeMutableBufferPointer<T>
) {
  precondition(
    x.count == g.input.count * batch && p.count == g.patchSize * g.output.pixels * batch,
    "im2col: \(x.count) inputs and \(p.count) patch entries for \(batch) samples of \(g)")
  guard let source = x.baseAddress, let target = p.baseAddress else { return }
  forEachPatchRun(
    g, batch: batch,
    run: { from, to, count in (target + to).update(from: source + from, count: count) },
    zero: { start, count in (target + start).update(repeating: 0, count: count) })
}

@inlinable func col2imKernel<T: BinaryFloatingPoint>(
  _ p: UnsafeBufferPointer<T>, _ g: Convolution, _ batch: Int, _ x: UnsafeMutableBufferPointer<T>
) {
  precondition(
    x.count == g.input.count * batch && p.count == g.patchSize * g.output.pixels * batch,
    "col2im: \(p.count) patch entries and \(x.count) inputs for \(batch) samples of \(g)")
  guard let target = x.baseAddress, let source = p.baseAddress else { return }
  target.update(repeating: 0, count: x.count)
  forEachPatchRun(
    g, batch: batch,
    run: { to, from, count in
      // Offsets into pointers first: the sum over a run then has no overflow checks and vectorises.
      let (x, p) = (target + to, source + from)
      for t in 0..<count { x[t] += p[t] }
    },
    zero: { _, _ in })
}

/// `pixel(x, starts, count, channels, y, argmax)` pools one output pixel (see `maxPoolPixel`);
/// Float passes the same selection with SSE.
@inlinable func maxPoolKernel<T: BinaryFloatingPoint>(
  _ x: UnsafeBufferPointer<T>, _ g: MaxPooling, _ batch: Int, _ y: UnsafeMutableBufferPointer<T>,
  _ argmax: UnsafeMutableBufferPointer<Int>,
  pixel:
    (UnsafePointer<T>, UnsafePointer<Int>, Int, Int, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int>) ->
    Void =
    maxPoolPixel
) {
  let output = g.output
  precondition(
    x.count == g.input.count * batch && y.count == output.count * batch && argmax.count == y.count,
    "maxPool: \(x.count) inputs, \(y.count) outputs, \(argmax.count) indices for \(batch) samples of \(g)")
  guard let xp = x.baseAddress, let yp = y.baseAddress, let ap = argmax.baseAddress else { return }
  let (channels, width, size) = (g.input.channels, g.input.width, g.size)
  withUnsafeTemporaryAllocation(of: Int.self, capacity: size * size) { window in
    let starts = UnsafePointer(window.baseAddress!)
    for n in 0..<batch {
      let (image, pooled) = (n * g.input.count, n * output.count)
      for oy in 0..<output.height {
        for ox in 0..<output.width {
          // The window's pixels row by row: the order of the comparisons.
          for i in 0..<size {
            for j in 0..<size {
              window[i * size + j] = image + channels * (ox * g.stride + j + width * (oy * g.stride + i))
            }
          }
          let o = pooled + channels * (ox + output.width * oy)
          pixel(xp, starts, size * size, channels, yp + o, ap + o)
        }
      }
    }
  }
}

/// One output pixel of max pooling over channel-fastest maps: for each channel c < `channels`,
/// the maximum of `x[starts[k] + c]` over the window's `count` pixels k into `y[c]`, its index
/// into `argmax[c]` (the first on ties; NaN wins unless the running maximum is NaN already).
@inlinable func maxPoolPixel<T: BinaryFloatingPoint>(
  _ x: UnsafePointer<T>, _ starts: UnsafePointer<Int>, _ count: Int, _ channels: Int,
  _ y: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int>
) {
  // Only the index of the running maximum is kept and updated by an integer select (its value is
  // reloaded through it): a branch on the data, or a select between floats, which the compiler
  // turns into one, is mispredicted about as often as the maximum changes hands.
  for c in 0..<channels { argmax[c] = starts[0] &+ c }
  for k in 1..<Swift.max(count, 1) {
    for c in 0..<channels {
      let current = x[argmax[c]]
      let candidate = starts[k] &+ c
      // Larger, or NaN, unless the current maximum is NaN already (it then stays).
      let larger = !(x[candidate] <= current) && current == current
      argmax[c] = larger ? candidate : argmax[c]
    }
  }
  for c in 0..<channels { y[c] = x[argmax[c]] }
}

@inlinable func maxPoolBackwardKernel<T: BinaryFloatingPoint>(
  _ dy: UnsafeBufferPointer<T>, _ argmax: UnsafeBufferPointer<Int>, _ dx: UnsafeMutableBufferPointer<T>
) {
  precondition(dy.count == argmax.count, "maxPoolBackward: \(dy.count) gradients, \(argmax.count) indices")
  guard let target = dx.baseAddress else { return }
  target.update(repeating: 0, count: dx.count)
  for i in dy.indices {
    precondition(argmax[i] >= 0 && argmax[i] < dx.count, "maxPoolBackward: index \(argmax[i]) out of range")
    target[argmax[i]] += dy[i]
  }
}
