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

/// One affine layer `Y = act(W·X + b)` of a sequential network; samples are columns of X.
///
/// A layer only describes shapes and kind: its parameters live in the integrator's
/// `LowRankState` (see ``Network`` for the layout). A low-rank layer's weight is kept factored as
/// `W = U·S·Vᵀ` (U out×r, V in×r) and trained by dynamical low-rank training (Schotthöfer et
/// al., "Low-rank lottery tickets", NeurIPS 2022); its bias stays dense.
public struct Layer: Sendable, Hashable {
  /// How the weight matrix is stored.
  public enum Kind: Sendable, Hashable {
    /// A dense out×in weight.
    case dense
    /// A factored weight `U·S·Vᵀ` of the given (initial) rank, `1 ≤ rank ≤ min(in, out)`.
    case lowRank(rank: Int)
  }

  /// Number of input features (columns of W).
  public var inputs: Int
  /// Number of outputs (rows of W).
  public var outputs: Int
  /// Dense or factored weight.
  public var kind: Kind
  /// The nonlinearity after the affine map.
  public var activation: Activation

  /// A layer; the shapes must be positive and a low-rank rank in `1...min(inputs, outputs)`.
  public init(inputs: Int, outputs: Int, kind: Kind, activation: Activation) {
    precondition(inputs > 0 && outputs > 0, "Layer: shape \(outputs)×\(inputs) must be positive")
    if case .lowRank(let r) = kind {
      precondition(
        r >= 1 && r <= Swift.min(inputs, outputs), "Layer: rank \(r) not in 1...\(Swift.min(inputs, outputs))"
      )
    }
    self.inputs = inputs
    self.outputs = outputs
    self.kind = kind
    self.activation = activation
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

  /// Whether the weight is factored.
  public var isLowRank: Bool {
    if case .lowRank = kind { return true }
    return false
  }

  /// The half-width `1/√in` of PyTorch's `nn.Linear` default initialisation (Kaiming-uniform
  /// with a = √5), used for dense weights and all biases: entries ~ U(−1/√in, 1/√in).
  public var initBound: Double { 1 / Double(inputs).squareRoot() }

  /// A dense weight drawn like PyTorch `nn.Linear`: W ~ U(−1/√in, 1/√in), out×in.
  public func initialDenseWeight<Scalar: BLASScalar>(using generator: inout some RandomNumberGenerator)
    -> Matrix<Scalar>
  {
    let a = Scalar(initBound)
    return Matrix.uniform(rows: outputs, columns: inputs, in: -a...a, using: &generator)
  }

  /// A bias drawn like PyTorch `nn.Linear`: b ~ U(−1/√in, 1/√in), out×1.
  public func initialBias<Scalar: BLASScalar>(using generator: inout some RandomNumberGenerator)
    -> Matrix<Scalar>
  {
    let a = Scalar(initBound)
    return Matrix.uniform(rows: outputs, columns: 1, in: -a...a, using: &generator)
  }

  /// A random factored weight of rank `r`: the best rank-r approximation (truncated SVD) of a
  /// dense weight drawn like ``initialDenseWeight(using:)`` ("spectral initialisation").
  ///
  /// The layer then starts with the r largest singular values of a dense PyTorch-initialised
  /// layer, so signals keep the scale of a dense network (a deep ReLU network whose low-rank
  /// layers started smaller would pass almost nothing forward, and DLRT's relative truncation
  /// would shrink the rank before anything is learned). The cost is one SVD per layer, once.
  public func initialFactors<Scalar: BLASScalar>(
    rank r: Int, using generator: inout some RandomNumberGenerator
  )
    -> LowRankMatrix<Scalar>
  {
    precondition(r >= 1 && r <= Swift.min(inputs, outputs), "rank \(r) for a \(outputs)×\(inputs) layer")
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
