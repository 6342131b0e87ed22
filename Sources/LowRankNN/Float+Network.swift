internal import CKernels
import Foundation
import MatrixManifold

extension Float: NetworkScalar {
  public static func relu(_ y: UnsafeMutableBufferPointer<Float>) { reluKernel(y) }

  public static func reluBackward(
    _ delta: UnsafeMutableBufferPointer<Float>, output y: UnsafeBufferPointer<Float>
  ) {
    reluBackwardKernel(delta, y) { d, y in d.replacing(with: 0, where: .!(y .> 0)) }
  }

  public static func tanh(_ y: UnsafeMutableBufferPointer<Float>) {
    for i in y.indices { y[i] = Foundation.tanh(y[i]) }
  }

  public static func tanhBackward(
    _ delta: UnsafeMutableBufferPointer<Float>, output y: UnsafeBufferPointer<Float>
  ) {
    tanhBackwardKernel(delta, y)
  }

  public static func softmaxCrossEntropy(
    logits: UnsafeBufferPointer<Float>, classes: Int, labels: UnsafeBufferPointer<Int>,
    gradient: UnsafeMutableBufferPointer<Float>
  ) -> Double {
    softmaxCrossEntropyKernel(
      logits, classes, labels, gradient, exp: { Foundation.exp($0) }, log: { Foundation.log($0) })
  }

  public static func adamUpdate(
    _ x: UnsafeBufferPointer<Float>, into updated: UnsafeMutableBufferPointer<Float>,
    m: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
    rate g: UnsafeBufferPointer<Float>,
    step h: Float, beta1: Float, beta2: Float, epsilon: Float, correction1: Float, correction2: Float
  ) {
    checkAdamSizes(x, updated, m, v, g)
    guard let xp = x.baseAddress else { return }
    // Four elements at a time (`adamKernel`'s formula, bitwise): Swift keeps its division and
    // square root scalar at the SSE2 baseline.
    dlrt_adam_update_f32(
      xp, updated.baseAddress!, m.baseAddress!, v.baseAddress!, g.baseAddress!, x.count, h, beta1, beta2,
      epsilon, correction1, correction2)
  }

  public static func square(_ x: UnsafeMutableBufferPointer<Float>) { squareKernel(x) }

  public static func argmaxColumns(
    _ a: UnsafeBufferPointer<Float>, rows: Int, into result: UnsafeMutableBufferPointer<Int>
  ) {
    argmaxKernel(a, rows, result)
  }

  public static func im2col(
    _ x: UnsafeBufferPointer<Float>, _ convolution: Convolution, batch: Int,
    into patches: UnsafeMutableBufferPointer<Float>
  ) {
    im2colKernel(x, convolution, batch, patches)
  }

  public static func col2im(
    _ patches: UnsafeBufferPointer<Float>, _ convolution: Convolution, batch: Int,
    into x: UnsafeMutableBufferPointer<Float>
  ) {
    col2imKernel(patches, convolution, batch, x)
  }

  public static func maxPool(
    _ x: UnsafeBufferPointer<Float>, _ pooling: MaxPooling, batch: Int,
    into y: UnsafeMutableBufferPointer<Float>,
    argmax: UnsafeMutableBufferPointer<Int>
  ) {
    // The same selection, four channels at a time.
    maxPoolKernel(x, pooling, batch, y, argmax) { dlrt_max_pool_pixel_f32($0, $1, Int32($2), $3, $4, $5) }
  }

  public static func maxPoolBackward(
    _ dy: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int>,
    into dx: UnsafeMutableBufferPointer<Float>
  ) {
    maxPoolBackwardKernel(dy, argmax, dx)
  }
}
