import Foundation
import LowRankIntegrators
import LowRankNN
import MatrixManifold
import TestSupport
import Testing

@Suite("Tucker convolutions")
struct TuckerConvolutionTests {
  /// Two convolutions (the second one with stride and padding) and a classifier; `kind` is the
  /// format of the second convolution, whose kernel has dimensions [4, 3, 3, 2].
  private func layers(_ kind: Layer.Kind) -> [Layer] {
    let c1 = Convolution(input: FeatureMaps(channels: 1, height: 7, width: 6), outputChannels: 3, kernel: 2)
    let c2 = Convolution(
      input: c1.output, outputChannels: 4, kernelHeight: 2, kernelWidth: 3, stride: 2, padding: 1)
    return [
      .convolution(c1, activation: .relu), .convolution(c2, kind: kind, activation: .tanh),
      .flatten(c2.output), .dense(c2.output.count, 3),
    ]
  }

  /// The kernel tensor is the kernel matrix's memory read as `[out, in, kw, kh]`: entry
  /// (o, c, j, i) is `W[o, c + C·(j + kw·i)]`, the layout of `Convolution`.
  @Test("the kernel tensor's modes are output channel, input channel, kernel column, kernel row")
  func kernelTensorLayout() throws {
    let layer = layers(.dense)[1]
    #expect(layer.kernelDimensions == [4, 3, 3, 2])
    var g = testGenerator(80)
    let w: Matrix<Double> = layer.initialDenseWeight(using: &g)
    let kernel = Tensor(reshaping: w, dimensions: layer.kernelDimensions!)
    for (o, c, j, i) in [(0, 0, 0, 0), (3, 2, 2, 1), (1, 2, 0, 1), (2, 1, 1, 0)] {
      #expect(kernel.unfolding(mode: 0)[o, c + 3 * (j + 3 * i)] == w[o, c + 3 * (j + 3 * i)])
      // Mode-1 unfolding: row c, column o + 4·(j + 3·i).
      #expect(kernel.unfolding(mode: 1)[c, o + 4 * (j + 3 * i)] == w[o, c + 3 * (j + 3 * i)])
    }
  }

