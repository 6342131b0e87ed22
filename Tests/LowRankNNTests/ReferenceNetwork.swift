import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

/// A naive dense forward/backward pass over the same layers, written independently of the
/// network's factored code: W and ∇_W are formed explicitly, products are triple loops, a
/// convolution is the direct loop over output pixels, channels and kernel entries (no im2col),
/// and max pooling searches each window. Weights and biases are given per weighted layer.
struct ReferenceNetwork {
  var layers: [Layer]

  struct Result {
    var loss: Double
    /// ∇_W 𝓛 per weighted layer, in the shape of its weight.
    var weightGradients: [Matrix<Double>]
    /// ∇_b 𝓛 per weighted layer, rows×1.
    var biasGradients: [Matrix<Double>]
    var logits: Matrix<Double>
  }

  func run(weights: [Matrix<Double>], biases: [Matrix<Double>], features x: Matrix<Double>, labels: [Int])
    -> Result
  {
    let batch = x.columns
    let weighted = layers.indices.filter { layers[$0].hasWeight }
    func parameter(_ l: Int) -> (w: Matrix<Double>, b: Matrix<Double>) {
      let i = weighted.firstIndex(of: l)!
      return (weights[i], biases[i])
    }
    var outputs: [Matrix<Double>] = []
    var input = x
    for (l, layer) in layers.enumerated() {
      var z: Matrix<Double>
      switch layer.operation {
      case .affine:
        let (w, b) = parameter(l)
        z = naiveProduct(w, input)
        for j in 0..<batch { for i in 0..<layer.outputs { z[i, j] += b[i, 0] } }
      case .convolution(let c):
        let (w, b) = parameter(l)
        z = Matrix(rows: layer.outputs, columns: batch)
        forEachTap(c, batch: batch) { n, o, out, inputIndex, k in
          if k == 0 { z[out, n] += b[o, 0] }
          if let inputIndex { z[out, n] += w[o, k] * input[inputIndex, n] }
        }
      case .maxPool(let p):
        z = Matrix(rows: layer.outputs, columns: batch)
        for n in 0..<batch {
          for (out, window) in poolingWindows(p).enumerated() {
            z[out, n] = window.map { input[$0, n] }.max()!
          }
        }
      case .flatten:
        z = input
      }
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
    var gw = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: weighted.count)
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
      var inputDelta = Matrix<Double>(rows: layerInput.rows, columns: batch)
      switch layers[l].operation {
      case .affine:
        let (w, _) = parameter(l)
        let i = weighted.firstIndex(of: l)!
        gw[i] = naiveProduct(delta, layerInput, transposeB: true)
        var b = Matrix<Double>(rows: y.rows, columns: 1)
        for j in 0..<batch { for r in 0..<y.rows { b[r, 0] += delta[r, j] } }
        gb[i] = b
        inputDelta = naiveProduct(w, delta, transposeA: true)
      case .convolution(let c):
        let (w, _) = parameter(l)
        let i = weighted.firstIndex(of: l)!
        var g = Matrix<Double>(rows: w.rows, columns: w.columns)
        var b = Matrix<Double>(rows: w.rows, columns: 1)
        forEachTap(c, batch: batch) { n, o, out, inputIndex, k in
          if k == 0 { b[o, 0] += delta[out, n] }
          if let inputIndex {
            g[o, k] += delta[out, n] * layerInput[inputIndex, n]
            inputDelta[inputIndex, n] += w[o, k] * delta[out, n]
          }
        }
        (gw[i], gb[i]) = (g, b)
      case .maxPool(let p):
        for n in 0..<batch {
          for (out, window) in poolingWindows(p).enumerated() {
            // The first maximum of the window receives the gradient.
            let best = window.first { layerInput[$0, n] == y[out, n] }!
            inputDelta[best, n] += delta[out, n]
          }
        }
      case .flatten:
        inputDelta = delta
      }
      delta = inputDelta
    }
    return Result(loss: loss, weightGradients: gw, biasGradients: gb, logits: logits)
  }
}

/// Calls `body(sample, outputChannel, outputFeature, inputFeature, kernelColumn)` for every
/// term `K[o, c, i, j]·X[c, s·y′ − p + i, s·x′ − p + j]` of the direct convolution (inputFeature
/// nil in the padding), with features in the channel-fastest layout and the kernel entry at
/// column `c + C·(j + kw·i)` of the kernel matrix.
func forEachTap(_ c: Convolution, batch: Int, _ body: (Int, Int, Int, Int?, Int) -> Void) {
  let (input, output) = (c.input, c.output)
  for n in 0..<batch {
    for oy in 0..<output.height {
      for ox in 0..<output.width {
        for o in 0..<c.outputChannels {
          let out = o + output.channels * (ox + output.width * oy)
          for i in 0..<c.kernelHeight {
            for j in 0..<c.kernelWidth {
              for ch in 0..<input.channels {
                let (y, x) = (oy * c.stride - c.padding + i, ox * c.stride - c.padding + j)
                let inside = y >= 0 && y < input.height && x >= 0 && x < input.width
                let k = ch + input.channels * (j + c.kernelWidth * i)
                body(n, o, out, inside ? ch + input.channels * (x + input.width * y) : nil, k)
              }
            }
          }
        }
      }
    }
  }
}

