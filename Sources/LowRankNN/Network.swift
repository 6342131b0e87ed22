import Foundation
import LowRankIntegrators
import MatrixManifold

/// A sequential classifier whose training is a matrix ODE `W' = −∇_W 𝓛(W)`: a
/// ``LowRankVectorField`` that any ``LowRankIntegrator`` can train (dynamical low-rank training,
/// Schotthöfer et al., "Low-rank lottery tickets", NeurIPS 2022). An explicit Euler step with
/// h = learning rate is one SGD step on the current batch.
///
/// Samples are **columns**: features are in×batch. The loss is the mean softmax cross-entropy
/// of the last layer's outputs (logits) over the batch.
///
/// **Parameter layout** in a `LowRankState` (and in ``FieldEvaluation``):
/// - `blocks[b]` is the weight `U·S·Vᵀ` of the b-th low-rank layer, in layer order
///   (``lowRankLayers``);
/// - `dense` holds first the weights (out×in) of the dense layers in layer order
///   (``denseLayers``), then the biases (out×1) of **all** layers in layer order.
///
/// The network holds the current batch (``setBatch(features:labels:)``) and workspaces sized for
/// it, so ``evaluate(_:)`` allocates only its outputs. For a low-rank layer neither W nor ∇_W is
/// ever formed: the forward pass computes `A·(BᵀX)` and the backward pass `δ·(VᵀX)ᵀ`,
/// `X·(Uᵀδ)ᵀ` and `B·(Aᵀδ)`, all `O(batch·(in + out)·r)`.
public struct Network<Scalar: NetworkScalar>: LowRankVectorField {
  /// How ``init(architecture:mode:activation:)`` builds layers.
  public enum Mode: Sendable, Hashable {
    /// Every layer dense.
    case dense
    /// Every hidden layer low-rank with rank `min(startRank, in, out)`, the classifier (last)
    /// layer dense, as in the DLRT reference implementation.
    case lowRank(startRank: Int)
  }

  /// The layers, input to output.
  public let layers: [Layer]
  /// Indices (into ``layers``) of the low-rank layers; block b is layer `lowRankLayers[b]`.
  public let lowRankLayers: [Int]
  /// Indices (into ``layers``) of the dense layers; `dense[j]` is the weight of `denseLayers[j]`.
  public let denseLayers: [Int]
  /// Number of classes (outputs of the last layer).
  public var classes: Int { layers[layers.count - 1].outputs }
  /// Number of input features.
  public var inputs: Int { layers[0].inputs }

  /// The current batch, in×batch.
  public private(set) var features: Matrix<Scalar>
  /// The current batch's labels, in `0..<classes`.
  public private(set) var labels: [Int]
  /// How many samples of the current batch the last evaluation classified correctly (arg-max
  /// of its logits), so training accuracy costs no extra pass.
  public private(set) var lastEvaluationCorrect = 0

  private var workspace: Workspace<Scalar>

  /// A network from consecutive layers (`layers[i].outputs == layers[i+1].inputs`).
  public init(layers: [Layer]) {
    precondition(!layers.isEmpty, "Network: no layers")
    for i in layers.indices.dropLast() {
      precondition(
        layers[i].outputs == layers[i + 1].inputs,
        "Network: layer \(i) has \(layers[i].outputs) outputs but layer \(i + 1) \(layers[i + 1].inputs) inputs"
      )
    }
    self.layers = layers
    self.lowRankLayers = layers.indices.filter { layers[$0].isLowRank }
    self.denseLayers = layers.indices.filter { !layers[$0].isLowRank }
    self.features = Matrix(rows: layers[0].inputs, columns: 0)
    self.labels = []
    self.workspace = Workspace(layerCount: layers.count)
  }

  /// A network from layer widths, such as `[784, 500, 500, 10]`: hidden layers use
  /// `activation`, the last layer is the identity (logits).
  public init(architecture widths: [Int], mode: Mode, activation: Activation = .relu) {
    precondition(widths.count >= 2, "Network: architecture \(widths) needs at least two widths")
    let count = widths.count - 1
    let layers = (0..<count).map { i -> Layer in
      let (n, m) = (widths[i], widths[i + 1])
      let act: Activation = i == count - 1 ? .identity : activation
      switch mode {
      case .lowRank(let r) where i < count - 1:
        precondition(r >= 1, "Network: start rank \(r) must be positive")
        return .lowRank(n, m, rank: Swift.min(r, n, m), activation: act)
      default:
        return .dense(n, m, activation: act)
      }
    }
    self.init(layers: layers)
  }

