import Foundation
import MatrixManifold

extension Double: NetworkScalar {
  public static func relu(_ y: UnsafeMutableBufferPointer<Double>) { reluKernel(y) }

  public static func reluBackward(
    _ delta: UnsafeMutableBufferPointer<Double>, output y: UnsafeBufferPointer<Double>
  ) {
    reluBackwardKernel(delta, y) { d, y in d.replacing(with: 0, where: .!(y .> 0)) }
  }

  public static func tanh(_ y: UnsafeMutableBufferPointer<Double>) {
    for i in y.indices { y[i] = Foundation.tanh(y[i]) }
  }

  public static func tanhBackward(
    _ delta: UnsafeMutableBufferPointer<Double>, output y: UnsafeBufferPointer<Double>
  ) {
    tanhBackwardKernel(delta, y)
  }

  public static func softmaxCrossEntropy(
    logits: UnsafeBufferPointer<Double>, classes: Int, labels: UnsafeBufferPointer<Int>,
    gradient: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    softmaxCrossEntropyKernel(
      logits, classes, labels, gradient, exp: { Foundation.exp($0) }, log: { Foundation.log($0) })
  }

  public static func adamUpdate(
    _ x: UnsafeBufferPointer<Double>, into updated: UnsafeMutableBufferPointer<Double>,
    m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>,
    rate g: UnsafeBufferPointer<Double>,
    step h: Double, beta1: Double, beta2: Double, epsilon: Double, correction1: Double, correction2: Double
  ) {
    adamKernel(
      x, updated, m, v, g, h, beta1, beta2, epsilon, correction1, correction2, sqrt: { $0.squareRoot() })
  }

  public static func square(_ x: UnsafeMutableBufferPointer<Double>) { squareKernel(x) }

  public static func argmaxColumns(
    _ a: UnsafeBufferPointer<Double>, rows: Int, into result: UnsafeMutableBufferPointer<Int>
  ) {
    argmaxKernel(a, rows, result)
  }

  public static func im2col(
    _ x: UnsafeBufferPointer<Double>, _ convolution: Convolution, batch: Int,
    into patches: UnsafeMutableBufferPointer<Double>
  ) {
    im2colKernel(x, convolution, batch, patches)
  }

  public static func col2im(
    _ patches: UnsafeBufferPointer<Double>, _ convolution: Convolution, batch: Int,
    into x: UnsafeMutableBufferPointer<Double>
  ) {
    col2imKernel(patches, convolution, batch, x)
  }

  public static func maxPool(
    _ x: UnsafeBufferPointer<Double>, _ pooling: MaxPooling, batch: Int,
    into y: UnsafeMutableBufferPointer<Double>,
    argmax: UnsafeMutableBufferPointer<Int>
  ) {
    maxPoolKernel(x, pooling, batch, y, argmax)
  }

  public static func maxPoolBackward(
    _ dy: UnsafeBufferPointer<Double>, argmax: UnsafeBufferPointer<Int>,
    into dx: UnsafeMutableBufferPointer<Double>
  ) {
    maxPoolBackwardKernel(dy, argmax, dx)
  }
}