/// For each output feature of a max pooling, the input features of its window, row by row.
func poolingWindows(_ p: MaxPooling) -> [[Int]] {
  let (input, output) = (p.input, p.output)
  var windows = [[Int]](repeating: [], count: output.count)
  for oy in 0..<output.height {
    for ox in 0..<output.width {
      for ch in 0..<input.channels {
        var window: [Int] = []
        for i in 0..<p.size {
          for j in 0..<p.size {
            window.append(ch + input.channels * (ox * p.stride + j + input.width * (oy * p.stride + i)))
          }
        }
        windows[ch + output.channels * (ox + output.width * oy)] = window
      }
    }
  }
  return windows
}

/// Random features (in×batch, standard normal) and labels.
func randomBatch(inputs: Int, classes: Int, batch: Int, using generator: inout SplitMix64)
  -> (Matrix<Double>, [Int])
{
  let x = Matrix<Double>.gaussian(rows: inputs, columns: batch, using: &generator)
  let labels = (0..<batch).map { _ in Int.random(in: 0..<classes, using: &generator) }
  return (x, labels)
}

/// Dense weights and biases for every weighted layer of `network`, entries uniform in
/// [−0.5, 0.5] (for states built by `Network.state(weights:biases:)`).
func randomParameters(_ network: Network<Double>, using generator: inout SplitMix64)
  -> (weights: [Matrix<Double>], biases: [Matrix<Double>])
{
  let shapes = network.weightedLayers.map { network.layers[$0].weightShape! }
  let weights = shapes.map {
    Matrix<Double>.uniform(rows: $0.rows, columns: $0.columns, in: -0.5...0.5, using: &generator)
  }
  let biases = shapes.map {
    Matrix<Double>.uniform(rows: $0.rows, columns: 1, in: -0.5...0.5, using: &generator)
  }
  return (weights, biases)
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

/// Writes a checkpoint of `state`, expects it to read back to the same state, then writes each
/// corrupted copy and expects reading it to be a typed `TrainingError`.
func checkCheckpointRoundTrip(
  _ configuration: TrainingConfiguration, _ state: LowRankState<Float>,
  corruptions: [(name: String, corrupt: (inout Checkpoint) -> Void)]
) throws {
  let dir = try temporaryDirectory("checkpoint")
  defer { try? FileManager.default.removeItem(at: dir) }
  let good = dir.appendingPathComponent("good.dlrt")
  try Checkpoint(configuration: configuration, state: state, epochs: 0, testAccuracy: nil).write(to: good)
  #expect(try Checkpoint.read(from: good).restore().state == state)
  for (name, corrupt) in corruptions {
    var checkpoint = try Checkpoint.read(from: good)
    corrupt(&checkpoint)
    let url = dir.appendingPathComponent("\(name).dlrt")
    try checkpoint.write(to: url)
    #expect(throws: TrainingError.self, "\(name)") { _ = try Checkpoint.read(from: url) }
  }
}

/// How the evaluation tests run a network: each way of evaluating its low-rank layers on the
/// whole batch, and batches split into parts (uneven for 3 parts), whose rates must add up to
/// the whole batch's; convolutions propagate δ one sample at a time in some
/// (``Network/patchGradientChunk`` of 1).
let evaluationSettings: [EvaluationSetting] = [
  .init(.factored, parts: 1), .init(.formedRate, parts: 1), .init(.formed, parts: 1),
  .init(.cheaper, parts: 1),
  .init(.factored, parts: 3, chunk: 1), .init(.formedRate, parts: 3), .init(.formed, parts: 2, chunk: 1),
]

struct EvaluationSetting: Sendable, CustomStringConvertible {
  var evaluation: Network<Double>.LowRankEvaluation
  var parts: Int
  var chunk: Int?
  init(_ evaluation: Network<Double>.LowRankEvaluation, parts: Int, chunk: Int? = nil) {
    self.evaluation = evaluation
    self.parts = parts
    self.chunk = chunk
  }
  var description: String {
    "\(evaluation), \(parts) part\(parts == 1 ? "" : "s")" + (chunk.map { ", patch chunk \($0)" } ?? "")
  }

  /// Applies the setting to `network`.
  func apply(to network: inout Network<Double>) {
    network.lowRankEvaluation = evaluation
    network.batchParts = parts
    if let chunk { network.patchGradientChunk = chunk }
  }
}