  /// Number of entries of `dense` in a state: dense weights plus one bias per layer.
  public var denseParameterCount: Int { denseLayers.count + layers.count }

  /// Index into `dense` of layer `l`'s bias.
  public func biasIndex(ofLayer l: Int) -> Int { denseLayers.count + l }

  // MARK: States

  /// A random initial state: dense weights and biases like PyTorch `nn.Linear`, low-rank layers
  /// by ``Layer/initialFactors(rank:using:)`` at their ``Layer/Kind/lowRank(rank:)`` rank.
  public func initialState(using generator: inout some RandomNumberGenerator) -> LowRankState<Scalar> {
    var blocks: [LowRankMatrix<Scalar>] = []
    var weights: [Matrix<Scalar>] = []
    var biases: [Matrix<Scalar>] = []
    for layer in layers {
      switch layer.kind {
      case .dense: weights.append(layer.initialDenseWeight(using: &generator))
      case .lowRank(let r): blocks.append(layer.initialFactors(rank: r, using: &generator))
      }
      biases.append(layer.initialBias(using: &generator))
    }
    return LowRankState(blocks: blocks, dense: weights + biases)
  }

  /// A state from dense weights (out×in) and biases (out×1 or a 1-column matrix) per layer;
  /// low-rank layers get the truncated SVD of their weight at the layer's rank (`.fixedRank`),
  /// or by `policy` when given.
  /// - Throws: ``TrainingError/invalidBatch(_:)`` on wrong shapes, and what the SVD throws.
  public func state(
    weights: [Matrix<Scalar>], biases: [Matrix<Scalar>], policy: TruncationPolicy? = nil
  ) throws -> LowRankState<Scalar> {
    guard weights.count == layers.count, biases.count == layers.count else {
      throw TrainingError.invalidBatch("need \(layers.count) weights and biases")
    }
    var blocks: [LowRankMatrix<Scalar>] = []
    var dense: [Matrix<Scalar>] = []
    for (l, layer) in layers.enumerated() {
      guard weights[l].rows == layer.outputs, weights[l].columns == layer.inputs,
        biases[l].rows == layer.outputs, biases[l].columns == 1
      else {
        throw TrainingError.invalidBatch(
          "layer \(l) is \(layer.outputs)×\(layer.inputs); got weight \(weights[l].shape), bias \(biases[l].shape)"
        )
      }
      switch layer.kind {
      case .dense: dense.append(weights[l])
      case .lowRank(let r):
        blocks.append(try LowRankMatrix(truncating: weights[l], policy: policy ?? .fixedRank(r)))
      }
    }
    return LowRankState(blocks: blocks, dense: dense + biases)
  }

  /// The weight of every layer as a dense out×in matrix (low-rank ones formed as `U·S·Vᵀ`).
  public func weights(of state: LowRankState<Scalar>) -> [Matrix<Scalar>] {
    checkLayout(blocks: state.blocks.count, dense: state.dense.count)
    var block = 0
    var denseIndex = 0
    return layers.map { layer in
      if layer.isLowRank {
        defer { block += 1 }
        return state.blocks[block].dense()
      }
      defer { denseIndex += 1 }
      return state.dense[denseIndex]
    }
  }

  /// The bias (out×1) of every layer.
  public func biases(of state: LowRankState<Scalar>) -> [Matrix<Scalar>] {
    checkLayout(blocks: state.blocks.count, dense: state.dense.count)
    return Array(state.dense[denseLayers.count...])
  }

  // MARK: Batch

  /// Sets the batch on which ``evaluate(_:)`` and ``loss(at:)`` work.
  /// - Throws: ``TrainingError/invalidBatch(_:)`` if features are not `inputs`×n with n ≥ 1
  ///   labels, ``TrainingError/labelOutOfRange(label:classes:)`` for a bad label.
  public mutating func setBatch(features: Matrix<Scalar>, labels: [Int]) throws(TrainingError) {
    guard features.rows == inputs, features.columns == labels.count, !labels.isEmpty else {
      throw .invalidBatch(
        "features \(features.shape) for \(labels.count) labels; the network takes \(inputs) features")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
      throw .labelOutOfRange(label: bad, classes: classes)
    }
    self.features = features
    self.labels = labels
  }

