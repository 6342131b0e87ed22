import Foundation
import MatrixManifold

/// The elementwise nonlinearity applied after a layer's affine map.
public enum Activation: String, Codable, Sendable, Hashable, CaseIterable {
  /// `max(0, z)`; its derivative is taken as 0 at z = 0.
  case relu
  /// `tanh(z)`.
  case tanh
  /// `z` (used for the classifier layer, whose outputs are logits).
  case identity
}

/// One layer of a sequential network; samples are columns.
///
/// A layer only describes shapes and kind: its parameters live in the integrator's
/// `LowRankState` (see ``Network`` for the layout). Affine and convolution layers have a weight
/// matrix and a bias: `Y = act(W·X + b)`, where for a convolution X is the im2col patch matrix
/// (see ``Convolution``). A low-rank layer's weight is kept factored as `W = U·S·Vᵀ` (U rows×r,
/// V columns×r) and trained by dynamical low-rank training (Schotthöfer et al., "Low-rank
/// lottery tickets", NeurIPS 2022); its bias stays dense. Pooling and flattening have no
/// parameters.
public struct Layer: Sendable, Hashable {
  /// How the weight matrix is stored.
  public enum Kind: Sendable, Hashable {
    /// A dense weight (also the kind of layers without weights).
    case dense
    /// A factored weight `U·S·Vᵀ` of the given (initial) rank, at most the smaller side of W.
    case lowRank(rank: Int)
    /// A convolution kernel in Tucker format (TDLRT) with the given (initial) multilinear ranks,
    /// one per mode of ``Layer/kernelDimensions``, each at most that mode's size.
    case tucker(ranks: [Int])
  }

  /// What the layer computes.
  public enum Operation: Sendable, Hashable {
    /// `W·X + b` on feature vectors, W outputs×inputs.
    case affine(inputs: Int, outputs: Int)
    /// A 2-D convolution with a bias per output channel; W is `outputChannels × patchSize`.
    case convolution(Convolution)
    /// Max pooling of each map.
    case maxPool(MaxPooling)
    /// Feature maps read as plain feature vectors (the memory stays as it is, see ``FeatureMaps``).
    case flatten(FeatureMaps)
  }

  /// What the layer computes.
  public var operation: Operation
  /// Dense or factored weight (`.dense` for layers without weights).
  public var kind: Kind
  /// The nonlinearity after the layer (the identity for pooling and flattening).
  public var activation: Activation

  /// A layer; shapes must be positive, geometries valid (``Convolution/validate()``,
  /// ``MaxPooling/validate()``) and a low-rank rank in `1...min(weight rows, weight columns)`.
  public init(operation: Operation, kind: Kind = .dense, activation: Activation = .identity) {
    self.operation = operation
    self.kind = kind
    self.activation = activation
    do {
      switch operation {
      case .convolution(let c): try c.validate()
      case .maxPool(let p): try p.validate()
      case .affine, .flatten: break
      }
    } catch {
      preconditionFailure("Layer: \(error)")
    }
    let weight = weightShape
    precondition(
      inputs > 0 && outputs > 0 && (weight.map { $0.rows > 0 && $0.columns > 0 } ?? true),
      "Layer: \(operation) has an empty shape")
    if case .lowRank(let r) = kind {
      precondition(weight != nil, "Layer: \(operation) has no weight to factorise")
      let limit = Swift.min(weight!.rows, weight!.columns)
      precondition(r >= 1 && r <= limit, "Layer: rank \(r) not in 1...\(limit)")
    }
    if case .tucker(let ranks) = kind {
      guard let dims = kernelDimensions else {
        preconditionFailure("Layer: Tucker format needs a convolution")
      }
      precondition(
        ranks.count == dims.count && zip(ranks, dims).allSatisfy { $0 >= 1 && $0 <= $1 },
        "Layer: Tucker ranks \(ranks) for a kernel of dimensions \(dims)")
    }
  }

  /// An affine layer `act(W·X + b)`, W out×in.
  public init(inputs: Int, outputs: Int, kind: Kind, activation: Activation) {
    self.init(operation: .affine(inputs: inputs, outputs: outputs), kind: kind, activation: activation)
  }

  /// A dense layer `act(W·X + b)`, W out×in.
  public static func dense(_ inputs: Int, _ outputs: Int, activation: Activation = .identity) -> Layer {
    Layer(inputs: inputs, outputs: outputs, kind: .dense, activation: activation)
  }

  /// A low-rank layer `act(U·S·Vᵀ·X + b)` of the given rank.
  public static func lowRank(_ inputs: Int, _ outputs: Int, rank: Int, activation: Activation = .identity)
    -> Layer
  {
    Layer(inputs: inputs, outputs: outputs, kind: .lowRank(rank: rank), activation: activation)
  }

