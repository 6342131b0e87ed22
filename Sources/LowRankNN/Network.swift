import Foundation
import LowRankIntegrators
import MatrixManifold

/// A sequential classifier whose training is a matrix ODE `W' = −∇_W 𝓛(W)`: a
/// `LowRankVectorField` that any `LowRankIntegrator` can train (dynamical low-rank training,
/// Schotthöfer et al., "Low-rank lottery tickets", NeurIPS 2022). An explicit Euler step with
/// h = learning rate is one SGD step on the current batch.
///
/// Samples are **columns**: features are in×batch (feature maps in the layout of
/// ``FeatureMaps``). The loss is the mean softmax cross-entropy of the last layer's outputs
/// (logits) over the batch.
///
/// **Parameter layout** in a `LowRankState` (and in `FieldEvaluation`). Only affine and
/// convolution layers have parameters (``weightedLayers``); pooling and flattening have none.
/// - `blocks[b]` is the weight `U·S·Vᵀ` of the b-th low-rank layer, in layer order
///   (``lowRankLayers``); for a convolution it is the `outputChannels × patchSize` kernel matrix;
/// - `tuckers[t]` is the kernel of the t-th Tucker convolution (``tuckerLayers``), an order-4
///   tensor of ``Layer/kernelDimensions``; the network evaluates it densely (the kernel is small
///   next to the patch matrix) and returns its whole gradient (`FieldEvaluation.TuckerBlock`);
/// - `dense` holds first the weights (``Layer/weightShape``) of the dense layers in layer order
///   (``denseLayers``), then the biases (rows×1, one entry per output or output channel) of
///   **all** weighted layers in layer order (``biasIndex(ofLayer:)``).
///
/// The network holds the current batch (``setBatch(features:labels:)``) and workspaces sized for
/// it, so ``evaluate(_:)`` allocates only its outputs. After im2col a convolution is the affine
/// map `W·P + b·1ᵀ` of its patch matrix P (one column per output pixel), so affine and
/// convolution layers share one code path. A low-rank layer is evaluated in one of three ways,
/// chosen per layer and pass by ``lowRankEvaluation``: through its factors, without ever forming
/// W or ∇_W (forward `A·(BᵀX)`, backward `δ·(VᵀX)ᵀ`, `X·(Uᵀδ)ᵀ` and `B·(Aᵀδ)`, all
/// `O(columns·(rows + cols of W)·k)`); by forming `W = A·Bᵀ` and the rate `−∇_W = −δ·Xᵀ` once
/// and multiplying the small `∇_W` by the requested bases — the cheaper way for layers whose
/// rank is near full, where each of the many columns (one per output pixel of a convolution)
/// then costs `rows·cols` instead of `k·(rows + cols)` per product; or between the two, forward
/// and backward through the factors and the rate formed, which pays `rows·cols` per column once
/// instead of `k·(rows + cols)` for each requested basis (LeNet5's second convolution).
public struct Network<Scalar: NetworkScalar>: LowRankVectorField {
  /// How a pass evaluates a low-rank layer `W = A·Bᵀ` (see ``lowRankEvaluation``). All ways
  /// give the same products up to rounding.
  public enum LowRankEvaluation: Sendable, Hashable {
    /// Always through the factors; W and ∇_W are never formed.
    case factored
    /// Forward and δ propagation through the factors; the rate `−∇_W = −δ·Xᵀ` (rows × cols) is
    /// formed when the pass requests products with bases, which are then taken from it.
    case formedRate
    /// Always by forming `W = A·Bᵀ` and `−∇_W = −δ·Xᵀ` (rows × cols each).
    case formed
    /// Per layer and pass, whichever of the three ways needs fewer multiply-adds for the pass's
    /// columns, factor width k and requested bases
    /// (``Network/chosenEvaluation(layer:width:requests:batch:)``).
    case cheaper
  }

  /// How ``init(architecture:mode:activation:convolutions:rankCeiling:)`` builds layers.
  public enum Mode: Sendable, Hashable {
    /// Every layer dense.
    case dense
    /// Every hidden layer with a weight low-rank with rank `min(startRank, rows, columns)` of
    /// its weight, the classifier (last) layer dense, as in the DLRT reference implementation.
    case lowRank(startRank: Int)
  }

  /// The layers, input to output.
  public let layers: [Layer]
  /// Indices (into ``layers``) of the low-rank layers; block b is layer `lowRankLayers[b]`.
  public let lowRankLayers: [Int]
  /// Indices (into ``layers``) of the Tucker convolutions; Tucker block t is layer `tuckerLayers[t]`.
  public let tuckerLayers: [Int]
  /// Indices (into ``layers``) of the layers with a dense weight; `dense[j]` is the weight of
  /// `denseLayers[j]`.
  public let denseLayers: [Int]
  /// Indices (into ``layers``) of the layers with a weight and a bias (affine and convolution).
  public let weightedLayers: [Int]
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

  /// How passes evaluate the low-rank layers; the default ``LowRankEvaluation/cheaper`` picks,
  /// per layer and pass, the way with fewer multiply-adds.
  public var lowRankEvaluation: LowRankEvaluation = .cheaper

  /// How many parts a batch is split into for a pass. With more than one, the parts go through
  /// the network concurrently, one thread each with one OpenBLAS thread per part (the caller's
  /// OpenBLAS thread count is restored after the pass), and their rates are summed: both cores
  /// are busy in every kernel, instead of OpenBLAS threads waiting between small products. The
  /// results equal those of one part up to rounding (sums taken in another order). Default 1.
  public var batchParts = 1 {
    didSet {
      precondition(batchParts >= 1, "Network.batchParts must be at least 1, got \(batchParts)")
      splitBatch()
    }
  }

  /// How many entries of a convolution's patch gradient `Wᵀ·δ` (patch size × output pixels per
  /// sample) the backward pass forms at a time before col2im folds them back into the input's δ:
  /// as many samples as fit, at least one. The default, 65 536 (256 KB in Float), keeps each
  /// chunk within a core's L2 cache; the results do not depend on it beyond rounding.
  public var patchGradientChunk = 65_536 {
    didSet {
      precondition(
        patchGradientChunk >= 1, "Network.patchGradientChunk must be positive, got \(patchGradientChunk)")
    }
  }