  // MARK: Vector field

  /// Evaluates `F = −∇𝓛` on the current batch at the weights of `evaluation` (block b's weight
  /// is `A_b·B_bᵀ`, dense parameters in the layout of ``Network``), filling `F·V`, `Fᵀ·U`, the
  /// dense rates when asked, and the objective (the batch loss).
  /// - Throws: ``TrainingError/nonFiniteLoss``.
  public mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws {
    precondition(!labels.isEmpty, "Network.evaluate: no batch; call setBatch first")
    checkLayout(blocks: evaluation.blocks.count, dense: evaluation.dense.count)
    let weights = layerWeights(evaluation)
    let biases = Array(evaluation.dense[denseLayers.count...])
    let x = features
    workspace.forward(layers, input: x, weights: weights, biases: biases)
    let loss = workspace.softmaxCrossEntropy(labels: labels, layerCount: layers.count)
    guard loss.isFinite else { throw TrainingError.nonFiniteLoss }
    evaluation.objective = loss
    lastEvaluationCorrect = workspace.correctPredictions(labels: labels, layerCount: layers.count)

    let wantsDense = evaluation.wantsDenseRates
    var rates =
      wantsDense ? [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: denseParameterCount) : []
    let batch = x.columns
    var block = lowRankLayers.count
    var denseIndex = denseLayers.count
    for l in layers.indices.reversed() {
      let layer = layers[l]
      let input = l == 0 ? x : workspace.outputs[l - 1]
      // workspace.deltas[l] = ∂𝓛/∂Z_l, out×batch, with Z_l = W·X + b the pre-activation.
      layer.activation.multiplyByDerivative(&workspace.deltas[l], output: workspace.outputs[l])
      let delta = workspace.deltas[l]
      if layer.isLowRank { block -= 1 } else { denseIndex -= 1 }
      if wantsDense {
        // −∇_b = −δ·1.
        var rate = Matrix<Scalar>(rows: layer.outputs, columns: 1)
        rate.formProduct(delta, workspace.ones, alpha: -1)
        rates[biasIndex(ofLayer: l)] = rate
        if !layer.isLowRank {
          // −∇_W = −δ·Xᵀ.
          var rate = Matrix<Scalar>(rows: layer.outputs, columns: layer.inputs)
          rate.formProduct(delta, input, opB: .transposed, alpha: -1)
          rates[denseIndex] = rate
        }
      }
      if layer.isLowRank {
        if let v = evaluation.blocks[block].rightBasis {
          // F·V = −δ·(Vᵀ·X)ᵀ. When V is the point's own B (the K-, S- and merged K/L requests),
          // the forward pass already computed BᵀX in `projections[l]` (δ propagation has not
          // overwritten it yet); `==` on the same storage is O(1).
          var fv = Matrix<Scalar>(rows: layer.outputs, columns: v.columns)
          if case .factored(_, let b) = weights[l], b == v {
            fv.formProduct(delta, workspace.projections[l], opB: .transposed, alpha: -1)
          } else {
            workspace.scratch.reshapeIfNeeded(rows: v.columns, columns: batch)
            workspace.scratch.formProduct(v, input, opA: .transposed)
            fv.formProduct(delta, workspace.scratch, opB: .transposed, alpha: -1)
          }
          evaluation.blocks[block].fTimesV = fv
        }
        if let u = evaluation.blocks[block].leftBasis {
          // Fᵀ·U = −X·(Uᵀ·δ)ᵀ.
          workspace.scratch.reshapeIfNeeded(rows: u.columns, columns: batch)
          workspace.scratch.formProduct(u, delta, opA: .transposed)
          var fu = Matrix<Scalar>(rows: layer.inputs, columns: u.columns)
          fu.formProduct(input, workspace.scratch, opB: .transposed, alpha: -1)
          evaluation.blocks[block].fTransposeTimesU = fu
        }
      }
      guard l > 0 else { break }
      // ∂𝓛/∂X = Wᵀ·δ, into the previous layer's δ (its activation derivative comes next).
      workspace.deltas[l - 1].reshapeIfNeeded(rows: layer.inputs, columns: batch)
      switch weights[l] {
      case .dense(let w):
        workspace.deltas[l - 1].formProduct(w, delta, opA: .transposed)
      case .factored(let a, let b):
        // Wᵀ·δ = B·(Aᵀ·δ); the projection workspace is free after the forward pass.
        workspace.projections[l].reshapeIfNeeded(rows: a.columns, columns: batch)
        workspace.projections[l].formProduct(a, delta, opA: .transposed)
        workspace.deltas[l - 1].formProduct(b, workspace.projections[l])
      }
    }
    if wantsDense { evaluation.denseRates = rates }
  }