  /// A convolution layer, dense or with a factored `outputChannels × patchSize` kernel matrix.
  public static func convolution(
    _ geometry: Convolution, kind: Kind = .dense, activation: Activation = .identity
  )
    -> Layer
  {
    Layer(operation: .convolution(geometry), kind: kind, activation: activation)
  }

  /// A max-pooling layer.
  public static func maxPool(_ geometry: MaxPooling) -> Layer { Layer(operation: .maxPool(geometry)) }

  /// A flattening layer: the maps become feature vectors for an affine layer.
  public static func flatten(_ maps: FeatureMaps) -> Layer { Layer(operation: .flatten(maps)) }

  /// Features per sample going in.
  public var inputs: Int {
    switch operation {
    case .affine(let inputs, _): inputs
    case .convolution(let c): c.input.count
    case .maxPool(let p): p.input.count
    case .flatten(let maps): maps.count
    }
  }

  /// Features per sample coming out.
  public var outputs: Int {
    switch operation {
    case .affine(_, let outputs): outputs
    case .convolution(let c): c.output.count
    case .maxPool(let p): p.output.count
    case .flatten(let maps): maps.count
    }
  }

  /// The maps the layer reads, for convolution, pooling and flattening; nil for affine layers.
  public var inputMaps: FeatureMaps? {
    switch operation {
    case .affine: nil
    case .convolution(let c): c.input
    case .maxPool(let p): p.input
    case .flatten(let maps): maps
    }
  }

  /// The maps the layer writes (convolution, pooling); nil when it writes feature vectors.
  public var outputMaps: FeatureMaps? {
    switch operation {
    case .affine, .flatten: nil
    case .convolution(let c): c.output
    case .maxPool(let p): p.output
    }
  }

  /// The shape of the weight matrix W (outputs×inputs, or output channels × patch size for a
  /// convolution); nil for layers without weights.
  public var weightShape: Shape? {
    switch operation {
    case .affine(let inputs, let outputs): Shape(rows: outputs, columns: inputs)
    case .convolution(let c): Shape(rows: c.outputChannels, columns: c.patchSize)
    case .maxPool, .flatten: nil
    }
  }

  /// The kernel of a convolution as an order-4 tensor, `[output channels, input channels,
  /// kernel columns, kernel rows]`: the memory of the kernel matrix W read with these dimensions
  /// (`W[o, c + C·(j + kw·i)]` is entry (o, c, j, i)). Nil for other layers.
  public var kernelDimensions: [Int]? {
    guard case .convolution(let c) = operation else { return nil }
    return [c.outputChannels, c.input.channels, c.kernelWidth, c.kernelHeight]
  }

  /// Whether the layer has a weight and a bias.
  public var hasWeight: Bool { weightShape != nil }

  /// Whether the weight is factored as a matrix `U·S·Vᵀ`.
  public var isLowRank: Bool {
    if case .lowRank = kind { return true }
    return false
  }

  /// Whether the kernel is a Tucker tensor.
  public var isTucker: Bool {
    if case .tucker = kind { return true }
    return false
  }

  /// The half-width `1/√fan_in` of PyTorch's default initialisation of `nn.Linear` and
  /// `nn.Conv2d` (Kaiming-uniform with a = √5), used for dense weights and all biases:
  /// entries ~ U(−1/√fan_in, 1/√fan_in), fan_in = the columns of W (in, or in·kh·kw).
  public var initBound: Double { 1 / Double(weight.columns).squareRoot() }

  private var weight: Shape {
    guard let shape = weightShape else { preconditionFailure("Layer: \(operation) has no weight") }
    return shape
  }

  /// A dense weight drawn like PyTorch: W ~ U(−1/√fan_in, 1/√fan_in), of ``weightShape``.
  public func initialDenseWeight<Scalar: BLASScalar>(using generator: inout some RandomNumberGenerator)
    -> Matrix<Scalar>
  {
    let a = Scalar(initBound)
    return Matrix.uniform(rows: weight.rows, columns: weight.columns, in: -a...a, using: &generator)
  }

  /// A bias drawn like PyTorch: b ~ U(−1/√fan_in, 1/√fan_in), one entry per row of W.
  public func initialBias<Scalar: BLASScalar>(using generator: inout some RandomNumberGenerator)
    -> Matrix<Scalar>
  {
    let a = Scalar(initBound)
    return Matrix.uniform(rows: weight.rows, columns: 1, in: -a...a, using: &generator)
  }