  /// ``batchParts``: integrators run their per-block work (augmentation, truncation) on as
  /// many threads as the batch's parts.
  public var blockConcurrency: Int { batchParts }

  /// The largest rank each low-rank matrix layer may take under a rank-adaptive integrator
  /// (``rankCeilings``). Default ``RankCeiling/full``.
  public var rankCeiling: RankCeiling = .full

  /// Per low-rank layer (``lowRankLayers``), its ``rankCeiling`` limit; nil for
  /// ``RankCeiling/full``, which the augmented bases never exceed anyway.
  public var rankCeilings: [Int]? {
    guard rankCeiling != .full else { return nil }
    return lowRankLayers.map { l in
      let shape = layers[l].weightShape!
      return rankCeiling.limit(rows: shape.rows, columns: shape.columns)
    }
  }

  /// The parts of the current batch, each with the buffers of its passes.
  private var parts: [BatchPart<Scalar>]
  /// The loss of the last full pass of ``evaluate(_:)`` while its activations and errors are
  /// still in the workspace (nil after a new batch or another forward pass), for requests marked
  /// `atPreviousPoint`.
  private var passLoss: Double?

  /// A network from consecutive layers: `layers[i].outputs == layers[i+1].inputs`, equal feature
  /// maps where both sides have maps, a ``Layer/flatten(_:)`` between maps and an affine layer,
  /// and a last layer that outputs feature vectors (affine or flatten).
  public init(layers: [Layer]) {
    precondition(!layers.isEmpty, "Network: no layers")
    for i in layers.indices.dropLast() {
      let (a, b) = (layers[i], layers[i + 1])
      precondition(
        a.outputs == b.inputs,
        "Network: layer \(i) has \(a.outputs) outputs but layer \(i + 1) \(b.inputs) inputs")
      if let maps = a.outputMaps {
        precondition(
          b.inputMaps == maps,
          "Network: layer \(i) writes \(maps) maps; layer \(i + 1) must read them (flatten first)")
      }
    }
    precondition(
      layers[layers.count - 1].outputMaps == nil, "Network: the last layer must output feature vectors")
    self.layers = layers
    self.lowRankLayers = layers.indices.filter { layers[$0].isLowRank }
    self.tuckerLayers = layers.indices.filter { layers[$0].isTucker }
    self.denseLayers = layers.indices.filter {
      layers[$0].hasWeight && !layers[$0].isLowRank && !layers[$0].isTucker
    }
    self.weightedLayers = layers.indices.filter { layers[$0].hasWeight }
    self.features = Matrix(rows: layers[0].inputs, columns: 0)
    self.labels = []
    self.parts = [BatchPart(layerCount: layers.count)]
  }

  /// A network of an ``Architecture`` (an array literal of widths such as `[784, 500, 500, 10]`
  /// is a fully-connected one): hidden layers use `activation`, the last layer is the identity
  /// (logits); low-rank convolutions in the given format; see
  /// ``Architecture/layers(startRank:activation:convolutions:rankCeiling:)``, whose rank ceiling
  /// becomes ``rankCeiling``.
  public init(
    architecture: Architecture, mode: Mode, activation: Activation = .relu,
    convolutions: ConvolutionFormat = .matrix, rankCeiling: RankCeiling = .full
  ) {
    let startRank: Int? =
      switch mode {
      case .dense: nil
      case .lowRank(let r): r
      }
    self.init(
      layers: architecture.layers(
        startRank: startRank, activation: activation, convolutions: convolutions, rankCeiling: rankCeiling))
    self.rankCeiling = rankCeiling
  }

  /// Number of entries of `dense` in a state: dense weights plus one bias per weighted layer.
  public var denseParameterCount: Int { denseLayers.count + weightedLayers.count }

  /// Index into `dense` of the bias of layer `l` (a layer with a weight).
  public func biasIndex(ofLayer l: Int) -> Int {
    guard let i = weightedLayers.firstIndex(of: l) else {
      preconditionFailure("Network.biasIndex: layer \(l) has no parameters")
    }
    return denseLayers.count + i
  }

  /// Entries of the forward workspace per sample (layer outputs and patch matrices), a guide
  /// for how many samples to evaluate at once.
  public var forwardEntriesPerSample: Int {
    layers.reduce(0) { total, layer in
      guard case .convolution(let c) = layer.operation else { return total + layer.outputs }
      return total + layer.outputs + c.patchSize * c.output.pixels
    }
  }

  // MARK: States

  /// A random initial state: dense weights and biases like PyTorch `nn.Linear` / `nn.Conv2d`,
  /// low-rank layers by ``Layer/initialFactors(rank:initialization:using:)`` at their
  /// ``Layer/Kind/lowRank(rank:)`` rank, Tucker kernels by ``Layer/initialTucker(ranks:using:)``.
  public func initialState(
    lowRank initialization: LowRankInitialization = .spectral,
    using generator: inout some RandomNumberGenerator
  ) -> LowRankState<Scalar> {
    var blocks: [LowRankMatrix<Scalar>] = []
    var tuckers: [TuckerTensor<Scalar>] = []
    var weights: [Matrix<Scalar>] = []
    var biases: [Matrix<Scalar>] = []
    for layer in layers where layer.hasWeight {
      switch layer.kind {
      case .dense: weights.append(layer.initialDenseWeight(using: &generator))
      case .lowRank(let r):
        blocks.append(layer.initialFactors(rank: r, initialization: initialization, using: &generator))
      case .tucker(let ranks): tuckers.append(layer.initialTucker(ranks: ranks, using: &generator))
      }
      biases.append(layer.initialBias(using: &generator))
    }
    return LowRankState(blocks: blocks, tuckers: tuckers, dense: weights + biases)
  }

