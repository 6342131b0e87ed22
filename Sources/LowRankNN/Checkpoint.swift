import Foundation
import LowRankIntegrators
import MatrixManifold

/// A trained network on disk: the configuration, the weights (low-rank factors and dense
/// parameters) and what was measured when it was saved. JSON; Float values round-trip exactly
/// (shortest representation), so a reloaded network computes the same outputs.
public struct Checkpoint: Codable, Sendable {
  /// A stored matrix (column-major).
  public struct StoredMatrix: Codable, Sendable, Equatable {
    /// Number of rows.
    public var rows: Int
    /// Number of columns.
    public var columns: Int
    /// The entries, column-major.
    public var elements: [Float]
  }

  /// A stored `U·S·Vᵀ`.
  public struct StoredLowRank: Codable, Sendable, Equatable {
    /// The left basis U.
    public var u: StoredMatrix
    /// The core S.
    public var s: StoredMatrix
    /// The right basis V.
    public var v: StoredMatrix
  }

  /// A stored Tucker tensor: core (dimensions and entries, first index fastest) and factors.
  public struct StoredTucker: Codable, Sendable, Equatable {
    /// The core's dimensions (the multilinear ranks).
    public var coreDimensions: [Int]
    /// The core's entries.
    public var core: [Float]
    /// One factor per mode.
    public var factors: [StoredMatrix]
  }

  /// Identifies the file kind.
  public var format = "dlrt-checkpoint"
  /// Format version.
  public var version = 1
  /// The configuration the network was trained with.
  public var configuration: TrainingConfiguration
  /// The low-rank weights, in the layout of `Network`.
  public var blocks: [StoredLowRank]
  /// The Tucker kernels, in the layout of `Network` (absent in files without Tucker layers).
  public var tuckers: [StoredTucker]?
  /// The dense weights and the biases, in the layout of `Network`.
  public var dense: [StoredMatrix]
  /// Epochs trained when saved.
  public var epochs: Int
  /// Test accuracy when saved, if measured.
  public var testAccuracy: Double?

  /// A checkpoint of `state` (Float weights).
  public init(
    configuration: TrainingConfiguration, state: LowRankState<Float>, epochs: Int, testAccuracy: Double?
  ) {
    func store(_ m: Matrix<Float>) -> StoredMatrix {
      StoredMatrix(rows: m.rows, columns: m.columns, elements: m.elements)
    }
    self.configuration = configuration
    self.blocks = state.blocks.map { StoredLowRank(u: store($0.u), s: store($0.s), v: store($0.v)) }
    self.tuckers =
      state.tuckers.isEmpty
      ? nil
      : state.tuckers.map {
        StoredTucker(coreDimensions: $0.ranks, core: $0.core.elements, factors: $0.factors.map(store))
      }
    self.dense = state.dense.map(store)
    self.epochs = epochs
    self.testAccuracy = testAccuracy
  }