  /// At full multilinear ranks a Tucker kernel is the dense kernel: same logits, same loss,
  /// and the Tucker block's rate is the dense layer's `−∇_W` read as a tensor (the dense rate is
  /// checked against finite differences in `ConvolutionTests`).
  /// With the Tucker network's batch in 1 or 3 parts (the parts' rates summed).
  @Test(
    "a Tucker convolution at full ranks equals the dense convolution, and its rate is −∇W",
    arguments: [1, 3])
  func fullRanksEqualDense(parts: Int) throws {
    var g = testGenerator(81)
    var dense = Network<Double>(layers: layers(.dense))
    var tucker = Network<Double>(layers: layers(.tucker(ranks: [4, 3, 3, 2])))
    tucker.batchParts = parts
    #expect(tucker.tuckerLayers == [1] && tucker.lowRankLayers.isEmpty && tucker.denseLayers == [0, 3])
    let (weights, biases) = randomParameters(dense, using: &g)
    let denseState = try dense.state(weights: weights, biases: biases)
    let tuckerState = try tucker.state(weights: weights, biases: biases)
    #expect(tuckerState.tuckerRanks == [[4, 3, 3, 2]])
    // HOSVD at full ranks reproduces the kernel up to rounding of the SVDs.
    #expect(maxDifference(tucker.weights(of: tuckerState)[1], weights[1]) < 1e-13)
    let (x, labels) = randomBatch(inputs: dense.inputs, classes: 3, batch: 5, using: &g)
    #expect(
      maxDifference(
        dense.logits(features: x, state: denseState), tucker.logits(features: x, state: tuckerState))
        < 1e-12)
    try dense.setBatch(features: x, labels: labels)
    try tucker.setBatch(features: x, labels: labels)
    var ed = FieldEvaluation<Double>(time: 0, blocks: [], dense: denseState.dense, wantsDenseRates: true)
    try dense.evaluate(&ed)
    var et = FieldEvaluation<Double>(
      time: 0, blocks: [], tensors: [.init(point: tuckerState.tuckers[0].dense())], dense: tuckerState.dense,
      wantsDenseRates: true)
    try tucker.evaluate(&et)
    #expect(Swift.abs(ed.objective! - et.objective!) < 1e-12)
    // dense: [W0, W1, W3, b0, b1, b3]; Tucker: [W0, W3, b0, b1, b3] and the kernel rate.
    for (d, t) in [(0, 0), (2, 1), (3, 2), (4, 3), (5, 4)] {
      #expect(maxDifference(ed.denseRates[d], et.denseRates[t]) < 1e-12, "rate \(d) vs \(t)")
    }
    #expect(et.tensors[0].rate.dimensions == [4, 3, 3, 2])
    #expect(maxDifference(et.tensors[0].rate.matrix(rows: 4), ed.denseRates[1]) < 1e-12)
  }

  /// A small LeNet-like network with Tucker convolutions trained by rank-adaptive DLRT with
  /// Adam (projected state through the Tucker K- and core steps) on a generated learnable 28×28
  /// problem (4 classes, chance 25%): ≥ 90% test accuracy on a fresh sample after 8 epochs of 256
  /// samples, every mode rank within its bounds, then frozen-bases fine-tuning keeps the ranks.
  @Test("a LeNet-like network with Tucker convolutions learns with rank-adaptive DLRT")
  func learnsWithTuckerConvolutions() throws {
    let c1 = Convolution(input: FeatureMaps(channels: 1, height: 28, width: 28), outputChannels: 6, kernel: 5)
    let p1 = MaxPooling(input: c1.output, size: 2)
    let c2 = Convolution(input: p1.output, outputChannels: 12, kernel: 5)
    let p2 = MaxPooling(input: c2.output, size: 2)
    let network = Network<Float>(layers: [
      .convolution(c1, kind: .tucker(ranks: [6, 1, 5, 5]), activation: .relu), .maxPool(p1),
      .convolution(c2, kind: .tucker(ranks: [8, 6, 5, 5]), activation: .relu), .maxPool(p2),
      .flatten(p2.output),
      .lowRank(p2.output.count, 32, rank: 16, activation: .relu), .dense(32, 4),
    ])
    var c = TrainingConfiguration()
    (c.mode, c.tau, c.startRank, c.maxRank) = (.adaptive, 0.1, 16, 32)
    (c.optimizer, c.learningRate, c.batchSize, c.convolutions) = (.adam, 0.002, 32, .tucker)
    var g = testGenerator(82)
    var trainer = try Trainer<Float>(
      configuration: c, network: network, state: network.initialState(using: &g))
    #expect(trainer.state.tuckerRanks == [[6, 1, 5, 5], [8, 6, 5, 5]])
    let train = synthetic(features: 784, classes: 4, count: 256, seed: 83)
    let test = synthetic(features: 784, classes: 4, count: 128, seed: 83, noiseSeed: 1)
    func epoch(_ trainer: inout Trainer<Float>) throws {
      for start in stride(from: 0, to: 256, by: 32) {
        _ = try trainer.step(
          features: Matrix(train.x.columns(start..<start + 32)),
          labels: Array(train.labels[start..<start + 32]))
      }
    }
    for _ in 0..<8 { try epoch(&trainer) }
    let accuracy = trainer.accuracy(features: test.x, labels: test.labels)
    let ranks = trainer.state.tuckerRanks
    #expect(accuracy >= 0.9, "test accuracy \(accuracy), Tucker ranks \(ranks)")
    #expect(ranks.count == 2)
    for (r, bound) in zip(ranks, [[6, 1, 5, 5], [12, 6, 5, 5]]) {
      #expect(zip(r, bound).allSatisfy { $0 >= 1 && $0 <= $1 }, "ranks \(r), bounds \(bound)")
      let product = r.reduce(1, *)
      #expect(r.allSatisfy { $0 * $0 <= product }, "ranks \(r): each at most the product of the others")
    }
    let counts = trainer.parameterCounts
    let expectedEvaluation =
      trainer.state.tuckers.reduce(0) { $0 + $1.parameterCount } + trainer.state.blocks[0].rank * (192 + 32)
      + 32 * 4
    #expect(counts.evaluation == expectedEvaluation)

    var frozen = c
    frozen.mode = .frozen
    var fineTuner = try Trainer<Float>(configuration: frozen, network: trainer.network, state: trainer.state)
    try epoch(&fineTuner)
    #expect(fineTuner.state.tuckerRanks == ranks)
    #expect(fineTuner.state.tuckers.map(\.factors) == trainer.state.tuckers.map(\.factors))
    #expect(fineTuner.state.tuckers.map(\.core) != trainer.state.tuckers.map(\.core))
  }

  /// LeNet5 with Tucker convolutions: ranks capped per mode, checkpoints round-trip exactly,
  /// and a checkpoint whose Tucker kernels do not fit its configuration is a typed error.
  @Test("LeNet5 with Tucker convolutions: ranks, checkpoints, bad input")
  func lenet5Checkpoint() throws {
    var c = TrainingConfiguration()
    (c.architecture, c.mode, c.startRank, c.convolutions) = (.lenet5, .adaptive, 8, .tucker)
    let trainer = try Trainer<Float>(configuration: c)
    #expect(trainer.network.tuckerLayers == [0, 2] && trainer.network.lowRankLayers == [5])
    #expect(trainer.state.tuckerRanks == [[8, 1, 5, 5], [8, 8, 5, 5]])
    #expect(trainer.state.ranks == [8])
    try checkCheckpointRoundTrip(
      c, trainer.state,
      corruptions: [
        ("swapped", { $0.tuckers!.swapAt(0, 1) }),
        ("missing", { $0.tuckers = nil }),
        ("matrix", { $0.configuration.convolutions = .matrix }),
        ("short core", { $0.tuckers![0].core.removeLast() }),
      ])
    var vanilla = c
    vanilla.mode = .vanilla
    #expect(throws: TrainingError.self) { try vanilla.validate() }
  }
}