  /// A state from dense weights (``Layer/weightShape``) and biases (rows×1) per weighted layer
  /// (``weightedLayers``); low-rank layers get the truncated SVD of their weight at the layer's
  /// rank (`.fixedRank`), or by `policy` when given; Tucker kernels likewise by HOSVD.
  /// - Throws: ``TrainingError/invalidBatch(_:)`` on wrong shapes, and what the SVD throws.
  public func state(
    weights: [Matrix<Scalar>], biases: [Matrix<Scalar>], policy: TruncationPolicy? = nil
  ) throws -> LowRankState<Scalar> {
    guard weights.count == weightedLayers.count, biases.count == weightedLayers.count else {
      throw TrainingError.invalidBatch("need \(weightedLayers.count) weights and biases")
    }
    var blocks: [LowRankMatrix<Scalar>] = []
    var tuckers: [TuckerTensor<Scalar>] = []
    var dense: [Matrix<Scalar>] = []
    for (i, l) in weightedLayers.enumerated() {
      let shape = layers[l].weightShape!
      guard weights[i].shape == shape, biases[i].shape == Shape(rows: shape.rows, columns: 1) else {
        throw TrainingError.invalidBatch(
          "layer \(l) has a \(shape) weight; got weight \(weights[i].shape), bias \(biases[i].shape)")
      }
      switch layers[l].kind {
      case .dense: dense.append(weights[i])
      case .lowRank(let r):
        blocks.append(try LowRankMatrix(truncating: weights[i], policy: policy ?? .fixedRank(r)))
      case .tucker(let ranks):
        let kernel = Tensor(reshaping: weights[i], dimensions: layers[l].kernelDimensions!)
        let policies = try policy.map { p in ranks.map { _ in p } } ?? ranks.map { try .fixedRank($0) }
        tuckers.append(try TuckerTensor(truncating: kernel, policies: policies))
      }
    }
    return LowRankState(blocks: blocks, tuckers: tuckers, dense: dense + biases)
  }

  /// The weight of every weighted layer (``weightedLayers``) as a dense matrix (low-rank ones
  /// formed as `U·S·Vᵀ`).
  public func weights(of state: LowRankState<Scalar>) -> [Matrix<Scalar>] {
    checkLayout(blocks: state.blocks.count, tuckers: state.tuckers.count, dense: state.dense.count)
    var block = 0
    var tucker = 0
    var denseIndex = 0
    return weightedLayers.map { l in
      if layers[l].isLowRank {
        defer { block += 1 }
        return state.blocks[block].dense()
      }
      if layers[l].isTucker {
        defer { tucker += 1 }
        return state.tuckers[tucker].dense().matrix(rows: layers[l].weightShape!.rows)
      }
      defer { denseIndex += 1 }
      return state.dense[denseIndex]
    }
  }

  /// The bias (rows×1) of every weighted layer.
  public func biases(of state: LowRankState<Scalar>) -> [Matrix<Scalar>] {
    checkLayout(blocks: state.blocks.count, tuckers: state.tuckers.count, dense: state.dense.count)
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
    splitBatch()
  }

  /// Splits the current batch into `min(batchParts, batch)` parts of nearly equal size (whole
  /// batch in one part without copying); workspaces are kept when the count stays.
  private mutating func splitBatch() {
    passLoss = nil
    let count = Swift.max(1, Swift.min(batchParts, labels.count))
    if parts.count != count { parts = (0..<count).map { _ in BatchPart(layerCount: layers.count) } }
    guard count > 1 else {
      parts[0].features = features
      parts[0].labels = labels
      return
    }
    for i in 0..<count {
      let range = (i * labels.count / count)..<((i + 1) * labels.count / count)
      parts[i].features = Matrix(features.columns(range))
      parts[i].labels = Array(labels[range])
    }
  }

  // MARK: Vector field

  /// Evaluates `F = −∇𝓛` on the current batch at the weights of `evaluation` (block b's weight
  /// is `A_b·B_bᵀ`, dense parameters in the layout of ``Network``), filling `F·V`, `Fᵀ·U`, the
  /// dense rates when asked, and the objective (the batch loss).
  /// - Throws: ``TrainingError/nonFiniteLoss``.
  public mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws {
    precondition(!labels.isEmpty, "Network.evaluate: no batch; call setBatch first")
    checkLayout(
      blocks: evaluation.blocks.count, tuckers: evaluation.tensors.count, dense: evaluation.dense.count)
    let request = evaluation
    if evaluation.atPreviousPoint, let loss = passLoss {
      // Same weights and batch as the last pass: its activations and errors are still in the
      // workspaces, and only the products with the new bases are needed (no forward/backward).
      let outputs = runParts { network, part in
        var e = request
        var rates = RateCollector<Scalar>(network: network, wantsDense: request.wantsDenseRates)
        for l in network.weightedLayers {
          network.collectRates(l, weight: nil, formsRate: false, into: &e, rates: &rates, part: &part)
        }
        return PartOutput(evaluation: e, rates: rates, loss: loss, correct: 0)
      }
      merge(outputs, into: &evaluation)
      evaluation.objective = loss
      return
    }
    let largestPart = parts.map(\.labels.count).max()!
    let blockWays = zip(lowRankLayers, evaluation.blocks).map { l, block in
      let requests = LowRankRequests(
        right: block.rightBasis?.columns ?? 0, left: block.leftBasis?.columns ?? 0,
        rightIsPointFactor: block.rightBasis.map { $0 == block.b } ?? false, propagates: l > 0,
        followUpRight: block.followUpRight)
      return chosenEvaluation(layer: l, width: block.a.columns, requests: requests, batch: largestPart)
    }
    // Layers whose rate this pass forms although their weight stays factored.
    var formsRate = [Bool](repeating: false, count: layers.count)
    for (l, way) in zip(lowRankLayers, blockWays) where way == .formedRate { formsRate[l] = true }
    let blockWeights = zip(blockWays, evaluation.blocks).map { way, block in
      way == .formed ? LayerWeight.dense(block.densePoint()) : .factored(a: block.a, b: block.b)
    }
    let (weights, biases) = layerParameters(
      blocks: blockWeights, tuckers: evaluation.tensors.map(\.point), dense: evaluation.dense)
    let total = labels.count
    passLoss = nil
    let outputs = runParts { network, part in
      let (loss, correct) = network.forwardLoss(weights: weights, biases: biases, total: total, part: &part)
      var e = request
      var rates = RateCollector<Scalar>(network: network, wantsDense: request.wantsDenseRates)
      let layers = network.layers
      for l in layers.indices.reversed() {
        let layer = layers[l]
        // deltas[l] = ∂𝓛/∂Z_l with Z_l the pre-activation, shaped like outputs[l].
        layer.activation.multiplyByDerivative(&part.workspace.deltas[l], output: part.workspace.outputs[l])
        if layer.hasWeight {
          network.collectRates(
            l, weight: weights[l], formsRate: formsRate[l], into: &e, rates: &rates, part: &part)
        }
        guard l > 0 else { break }
        part.workspace.backward(layer, l, weight: weights[l], chunkEntries: network.patchGradientChunk)
      }
      return PartOutput(evaluation: e, rates: rates, loss: loss, correct: correct)
    }
    let loss = outputs.reduce(0) { $0 + $1.loss }
    guard loss.isFinite else { throw TrainingError.nonFiniteLoss }
    merge(outputs, into: &evaluation)
    evaluation.objective = loss
    lastEvaluationCorrect = outputs.reduce(0) { $0 + $1.correct }
    passLoss = loss
  }