  /// Writes the checkpoint atomically (temporary file, then rename), creating its directory: an
  /// interrupted or failed save leaves the previous file intact.
  /// - Throws: ``TrainingError/unwritableCheckpoint(path:reason:)``.
  public func write(to url: URL) throws(TrainingError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
      let data = try encoder.encode(self)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: url, options: .atomic)
    } catch {
      throw .unwritableCheckpoint(path: url.path, reason: error.localizedDescription)
    }
  }

  /// Reads and checks a checkpoint.
  /// - Throws: ``TrainingError/unreadableCheckpoint(path:reason:)`` when the file is missing,
  ///   not a checkpoint, of another version, or its weights do not fit its configuration.
  public static func read(from url: URL) throws(TrainingError) -> Checkpoint {
    let path = url.path
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw .unreadableCheckpoint(
        path: path, reason: "the file cannot be read (\(error.localizedDescription))")
    }
    let checkpoint: Checkpoint
    do { checkpoint = try JSONDecoder().decode(Checkpoint.self, from: data) } catch {
      throw .unreadableCheckpoint(path: path, reason: "not a valid checkpoint (\(error))")
    }
    guard checkpoint.format == "dlrt-checkpoint", checkpoint.version == 1 else {
      throw .unreadableCheckpoint(
        path: path,
        reason: "format \(checkpoint.format) version \(checkpoint.version) is not dlrt-checkpoint version 1")
    }
    do { try checkpoint.configuration.validate() } catch {
      throw .unreadableCheckpoint(path: path, reason: "its configuration is invalid: \(error)")
    }
    _ = try checkpoint.restore(path: path)  // shapes and finiteness
    return checkpoint
  }

  /// The network and weights stored in the checkpoint.
  public func restore() throws(TrainingError) -> (network: Network<Float>, state: LowRankState<Float>) {
    try restore(path: "checkpoint")
  }

  private func restore(path: String) throws(TrainingError) -> (
    network: Network<Float>, state: LowRankState<Float>
  ) {
    func fail(_ reason: String) -> TrainingError { .unreadableCheckpoint(path: path, reason: reason) }
    func load(_ m: StoredMatrix) throws(TrainingError) -> Matrix<Float> {
      guard let matrix = try? Matrix(rows: m.rows, columns: m.columns, elements: m.elements) else {
        throw fail("a stored \(m.rows)×\(m.columns) matrix has \(m.elements.count) entries")
      }
      guard matrix.isFinite else { throw fail("the weights contain NaN or infinity") }
      return matrix
    }
    let c = configuration
    let network = Network<Float>(
      architecture: c.architecture, mode: c.mode == .dense ? .dense : .lowRank(startRank: c.startRank),
      activation: c.activation, convolutions: c.convolutions ?? .matrix, rankCeiling: c.rankCeiling ?? .full)
    let storedTuckers = tuckers ?? []
    guard storedTuckers.count == network.tuckerLayers.count else {
      throw fail("\(storedTuckers.count) Tucker kernels for a network with \(network.tuckerLayers.count)")
    }
    guard blocks.count == network.lowRankLayers.count, dense.count == network.denseParameterCount else {
      throw fail(
        "\(blocks.count) low-rank and \(dense.count) dense parameters for a network with \(network.lowRankLayers.count) and \(network.denseParameterCount)"
      )
    }
    var lowRank: [LowRankMatrix<Float>] = []
    for (b, stored) in blocks.enumerated() {
      let shape = network.layers[network.lowRankLayers[b]].weightShape!
      let (u, s, v) = (try load(stored.u), try load(stored.s), try load(stored.v))
      guard u.rows == shape.rows, v.rows == shape.columns, let y = try? LowRankMatrix(u: u, s: s, v: v) else {
        throw fail(
          "low-rank layer \(b) has factors U \(u.shape), S \(s.shape), V \(v.shape) for a \(shape) weight")
      }
      lowRank.append(y)
    }
    var tensors: [TuckerTensor<Float>] = []
    for (t, stored) in storedTuckers.enumerated() {
      let dims = network.layers[network.tuckerLayers[t]].kernelDimensions!
      var factors: [Matrix<Float>] = []
      for f in stored.factors { factors.append(try load(f)) }
      guard let core = try? Tensor(dimensions: stored.coreDimensions, elements: stored.core),
        factors.map(\.rows) == dims, let y = try? TuckerTensor(core: core, factors: factors)
      else {
        throw fail(
          "Tucker kernel \(t) has core \(stored.coreDimensions) (\(stored.core.count) entries) and factors "
            + "\(factors.map(\.shape)) for a kernel of dimensions \(dims), or non-finite entries")
      }
      tensors.append(y)
    }
    var denseMatrices: [Matrix<Float>] = []
    for stored in dense { denseMatrices.append(try load(stored)) }
    for (j, l) in network.denseLayers.enumerated() {
      let shape = network.layers[l].weightShape!
      guard denseMatrices[j].shape == shape else {
        throw fail("dense layer \(l) has a \(denseMatrices[j].shape) weight for a \(shape) layer")
      }
    }
    for l in network.weightedLayers {
      let bias = denseMatrices[network.biasIndex(ofLayer: l)].shape
      guard bias == Shape(rows: network.layers[l].weightShape!.rows, columns: 1) else {
        throw fail("layer \(l) has a bias of shape \(bias)")
      }
    }
    return (network, LowRankState(blocks: lowRank, tuckers: tensors, dense: denseMatrices))
  }
}