  // MARK: Loss and prediction

  /// The mean cross-entropy on the current batch at `state`.
  /// - Throws: ``TrainingError/nonFiniteLoss``.
  public mutating func loss(at state: LowRankState<Scalar>) throws(TrainingError) -> Double {
    precondition(!labels.isEmpty, "Network.loss: no batch; call setBatch first")
    let (weights, biases) = layerWeights(state)
    workspace.forward(layers, input: features, weights: weights, biases: biases)
    let loss = workspace.softmaxCrossEntropy(labels: labels, layerCount: layers.count)
    guard loss.isFinite else { throw .nonFiniteLoss }
    return loss
  }

  /// The logits (classes×n) of the n samples (columns) of `features` at `state`.
  public func logits(features: Matrix<Scalar>, state: LowRankState<Scalar>) -> Matrix<Scalar> {
    precondition(features.rows == inputs, "Network.logits: features \(features.shape), \(inputs) inputs")
    var ws = Workspace<Scalar>(layerCount: layers.count)
    let (weights, biases) = layerWeights(state)
    ws.forward(layers, input: features, weights: weights, biases: biases)
    return ws.outputs[layers.count - 1]
  }

  /// The predicted class (argmax of the logits; the first on ties) of each sample.
  public func predictions(features: Matrix<Scalar>, state: LowRankState<Scalar>) -> [Int] {
    let z = logits(features: features, state: state)
    var result = [Int](repeating: 0, count: z.columns)
    z.withUnsafeBufferPointer { p in
      result.withUnsafeMutableBufferPointer { Scalar.argmaxColumns(p, rows: z.rows, into: $0) }
    }
    return result
  }