  /// The forward pass of one part and its share of the batch loss: the part's mean loss times
  /// its share of the batch, with the loss gradient (the last δ) scaled alike, so that the
  /// parts' rates add up to the batch's. Also the part's correctly classified samples.
  private func forwardLoss(
    weights: [LayerWeight<Scalar>], biases: [Matrix<Scalar>], total: Int, part: inout BatchPart<Scalar>
  ) -> (loss: Double, correct: Int) {
    part.workspace.forward(layers, input: part.features, weights: weights, biases: biases)
    let last = layers.count - 1
    let loss = part.workspace.softmaxCrossEntropy(labels: part.labels, layerCount: layers.count)
    let correct = part.workspace.correctPredictions(labels: part.labels, layerCount: layers.count)
    guard part.labels.count < total else { return (loss, correct) }
    let share = Double(part.labels.count) / Double(total)
    part.workspace.deltas[last].scale(by: Scalar(share))
    return (loss * share, correct)
  }

  /// Runs `body` on every part of the batch: directly for one part, else concurrently on one
  /// thread per part with OpenBLAS on one thread (the caller's count restored after).
  private mutating func runParts<Output>(
    _ body: (Network<Scalar>, inout BatchPart<Scalar>) -> Output
  ) -> [Output] {
    // Taken out of self so that the parts' buffers are uniquely referenced while written.
    var taken: [BatchPart<Scalar>] = []
    swap(&taken, &parts)
    defer { swap(&taken, &parts) }
    let network = self
    if taken.count == 1 { return [body(network, &taken[0])] }
    let threads = BLASThreads.count
    BLASThreads.set(1)
    defer { BLASThreads.set(threads) }
    return taken.withUnsafeMutableBufferPointer { parts in
      // Job i writes only part i.
      nonisolated(unsafe) let parts = parts
      return concurrentMap(parts.count, threads: parts.count) { i in body(network, &parts[i]) }
    }
  }

  /// Sums the parts' requested products and rates into `evaluation`.
  private func merge(_ outputs: [PartOutput<Scalar>], into evaluation: inout FieldEvaluation<Scalar>) {
    var merged = outputs[0]
    for o in outputs.dropFirst() {
      for b in merged.evaluation.blocks.indices {
        if merged.evaluation.blocks[b].rightBasis != nil {
          merged.evaluation.blocks[b].fTimesV += o.evaluation.blocks[b].fTimesV
        }
        if merged.evaluation.blocks[b].leftBasis != nil {
          merged.evaluation.blocks[b].fTransposeTimesU += o.evaluation.blocks[b].fTransposeTimesU
        }
      }
      // Whole-weight rates are also held by the parts' workspaces (``Workspace/weightRate``):
      // summed into new matrices, where `+=` would copy them first.
      for t in merged.rates.tucker.indices {
        merged.rates.tucker[t] = merged.rates.tucker[t] + o.rates.tucker[t]
      }
      for j in merged.rates.dense.indices { merged.rates.dense[j] = merged.rates.dense[j] + o.rates.dense[j] }
    }
    evaluation.blocks = merged.evaluation.blocks
    for (t, l) in tuckerLayers.enumerated() {
      evaluation.tensors[t].rate = Tensor(
        reshaping: merged.rates.tucker[t], dimensions: layers[l].kernelDimensions!)
    }
    if evaluation.wantsDenseRates { evaluation.denseRates = merged.rates.dense }
  }

  /// The rates of weighted layer l from its δ (`deltas[l]`, already multiplied by the
  /// activation's derivative) and its input, as `evaluation` requests them: bias and dense-weight
  /// rates into `rates`, a Tucker kernel's whole rate, a low-rank layer's `F·V` and `Fᵀ·U`.
  /// `weight` is the layer's weight in a pass that has just run forward (its `BᵀX` is then still
  /// in `projections[l]`); nil when serving a request from an earlier pass. `formsRate`: a
  /// factored weight's products with the bases are taken from the formed rate
  /// (``LowRankEvaluation/formedRate``).
  private func collectRates(
    _ l: Int, weight: LayerWeight<Scalar>?, formsRate: Bool, into evaluation: inout FieldEvaluation<Scalar>,
    rates: inout RateCollector<Scalar>, part: inout BatchPart<Scalar>
  ) {
    let layer = layers[l]
    let shape = layer.weightShape!
    let delta = part.workspace.deltas[l]
    // The affine map's input: the previous output, or a convolution's patch matrix; one
    // column per sample (affine) or per output pixel and sample (convolution).
    let input = part.workspace.affineInput(layer, l, features: part.features)
    let columns = input.columns
    if rates.wantsDense {
      // −∇_b = −δ·1.
      var rate = Matrix<Scalar>(rows: shape.rows, columns: 1)
      rate.formProduct(delta, part.workspace.ones(columns), alpha: -1)
      rates.dense[biasIndex(ofLayer: l)] = rate
      if let j = denseLayers.firstIndex(of: l) { rates.dense[j] = part.workspace.weightRate(l, input: input) }
    }
    if let t = tuckerLayers.firstIndex(of: l) {
      // The whole kernel rate (read as the order-4 kernel tensor when the parts are merged).
      rates.tucker[t] = part.workspace.weightRate(l, input: input)
    }
    guard let block = lowRankLayers.firstIndex(of: l) else { return }
    let v = evaluation.blocks[block].rightBasis
    let u = evaluation.blocks[block].leftBasis
    // A weight or rate formed in this pass, or a rate formed in the pass being served: the
    // products with the small −∇_W.
    let formed: Bool
    switch weight {
    case .dense: formed = true
    case nil: formed = part.workspace.hasWeightRate(l)
    default: formed = formsRate
    }
    if formed {
      guard v != nil || u != nil else { return }
      let rate = part.workspace.weightRate(l, input: input)
      if let v { evaluation.blocks[block].fTimesV = rate * v }
      if let u { evaluation.blocks[block].fTransposeTimesU = rate.transposedTimes(u) }
      return
    }
    if let v {
      // F·V = −δ·(Vᵀ·X)ᵀ. When V is the point's own B (the K-, S- and merged K/L requests), the
      // forward pass already computed BᵀX in `projections[l]` (δ propagation has not overwritten
      // it yet); `==` on the same storage is O(1).
      if case .factored(_, let b) = weight, b == v {
        evaluation.blocks[block].fTimesV = .product(
          delta, part.workspace.projections[l], opB: .transposed, alpha: -1)
      } else {
        part.workspace.scratch.reshapeIfNeeded(rows: v.columns, columns: columns)
        part.workspace.scratch.formProduct(v, input, opA: .transposed)
        evaluation.blocks[block].fTimesV = .product(
          delta, part.workspace.scratch, opB: .transposed, alpha: -1)
      }
    }
    if let u {
      // Fᵀ·U = −X·(Uᵀ·δ)ᵀ.
      part.workspace.scratch.reshapeIfNeeded(rows: u.columns, columns: columns)
      part.workspace.scratch.formProduct(u, delta, opA: .transposed)
      evaluation.blocks[block].fTransposeTimesU = .product(
        input, part.workspace.scratch, opB: .transposed, alpha: -1)
    }
  }

