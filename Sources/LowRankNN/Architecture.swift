/// A network architecture a training configuration names: fully connected by widths, or LeNet5.
///
/// Stored in result files and checkpoints: a fully-connected architecture as its array of widths
/// (the format of files written before convolutions existed, which therefore still load), LeNet5
/// as the string `"lenet5"`.
public enum Architecture: Sendable, Hashable, Codable, ExpressibleByArrayLiteral, CustomStringConvertible {
  /// Affine layers between consecutive widths, input first, classes last.
  case fullyConnected([Int])
  /// LeNet5 of the DLRT paper's MNIST experiment (Schotthöfer et al., NeurIPS 2022), for 28×28
  /// grey images and 10 classes: conv 1→20 (5×5), act, max pool 2, conv 20→50 (5×5), act, max
  /// pool 2, flatten (800), affine 800→500, act, affine 500→10.
  case lenet5

  /// A fully-connected architecture from its widths.
  public init(arrayLiteral widths: Int...) { self = .fullyConnected(widths) }

  /// Parses `lenet5` or widths joined by `-` such as `784-500-10`.
  /// - Throws: ``TrainingError/invalidConfiguration(_:)`` for anything else.
  public init(parsing text: String) throws(TrainingError) {
    if text == "lenet5" {
      self = .lenet5
      return
    }
    let widths = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
    guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else {
      throw .invalidConfiguration(
        "architecture must be lenet5 or widths joined by '-', such as 784-500-10; got \(text)")
    }
    self = .fullyConnected(widths.map { $0! })
  }

  /// `lenet5`, or the widths joined by `-`.
  public var description: String {
    switch self {
    case .fullyConnected(let widths): widths.map(String.init).joined(separator: "-")
    case .lenet5: "lenet5"
    }
  }

  /// Features per sample the network takes.
  public var inputs: Int {
    switch self {
    case .fullyConnected(let widths): widths.first ?? 0
    case .lenet5: 28 * 28
    }
  }

  /// Number of classes (outputs of the last layer).
  public var classes: Int {
    switch self {
    case .fullyConnected(let widths): widths.last ?? 0
    case .lenet5: 10
    }
  }

  /// Throws ``TrainingError/invalidConfiguration(_:)`` unless the layers can be built: at least two
  /// positive widths, and at least two classes.
  public func validate() throws(TrainingError) {
    if case .fullyConnected(let widths) = self {
      guard widths.count >= 2, widths.allSatisfy({ $0 >= 1 }) else {
        throw .invalidConfiguration("architecture needs at least two positive widths, got \(widths)")
      }
    }
    guard classes >= 2 else {
      throw .invalidConfiguration("the last width is the number of classes and must be ≥ 2")
    }
  }

  /// The layers. Every layer but the classifier (the last, identity activation, dense) uses
  /// `activation`; with a `startRank` every hidden affine layer is low-rank with rank
  /// `min(startRank, ceiling)` (the ``RankCeiling`` of its weight's shape), as in the DLRT
  /// reference implementation, and every convolution likewise (`.matrix`) or as a Tucker kernel
  /// with ranks `min(startRank, mode size)` per mode (`.tucker`).
  /// - Precondition: ``validate()`` passes and `startRank` (if any) is positive.
  public func layers(
    startRank: Int?, activation: Activation, convolutions: ConvolutionFormat = .matrix,
    rankCeiling: RankCeiling = .full
  ) -> [Layer] {
    precondition(startRank.map { $0 >= 1 } ?? true, "Architecture: start rank \(startRank!) must be positive")
    func kind(_ rows: Int, _ columns: Int) -> Layer.Kind {
      startRank.map { .lowRank(rank: Swift.min($0, rankCeiling.limit(rows: rows, columns: columns))) }
        ?? .dense
    }
    func convolution(_ c: Convolution) -> Layer {
      let layer = Layer.convolution(c, kind: kind(c.outputChannels, c.patchSize), activation: activation)
      guard let startRank, convolutions == .tucker, let dims = layer.kernelDimensions else { return layer }
      return .convolution(
        c, kind: .tucker(ranks: dims.map { Swift.min(startRank, $0) }), activation: activation)
    }
    switch self {
    case .fullyConnected(let widths):
      precondition(widths.count >= 2, "Architecture: \(widths) needs at least two widths")
      let count = widths.count - 1
      return (0..<count).map { i in
        let (n, m) = (widths[i], widths[i + 1])
        return i == count - 1
          ? .dense(n, m) : Layer(inputs: n, outputs: m, kind: kind(m, n), activation: activation)
      }
    case .lenet5:
      let conv1 = Convolution(
        input: FeatureMaps(channels: 1, height: 28, width: 28), outputChannels: 20, kernel: 5)
      let pool1 = MaxPooling(input: conv1.output, size: 2)
      let conv2 = Convolution(input: pool1.output, outputChannels: 50, kernel: 5)
      let pool2 = MaxPooling(input: conv2.output, size: 2)
      return [
        convolution(conv1),
        .maxPool(pool1),
        convolution(conv2),
        .maxPool(pool2),
        .flatten(pool2.output),
        Layer(
          inputs: pool2.output.count, outputs: 500, kind: kind(500, pool2.output.count),
          activation: activation),
        .dense(500, 10),
      ]
    }
  }

  /// Decodes an array of widths or the string `lenet5`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let widths = try? container.decode([Int].self) {
      self = .fullyConnected(widths)
      return
    }
    let name = try container.decode(String.self)
    guard name == "lenet5" else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "unknown architecture \(name); expected lenet5 or an array of widths"
      )
    }
    self = .lenet5
  }

  /// Encodes widths as an array, LeNet5 as `lenet5`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .fullyConnected(let widths): try container.encode(widths)
    case .lenet5: try container.encode("lenet5")
    }
  }
}

/// How the low-rank convolutions of a network store their kernels.
public enum ConvolutionFormat: String, Codable, Sendable, CaseIterable {
  /// The kernel reshaped to the `out × (in·kh·kw)` matrix W, factored `U·S·Vᵀ` and trained by the
  /// matrix BUG integrators (the DLRT paper's low-rank convolutions).
  case matrix
  /// The kernel as an order-4 Tucker tensor (one factor per mode of ``Layer/kernelDimensions``),
  /// trained by the Tucker BUG integrators with rank adaptation per mode (TDLRT: Zangrando,
  /// Schotthöfer, Ceruti, Kusch & Tudisco, "Geometry-aware training of factorized layers in
  /// tensor Tucker format", NeurIPS 2024).
  case tucker
}

/// The largest rank a low-rank matrix layer may take, given its weight's shape n×m (for a
/// convolution `out × (in·kh·kw)`).
public enum RankCeiling: String, Codable, Sendable, CaseIterable {
  /// `min(n, m)`: any rank the weight can have.
  case full
  /// `max(1, ⌊min(n, m)/2⌋)`: the ceiling of the DLRT reference implementation (its `rmax`),
  /// under which the augmented bases (rank 2r) never exceed the weight's size.
  case half

  /// The ceiling for an n×m weight.
  public func limit(rows: Int, columns: Int) -> Int {
    switch self {
    case .full: Swift.min(rows, columns)
    case .half: Swift.max(1, Swift.min(rows, columns) / 2)
    }
  }
}