  /// A random factored weight of rank `r`, drawn as `initialization` says (see
  /// ``LowRankInitialization``).
  ///
  /// ``LowRankInitialization/spectral``, the default, is the best rank-r approximation (truncated
  /// SVD) of a dense weight drawn like ``initialDenseWeight(using:)``: the layer starts with the
  /// r largest singular values of a dense PyTorch-initialised layer, so signals keep the scale of
  /// a dense network (a deep ReLU network whose low-rank layers started smaller would pass almost
  /// nothing forward, and DLRT's relative truncation would shrink the rank before anything is
  /// learned). The cost is one SVD per layer, once.
  public func initialFactors<Scalar: BLASScalar>(
    rank r: Int, initialization: LowRankInitialization = .spectral,
    using generator: inout some RandomNumberGenerator
  )
    -> LowRankMatrix<Scalar>
  {
    precondition(r >= 1 && r <= Swift.min(weight.rows, weight.columns), "rank \(r) for a \(weight) weight")
    switch initialization {
    case .halfNormal:
      let u = Matrix<Scalar>.randomOrthonormal(rows: weight.rows, columns: r, using: &generator)
      let v = Matrix<Scalar>.randomOrthonormal(rows: weight.columns, columns: r, using: &generator)
      let draws = (0..<Swift.min(weight.rows, weight.columns)).map { _ in
        Swift.abs(Scalar.standardNormal(using: &generator))
      }
      let s = Matrix<Scalar>.diagonal(Array(draws.sorted(by: >).prefix(r)))
      // Orthonormal bases and a square core of matching size: the factorisation is valid.
      guard let y = try? LowRankMatrix(u: u, s: s, v: v) else {
        fatalError("random factors of rank \(r) rejected")
      }
      return y
    case .spectral:
      let w: Matrix<Scalar> = initialDenseWeight(using: &generator)
      // A finite uniform matrix and a valid rank: the SVD and the policy cannot fail.
      guard let policy = try? TruncationPolicy.fixedRank(r),
        let y = try? LowRankMatrix(truncating: w, policy: policy)
      else {
        fatalError("truncated SVD of a finite initial weight failed")
      }
      return y
    }
  }
}

extension Layer {
  /// A random Tucker kernel with the given multilinear ranks: the HOSVD truncation of a dense
  /// kernel drawn like ``initialDenseWeight(using:)``, the Tucker analogue of
  /// ``initialFactors(rank:initialization:using:)``. Ranks that exceed the product of the others are reduced
  /// (see `TuckerTensor.truncate(core:factors:policies:)`).
  public func initialTucker<Scalar: BLASScalar>(
    ranks: [Int], using generator: inout some RandomNumberGenerator
  )
    -> TuckerTensor<Scalar>
  {
    guard let dims = kernelDimensions else { preconditionFailure("Layer: \(operation) has no kernel tensor") }
    let w: Matrix<Scalar> = initialDenseWeight(using: &generator)
    // A finite uniform kernel and valid ranks: the SVDs and the policies cannot fail.
    guard let policies = try? ranks.map({ r throws(MatrixError) in try TruncationPolicy.fixedRank(r) }),
      let y = try? TuckerTensor(truncating: Tensor(reshaping: w, dimensions: dims), policies: policies)
    else {
      fatalError("HOSVD of a finite initial kernel failed")
    }
    return y
  }
}

extension Activation {
  /// Applies the activation in place.
  func apply<Scalar: NetworkScalar>(_ z: inout Matrix<Scalar>) {
    switch self {
    case .identity: return
    case .relu: z.withUnsafeMutableBufferPointer { Scalar.relu($0) }
    case .tanh: z.withUnsafeMutableBufferPointer { Scalar.tanh($0) }
    }
  }

  /// `δ ← δ ⊙ act′(z)`, with the derivative expressed through the output `y = act(z)`.
  func multiplyByDerivative<Scalar: NetworkScalar>(_ delta: inout Matrix<Scalar>, output y: Matrix<Scalar>) {
    precondition(delta.shape == y.shape, "activation derivative: δ \(delta.shape), output \(y.shape)")
    switch self {
    case .identity: return
    case .relu:
      y.withUnsafeBufferPointer { yp in
        delta.withUnsafeMutableBufferPointer { Scalar.reluBackward($0, output: yp) }
      }
    case .tanh:
      y.withUnsafeBufferPointer { yp in
        delta.withUnsafeMutableBufferPointer { Scalar.tanhBackward($0, output: yp) }
      }
    }
  }
}

/// How a low-rank layer's random initial factors `U·S·Vᵀ` (rank r, weight n×m) are drawn.
public enum LowRankInitialization: String, Codable, Sendable, CaseIterable {
  /// The best rank-r approximation of a dense weight drawn like PyTorch's `nn.Linear` /
  /// `nn.Conv2d` (``Layer/initialFactors(rank:initialization:using:)``); at full rank exactly
  /// that dense weight.
  case spectral
  /// U and V Haar-random with orthonormal columns, S diagonal with the r largest of min(n, m)
  /// independent |N(0, 1)| draws, in descending order: the DLRT reference implementation's
  /// initialisation. Its weights are about 1.7 times larger (root mean square) than PyTorch's
  /// for LeNet5's layers.
  case halfNormal = "half-normal"
}