  /// What a pass asks of one low-rank layer, for the cost model of
  /// ``chosenEvaluation(layer:width:requests:batch:)``.
  public struct LowRankRequests: Sendable, Hashable {
    /// Columns of the requested right basis V (0: no `F·V`).
    public var right: Int
    /// Columns of the requested left basis U (0: no `Fᵀ·U`).
    public var left: Int
    /// Whether V is the point's own factor B, whose `BᵀX` the forward pass already formed.
    public var rightIsPointFactor: Bool
    /// Whether δ is propagated through the layer (every layer but the first).
    public var propagates: Bool
    /// Columns of the right basis of an announced request at the same point, which this pass's
    /// kept results will serve (`FieldEvaluation.Block.followUpRight`; 0: none announced).
    public var followUpRight: Int

    /// A description of one layer's requests.
    public init(right: Int, left: Int, rightIsPointFactor: Bool, propagates: Bool, followUpRight: Int = 0) {
      self.right = right
      self.left = left
      self.rightIsPointFactor = rightIsPointFactor
      self.propagates = propagates
      self.followUpRight = followUpRight
    }
  }

  /// How a pass over `batch` samples evaluates low-rank layer `l` at a point `A·Bᵀ` of `width`
  /// columns: ``lowRankEvaluation`` unless it is ``LowRankEvaluation/cheaper``, else the way
  /// (``LowRankEvaluation/factored``, ``LowRankEvaluation/formedRate`` or
  /// ``LowRankEvaluation/formed``) with the least cost below.
  ///
  /// The ways are compared by multiply-adds, with c the layer's columns (samples, times output
  /// pixels for a convolution), W rows×cols = m×n, k the width and p, q the widths of the
  /// requested bases:
  /// - factored: `c·k·(m+n)` forward, the same again to propagate δ, `c·p·(m+n)` for `F·V`
  ///   (`c·p·m` when V = B, whose `BᵀX` the forward pass kept) and `c·q·(m+n)` for `Fᵀ·U`;
  /// - formed: `m·n·k` to form W, `c·m·n` forward, again to propagate, once more for ∇_W if any
  ///   basis is requested, and `m·n·(p+q)` for the products with the bases;
  /// - formed rate: forward and propagation as factored, ∇_W and the products with the bases as
  ///   formed.
  ///
  /// An announced follow-up request with a right basis of p' columns (served later from what this
  /// pass keeps) adds `c·p'·(m+n)` to the factored way and `m·n·p'` to the others, which then
  /// form ∇_W even when this pass requests no basis.
  ///
  /// Each product also streams its c-column operands: every element of one read or written
  /// counts as ``streamedElementCost`` multiply-adds. A factored product `Bᵀ·X` streams
  /// `(n + k)·c` elements, `A·(BᵀX)` `(k + m)·c`; a formed `W·X` or `δ·Xᵀ` streams `(n + m)·c`.
  /// This makes the many thin products of the factored way (k, p, q columns) dearer than their
  /// multiply-adds alone, as measured (`dlrt-bench thin`).
  ///
  /// Ties go to the factored way, then to the formed rate. Copies, im2col and the optimizer cost
  /// the same either way.
  public func chosenEvaluation(
    layer l: Int, width k: Int, requests: LowRankRequests, batch: Int
  ) -> LowRankEvaluation {
    guard lowRankEvaluation == .cheaper else { return lowRankEvaluation }
    let shape = layers[l].weightShape!
    let (m, n) = (shape.rows, shape.columns)
    let c = batch * (layers[l].outputMaps?.pixels ?? 1)
    let s = Self.streamedElementCost
    let passes = requests.propagates ? 2 : 1
    let (p, q, later) = (requests.right, requests.left, requests.followUpRight)
    // Elements streamed per column by a pair of products through a basis of w columns.
    func through(_ w: Int) -> Int { w > 0 ? n + m + 2 * w : 0 }
    // Forward and propagation through the factors.
    let factoredPasses = c * passes * (k * (m + n) + s * through(k))
    let factored =
      factoredPasses
      + c
      * (p * (requests.rightIsPointFactor ? m : m + n) + (q + later) * (m + n)
        + s * ((requests.rightIsPointFactor && p > 0 ? m + p : through(p)) + through(q) + through(later)))
    // One product of c columns with the formed m×n matrix W or ∇_W.
    let formedProduct = c * (m * n + s * (m + n))
    // ∇_W when any basis is asked for now or later, and its products with the bases.
    let rate = (p + q + later > 0 ? formedProduct : 0) + m * n * (p + q + later)
    let formedRate = factoredPasses + rate
    let formed = passes * formedProduct + m * n * k + rate
    if factored <= Swift.min(formedRate, formed) { return .factored }
    return formedRate <= formed ? .formedRate : .formed
  }

