import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport

/// A naive dense forward/backward pass over the same layers, written independently of the
/// network's factored code: W and ∇_W are formed explicitly and products are triple loops.
struct ReferenceNetwork {
  var layers: [Layer]

  struct Result {
    var loss: Double
    /// ∇_W 𝓛 per layer, out×in.
    var weightGradients: [Matrix<Double>]
    /// ∇_b 𝓛 per layer, out×1.
    var biasGradients: [Matrix<Double>]
    var logits: Matrix<Double>
  }

  func run(weights: [Matrix<Double>], biases: [Matrix<Double>], features x: Matrix<Double>, labels: [Int])
    -> Result
  {
    let batch = x.columns
    var outputs: [Matrix<Double>] = []
    var input = x
    for (l, layer) in layers.enumerated() {
      var z = naiveProduct(weights[l], input)
      for j in 0..<batch { for i in 0..<layer.outputs { z[i, j] += biases[l][i, 0] } }
      let y = z.map { v in
        switch layer.activation {
        case .relu: Swift.max(v, 0)
        case .tanh: Foundation.tanh(v)
        case .identity: v
        }
      }
      outputs.append(y)
      input = y
    }
    let logits = outputs[layers.count - 1]
    var loss = 0.0
    var delta = Matrix<Double>(rows: logits.rows, columns: batch)
    for j in 0..<batch {
      let column = logits.column(j)
      let m = column.max()!
      let sum = column.reduce(0) { $0 + exp($1 - m) }
      loss += m + log(sum) - column[labels[j]]
      for i in 0..<logits.rows {
        delta[i, j] = (exp(column[i] - m) / sum - (i == labels[j] ? 1 : 0)) / Double(batch)
      }
    }
    loss /= Double(batch)
    var gw = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: layers.count)
    var gb = gw
    for l in layers.indices.reversed() {
      let y = outputs[l]
      for j in 0..<batch {
        for i in 0..<y.rows {
          switch layers[l].activation {
          case .relu: if y[i, j] <= 0 { delta[i, j] = 0 }
          case .tanh: delta[i, j] *= 1 - y[i, j] * y[i, j]
          case .identity: break
          }
        }
      }
      let layerInput = l == 0 ? x : outputs[l - 1]
      gw[l] = naiveProduct(delta, layerInput, transposeB: true)
      var b = Matrix<Double>(rows: y.rows, columns: 1)
      for j in 0..<batch { for i in 0..<y.rows { b[i, 0] += delta[i, j] } }
      gb[l] = b
      if l > 0 { delta = naiveProduct(weights[l], delta, transposeA: true) }
    }
    return Result(loss: loss, weightGradients: gw, biasGradients: gb, logits: logits)
  }
}

/// Random features (in×batch, standard normal) and labels.
func randomBatch(inputs: Int, classes: Int, batch: Int, using generator: inout SplitMix64)
  -> (Matrix<Double>, [Int])
{
  let x = Matrix<Double>.gaussian(rows: inputs, columns: batch, using: &generator)
  let labels = (0..<batch).map { _ in Int.random(in: 0..<classes, using: &generator) }
  return (x, labels)
}

/// One evaluation at `state` with bases U, V of each block (A = U·S, B = V) and dense rates.
func evaluateAtState(_ network: inout Network<Double>, _ state: LowRankState<Double>) throws
  -> FieldEvaluation<Double>
{
  let blocks = state.blocks.map { y in
    FieldEvaluation<Double>.Block(a: y.u * y.s, b: y.v, rightBasis: y.v, leftBasis: y.u)
  }
  var e = FieldEvaluation(time: 0, blocks: blocks, dense: state.dense, wantsDenseRates: true)
  try network.evaluate(&e)
  return e
}