  /// The fraction of samples whose predicted class is the label (0 for no samples).
  public func accuracy(features: Matrix<Scalar>, labels: [Int], state: LowRankState<Scalar>) -> Double {
    precondition(
      features.columns == labels.count, "accuracy: \(features.columns) samples, \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = predictions(features: features, state: state)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  // MARK: Internals

  private func checkLayout(blocks: Int, dense: Int) {
    precondition(
      blocks == lowRankLayers.count && dense == denseParameterCount,
      "Network: got \(blocks) blocks and \(dense) dense parameters; the network has "
        + "\(lowRankLayers.count) low-rank layers and \(denseParameterCount) dense parameters")
  }

  private func layerWeights(_ e: FieldEvaluation<Scalar>) -> [LayerWeight<Scalar>] {
    var block = 0
    var denseIndex = 0
    return layers.map { layer in
      if layer.isLowRank {
        defer { block += 1 }
        let (a, b) = (e.blocks[block].a, e.blocks[block].b)
        precondition(
          a.rows == layer.outputs && b.rows == layer.inputs,
          "Network: block \(block) is A \(a.shape), B \(b.shape) for a \(layer.outputs)×\(layer.inputs) layer"
        )
        return .factored(a: a, b: b)
      }
      defer { denseIndex += 1 }
      return .dense(e.dense[denseIndex])
    }
  }

  private func layerWeights(_ state: LowRankState<Scalar>) -> ([LayerWeight<Scalar>], [Matrix<Scalar>]) {
    checkLayout(blocks: state.blocks.count, dense: state.dense.count)
    var block = 0
    var denseIndex = 0
    let weights = layers.map { layer -> LayerWeight<Scalar> in
      if layer.isLowRank {
        defer { block += 1 }
        let y = state.blocks[block]
        return .factored(a: y.u * y.s, b: y.v)
      }
      defer { denseIndex += 1 }
      return .dense(state.dense[denseIndex])
    }
    return (weights, Array(state.dense[denseLayers.count...]))
  }
}

/// A layer's weight at one evaluation: dense, or `A·Bᵀ` (never formed).
enum LayerWeight<Scalar: BLASScalar> {
  case dense(Matrix<Scalar>)
  case factored(a: Matrix<Scalar>, b: Matrix<Scalar>)
}

extension Matrix {
  /// Reshapes only when the shape differs (then keeping the capacity), so buffers sized for a
  /// batch are reused without being refilled.
  mutating func reshapeIfNeeded(rows: Int, columns: Int, repeating value: Scalar = 0) {
    if self.rows != rows || self.columns != columns {
      reshape(rows: rows, columns: columns, repeating: value)
    }
  }
}

/// Buffers of a forward/backward pass, allocated at the first batch of a size and reused.
struct Workspace<Scalar: NetworkScalar> {
  /// Post-activation outputs, per layer, out×batch (the last holds the logits).
  var outputs: [Matrix<Scalar>]
  /// `Bᵀ·X` (k×batch) of low-rank layers in the forward pass, `Aᵀ·δ` in the backward pass.
  var projections: [Matrix<Scalar>]
  /// ∂𝓛/∂(pre-activation), per layer, out×batch.
  var deltas: [Matrix<Scalar>]
  /// `Vᵀ·X` or `Uᵀ·δ`.
  var scratch = Matrix<Scalar>(rows: 0, columns: 0)
  /// A batch×1 vector of ones, for bias gradients.
  var ones = Matrix<Scalar>(rows: 0, columns: 0)
  /// Predicted classes of the last forward pass.
  var predicted: [Int] = []

  init(layerCount: Int) {
    let empty = Matrix<Scalar>(rows: 0, columns: 0)
    outputs = Array(repeating: empty, count: layerCount)
    projections = Array(repeating: empty, count: layerCount)
    deltas = Array(repeating: empty, count: layerCount)
  }

  /// The forward pass `Y_l = act(W_l·Y_{l−1} + b_l)` into ``outputs``.
  mutating func forward(
    _ layers: [Layer], input x: Matrix<Scalar>, weights: [LayerWeight<Scalar>], biases: [Matrix<Scalar>]
  ) {
    let batch = x.columns
    for (l, layer) in layers.enumerated() {
      outputs[l].reshapeIfNeeded(rows: layer.outputs, columns: batch)
      // Broadcast the bias (b·1ᵀ, a rank-1 GEMM), then accumulate the product with β = 1.
      let bias = biases[l]
      precondition(bias.rows == layer.outputs && bias.columns == 1, "layer \(l): bias \(bias.shape)")
      ones.reshapeIfNeeded(rows: batch, columns: 1, repeating: 1)
      outputs[l].formProduct(bias, ones, opB: .transposed)
      let input = l == 0 ? x : outputs[l - 1]
      switch weights[l] {
      case .dense(let w):
        outputs[l].formProduct(w, input, beta: 1)
      case .factored(let a, let b):
        projections[l].reshapeIfNeeded(rows: a.columns, columns: batch)
        projections[l].formProduct(b, input, opA: .transposed)
        outputs[l].formProduct(a, projections[l], beta: 1)
      }
      layer.activation.apply(&outputs[l])
    }
  }

  /// How many columns of the logits have their arg-max at the label.
  mutating func correctPredictions(labels: [Int], layerCount: Int) -> Int {
    let z = outputs[layerCount - 1]
    predicted.reshapeIfNeeded(count: z.columns)
    z.withUnsafeBufferPointer { p in
      predicted.withUnsafeMutableBufferPointer { Scalar.argmaxColumns(p, rows: z.rows, into: $0) }
    }
    return zip(predicted, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
  }

  /// The mean softmax cross-entropy of the logits (the last output) and, into the last δ,
  /// its gradient `(softmax − onehot)/batch`. Log-sum-exp with the column maximum subtracted.
  mutating func softmaxCrossEntropy(labels: [Int], layerCount: Int) -> Double {
    let last = layerCount - 1
    let z = outputs[last]
    let (classes, batch) = (z.rows, z.columns)
    deltas[last].reshapeIfNeeded(rows: classes, columns: batch)
    return z.withUnsafeBufferPointer { zp in
      deltas[last].withUnsafeMutableBufferPointer { d in
        labels.withUnsafeBufferPointer { lp in
          Scalar.softmaxCrossEntropy(logits: zp, classes: classes, labels: lp, gradient: d)
        }
      }
    }
  }
}

extension Array where Element == Int {
  /// Resizes to `count` entries (new ones 0), keeping the capacity.
  mutating func reshapeIfNeeded(count: Int) {
    if self.count != count { self = [Int](repeating: 0, count: count) }
  }
}