  /// The multiply-adds that reading or writing one element of a product's many-column operand
  /// costs in the model of ``chosenEvaluation(layer:width:requests:batch:)``: `dlrt-bench thin` fits
  /// 11.7 for one OpenBLAS thread on this project's benchmark machine (Docs/Benchmarks.md).
  public static var streamedElementCost: Int { 12 }

  // MARK: Loss and prediction

  /// The mean cross-entropy on the current batch at `state`.
  /// - Throws: ``TrainingError/nonFiniteLoss``.
  public mutating func loss(at state: LowRankState<Scalar>) throws(TrainingError) -> Double {
    precondition(!labels.isEmpty, "Network.loss: no batch; call setBatch first")
    let (weights, biases) = layerParameters(state, batch: parts.map(\.labels.count).max()!)
    passLoss = nil
    let total = labels.count
    let loss = runParts { network, part in
      network.forwardLoss(weights: weights, biases: biases, total: total, part: &part).loss
    }.reduce(0, +)
    guard loss.isFinite else { throw .nonFiniteLoss }
    return loss
  }

  /// The logits (classes×n) of the n samples (columns) of `features` at `state`.
  public func logits(features: Matrix<Scalar>, state: LowRankState<Scalar>) -> Matrix<Scalar> {
    precondition(features.rows == inputs, "Network.logits: features \(features.shape), \(inputs) inputs")
    var ws = Workspace<Scalar>(layerCount: layers.count)
    let (weights, biases) = layerParameters(state, batch: features.columns)
    ws.forward(layers, input: features, weights: weights, biases: biases)
    return ws.outputs[layers.count - 1]
  }

  /// The predicted class (argmax of the logits; the first on ties) of each sample, computed
  /// `chunk` samples at a time (fewer when a chunk's forward workspace would exceed 2²⁴ entries,
  /// as for convolutions; ``forwardEntriesPerSample``). With ``batchParts`` > 1 the chunks are
  /// shared out over as many threads, each with one workspace; the chunks are the same for any
  /// number of parts, so the predictions are too.
  public func predictions(features: Matrix<Scalar>, state: LowRankState<Scalar>, chunk: Int = 2000) -> [Int] {
    precondition(features.rows == inputs, "Network.predictions: features \(features.shape), \(inputs) inputs")
    let n = features.columns
    let size = Swift.max(1, Swift.min(chunk, (1 << 24) / forwardEntriesPerSample))
    let (weights, biases) = layerParameters(state, batch: Swift.min(size, n))
    let chunks = Array(stride(from: 0, to: n, by: size))
    let jobs = Swift.max(1, Swift.min(batchParts, chunks.count))
    var result = [Int](repeating: 0, count: n)
    let layers = self.layers
    result.withUnsafeMutableBufferPointer { result in
      // Job j writes only the predictions of its own chunks.
      nonisolated(unsafe) let result = result
      _ = concurrentMap(jobs, threads: jobs) { job in
        var workspace = Workspace<Scalar>(layerCount: layers.count)
        for c in stride(from: job, to: chunks.count, by: jobs) {
          let range = chunks[c]..<Swift.min(chunks[c] + size, n)
          let block = range.count == n ? features : Matrix(features.columns(range))
          workspace.forward(layers, input: block, weights: weights, biases: biases)
          let z = workspace.outputs[layers.count - 1]
          z.withUnsafeBufferPointer { p in
            Scalar.argmaxColumns(p, rows: z.rows, into: UnsafeMutableBufferPointer(rebasing: result[range]))
          }
        }
      }
    }
    return result
  }

  /// The fraction of samples whose predicted class is the label (0 for no samples), in chunks of
  /// at most `chunk` samples (``predictions(features:state:chunk:)``).
  public func accuracy(
    features: Matrix<Scalar>, labels: [Int], state: LowRankState<Scalar>, chunk: Int = 2000
  ) -> Double {
    precondition(
      features.columns == labels.count, "accuracy: \(features.columns) samples, \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = predictions(features: features, state: state, chunk: chunk)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  // MARK: Internals

  private func checkLayout(blocks: Int, tuckers: Int, dense: Int) {
    precondition(
      blocks == lowRankLayers.count && tuckers == tuckerLayers.count && dense == denseParameterCount,
      "Network: got \(blocks) blocks, \(tuckers) Tucker blocks and \(dense) dense parameters; the network has "
        + "\(lowRankLayers.count) low-rank layers, \(tuckerLayers.count) Tucker layers and "
        + "\(denseParameterCount) dense parameters")
  }

  /// Per layer, the weight (`.none` without one) and the bias (empty without one), from the
  /// low-rank weights in block order and the dense parameters in the layout of ``Network``.
  private func layerParameters(
    blocks: [LayerWeight<Scalar>], tuckers: [Tensor<Scalar>], dense: [Matrix<Scalar>]
  ) -> ([LayerWeight<Scalar>], [Matrix<Scalar>]) {
    var weights = [LayerWeight<Scalar>](repeating: .none, count: layers.count)
    var biases = [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: layers.count)
    for (b, l) in lowRankLayers.enumerated() {
      if case .factored(let a, let bb) = blocks[b] {
        let shape = layers[l].weightShape!
        precondition(
          a.rows == shape.rows && bb.rows == shape.columns,
          "Network: block \(b) is A \(a.shape), B \(bb.shape) for a \(shape) weight of layer \(l)")
      }
      weights[l] = blocks[b]
    }
    for (t, l) in tuckerLayers.enumerated() {
      let shape = layers[l].weightShape!
      precondition(
        tuckers[t].dimensions == layers[l].kernelDimensions!,
        "Network: Tucker block \(t) has dimensions \(tuckers[t].dimensions) for layer \(l)")
      weights[l] = .dense(tuckers[t].matrix(rows: shape.rows))
    }
    for (j, l) in denseLayers.enumerated() { weights[l] = .dense(dense[j]) }
    for (i, l) in weightedLayers.enumerated() { biases[l] = dense[denseLayers.count + i] }
    return (weights, biases)
  }

  /// The parameters of a state for a forward pass without requests over `batch` samples.
  private func layerParameters(
    _ state: LowRankState<Scalar>, batch: Int
  ) -> ([LayerWeight<Scalar>], [Matrix<Scalar>]) {
    checkLayout(blocks: state.blocks.count, tuckers: state.tuckers.count, dense: state.dense.count)
    let none = LowRankRequests(right: 0, left: 0, rightIsPointFactor: false, propagates: false)
    return layerParameters(
      blocks: zip(lowRankLayers, state.blocks).map { l, y in
        chosenEvaluation(layer: l, width: y.rank, requests: none, batch: batch) == .formed
          ? .dense(y.dense()) : .factored(a: y.u * y.s, b: y.v)
      },
      tuckers: state.tuckers.map { $0.dense() },
      dense: state.dense)
  }
}

/// The dense rates of one evaluation, filled layer by layer.
struct RateCollector<Scalar: BLASScalar> {
  let wantsDense: Bool
  var dense: [Matrix<Scalar>]
  /// The whole rate of each Tucker kernel, as its `rows × patchSize` matrix.
  var tucker: [Matrix<Scalar>]

  init(network: Network<some NetworkScalar>, wantsDense: Bool) {
    self.wantsDense = wantsDense
    let empty = Matrix<Scalar>(rows: 0, columns: 0)
    dense = wantsDense ? Array(repeating: empty, count: network.denseParameterCount) : []
    tucker = Array(repeating: empty, count: network.tuckerLayers.count)
  }
}

/// What one part of a batch contributes to an evaluation.
struct PartOutput<Scalar: BLASScalar> {
  /// The request with this part's products filled in.
  var evaluation: FieldEvaluation<Scalar>
  var rates: RateCollector<Scalar>
  /// The part's share of the batch loss.
  var loss: Double
  var correct: Int
}

/// One part of a batch (``Network/batchParts``) with the buffers of its passes.
struct BatchPart<Scalar: NetworkScalar> {
  var features: Matrix<Scalar>
  var labels: [Int] = []
  var workspace: Workspace<Scalar>

  init(layerCount: Int) {
    features = Matrix(rows: 0, columns: 0)
    workspace = Workspace(layerCount: layerCount)
  }
}

/// A layer's weight at one evaluation: dense, or `A·Bᵀ` (never formed); `none` for layers
/// without weights.
enum LayerWeight<Scalar: BLASScalar> {
  case none
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
  /// Post-activation outputs, per layer: out×batch for affine and flatten layers, channels ×
  /// (pixels·batch) for convolution and pooling (the last holds the logits).
  var outputs: [Matrix<Scalar>]
  /// `Bᵀ·X` (k×columns) of low-rank layers in the forward pass, `Aᵀ·δ` in the backward pass.
  var projections: [Matrix<Scalar>]
  /// ∂𝓛/∂(pre-activation), per layer, shaped like ``outputs``.
  var deltas: [Matrix<Scalar>]
  /// The im2col patch matrix of each convolution layer's input (empty for other layers).
  var patches: [Matrix<Scalar>]
  /// For each pooling layer, the input index of each output's maximum.
  var argmax: [[Int]]
  /// `−∇_W = −δ·Xᵀ` per weighted layer, valid where ``hasWeightRate(_:)`` (formed at most once
  /// per pass, on first use).
  private var weightRates: [Matrix<Scalar>]
  private var weightRateFormed: [Bool]
  /// `Wᵀ·δ` of a convolution for one chunk of samples (patchSize × their columns), before col2im.
  var patchGradient = Matrix<Scalar>(rows: 0, columns: 0)
  /// `Vᵀ·X` or `Uᵀ·δ`.
  var scratch = Matrix<Scalar>(rows: 0, columns: 0)
  /// A column of ones, as long as the most columns seen, for bias broadcasts and gradients.
  private var onesColumn = Matrix<Scalar>(rows: 0, columns: 0)
  /// Predicted classes of the last forward pass.
  var predicted: [Int] = []

  init(layerCount: Int) {
    let empty = Matrix<Scalar>(rows: 0, columns: 0)
    outputs = Array(repeating: empty, count: layerCount)
    projections = Array(repeating: empty, count: layerCount)
    deltas = Array(repeating: empty, count: layerCount)
    patches = Array(repeating: empty, count: layerCount)
    argmax = Array(repeating: [], count: layerCount)
    weightRates = Array(repeating: empty, count: layerCount)
    weightRateFormed = Array(repeating: false, count: layerCount)
  }

  /// Whether layer l's `−∇_W` has been formed since the last forward pass.
  func hasWeightRate(_ l: Int) -> Bool { weightRateFormed[l] }

  /// Layer l's `−∇_W = −δ·Xᵀ` (rows of δ × rows of X) at the last forward pass, formed on the
  /// first call after it; `input` is the layer's affine input X.
  mutating func weightRate(_ l: Int, input: Matrix<Scalar>) -> Matrix<Scalar> {
    if !weightRateFormed[l] {
      // A new matrix: the previous pass's rate may still be held by its caller.
      weightRates[l] = .product(deltas[l], input, opB: .transposed, alpha: -1)
      weightRateFormed[l] = true
    }
    return weightRates[l]
  }

  /// The first `count` entries of a column of ones (count×1).
  mutating func ones(_ count: Int) -> MatrixView<Scalar> {
    if onesColumn.rows < count { onesColumn.reshape(rows: count, columns: 1, repeating: 1) }
    return onesColumn.block(rows: 0..<count, columns: 0..<1)
  }

  /// The input of layer l's affine map: its patch matrix (convolution) or the previous output.
  func affineInput(_ layer: Layer, _ l: Int, features x: Matrix<Scalar>) -> Matrix<Scalar> {
    if case .convolution = layer.operation { return patches[l] }
    return l == 0 ? x : outputs[l - 1]
  }

  /// The forward pass `Y_l = act(layer_l(Y_{l−1}))` into ``outputs``.
  mutating func forward(
    _ layers: [Layer], input x: Matrix<Scalar>, weights: [LayerWeight<Scalar>], biases: [Matrix<Scalar>]
  ) {
    let batch = x.columns
    for l in weightRateFormed.indices { weightRateFormed[l] = false }
    for (l, layer) in layers.enumerated() {
      let input = l == 0 ? x : outputs[l - 1]
      switch layer.operation {
      case .affine:
        affine(l, input: input, weight: weights[l], bias: biases[l])
      case .convolution(let c):
        patches[l].reshapeIfNeeded(rows: c.patchSize, columns: c.output.pixels * batch)
        input.withUnsafeBufferPointer { xp in
          patches[l].withUnsafeMutableBufferPointer { Scalar.im2col(xp, c, batch: batch, into: $0) }
        }
        affine(l, input: patches[l], weight: weights[l], bias: biases[l])
      case .maxPool(let p):
        outputs[l].reshapeIfNeeded(rows: p.output.channels, columns: p.output.pixels * batch)
        argmax[l].reshapeIfNeeded(count: p.output.count * batch)
        input.withUnsafeBufferPointer { xp in
          outputs[l].withUnsafeMutableBufferPointer { yp in
            argmax[l].withUnsafeMutableBufferPointer {
              Scalar.maxPool(xp, p, batch: batch, into: yp, argmax: $0)
            }
          }
        }
      case .flatten(let maps):
        outputs[l].reshapeIfNeeded(rows: maps.count, columns: batch)
        Self.copy(input, into: &outputs[l])
      }
      layer.activation.apply(&outputs[l])
    }
  }

  /// `outputs[l] = W·X + b·1ᵀ` (before the activation), X in×columns.
  private mutating func affine(
    _ l: Int, input: Matrix<Scalar>, weight: LayerWeight<Scalar>, bias: Matrix<Scalar>
  ) {
    let columns = input.columns
    outputs[l].reshapeIfNeeded(rows: bias.rows, columns: columns)
    // Broadcast the bias (b·1ᵀ, a rank-1 GEMM), then accumulate the product with β = 1.
    precondition(bias.columns == 1, "layer \(l): bias \(bias.shape)")
    let onesView = ones(columns)
    outputs[l].formProduct(bias, onesView, opB: .transposed)
    switch weight {
    case .dense(let w):
      outputs[l].formProduct(w, input, beta: 1)
    case .factored(let a, let b):
      projections[l].reshapeIfNeeded(rows: a.columns, columns: columns)
      projections[l].formProduct(b, input, opA: .transposed)
      outputs[l].formProduct(a, projections[l], beta: 1)
    case .none:
      preconditionFailure("layer \(l) has no weight")
    }
  }

  /// ∂𝓛/∂(input of layer l) into `deltas[l − 1]`, from `deltas[l]` (already multiplied by the
  /// activation's derivative): `Wᵀ·δ` (through col2im for a convolution), the max-pooling
  /// scatter, or a copy for flattening. A convolution's patch gradient is formed for as many
  /// samples at a time as fit in `chunkEntries` entries (at least one).
  mutating func backward(_ layer: Layer, _ l: Int, weight: LayerWeight<Scalar> = .none, chunkEntries: Int) {
    let delta = deltas[l]
    let shape = outputs[l - 1].shape
    deltas[l - 1].reshapeIfNeeded(rows: shape.rows, columns: shape.columns)
    switch layer.operation {
    case .affine:
      Self.formTransposedProduct(weight, delta, into: &deltas[l - 1], projection: &projections[l])
    case .convolution(let c):
      // A few samples at a time, so that each chunk of the patch gradient `Wᵀ·δ` is still in
      // cache when col2im folds it back, instead of the whole patchSize × columns matrix
      // (8 MB for LeNet5's conv2 on 64 samples) going out to memory and back.
      let (pixels, samples) = (c.output.pixels, delta.columns / c.output.pixels)
      let chunk = Swift.min(samples, Swift.max(1, chunkEntries / (c.patchSize * pixels)))
      patchGradient.reshapeIfNeeded(rows: c.patchSize, columns: chunk * pixels)
      var first = 0
      while first < samples {
        let count = Swift.min(chunk, samples - first)
        let columns = (first * pixels)..<((first + count) * pixels)
        Self.formTransposedProduct(
          weight, delta, columns: columns, into: &patchGradient, projection: &projections[l])
        patchGradient.withUnsafeBufferPointer { pp in
          deltas[l - 1].withUnsafeMutableBufferPointer { dp in
            let inputs = c.input.count
            Scalar.col2im(
              UnsafeBufferPointer(rebasing: pp[0..<(c.patchSize * columns.count)]), c, batch: count,
              into: UnsafeMutableBufferPointer(rebasing: dp[(first * inputs)..<((first + count) * inputs)]))
          }
        }
        first += count
      }
    case .maxPool:
      delta.withUnsafeBufferPointer { dp in
        argmax[l].withUnsafeBufferPointer { ap in
          deltas[l - 1].withUnsafeMutableBufferPointer { Scalar.maxPoolBackward(dp, argmax: ap, into: $0) }
        }
      }
    case .flatten:
      Self.copy(delta, into: &deltas[l - 1])
    }
  }

  /// `target = Wᵀ·δ`; for `W = A·Bᵀ` as `B·(Aᵀ·δ)` with `Aᵀ·δ` in `projection`. With `columns`,
  /// only those columns of δ, into the first as many columns of `target` (and into the same
  /// columns of `projection`, which keeps δ's shape).
  private static func formTransposedProduct(
    _ weight: LayerWeight<Scalar>, _ delta: Matrix<Scalar>, columns: Range<Int>? = nil,
    into target: inout Matrix<Scalar>, projection: inout Matrix<Scalar>
  ) {
    let columns = columns ?? 0..<delta.columns
    let (source, written) = (delta.columns(columns), 0..<columns.count)
    switch weight {
    case .dense(let w):
      target.formProduct(w, source, opA: .transposed, columns: written)
    case .factored(let a, let b):
      projection.reshapeIfNeeded(rows: a.columns, columns: delta.columns)
      projection.formProduct(a, source, opA: .transposed, columns: columns)
      target.formProduct(b, projection.columns(columns), columns: written)
    case .none:
      preconditionFailure("Wᵀ·δ of a layer without weight")
    }
  }

  /// Copies the entries of `source` into `target` (same count, any shapes: a reshape).
  private static func copy(_ source: Matrix<Scalar>, into target: inout Matrix<Scalar>) {
    precondition(
      source.rows * source.columns == target.rows * target.columns,
      "copy: \(source.shape) into \(target.shape)")
    source.withUnsafeBufferPointer { s in
      target.withUnsafeMutableBufferPointer { t in
        guard let from = s.baseAddress, let to = t.baseAddress else { return }
        UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: s.count * MemoryLayout<Scalar>.stride)
      }
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
