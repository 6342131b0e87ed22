import MatrixManifold

/// The state an integrator advances: low-rank blocks `Y_b = U_b·S_b·V_bᵀ` and dense parameters.
public struct LowRankState<Scalar: BLASScalar>: Sendable, Equatable {
  /// The low-rank blocks (one for a matrix ODE, one per low-rank layer for a network).
  public var blocks: [LowRankMatrix<Scalar>]
  /// Tucker blocks `Y_t = C_t ×ₖ U_{t,k}` (for a network, one per Tucker convolution), evolved
  /// by ``BUG``, ``AdaptiveBUG`` and ``FrozenBasesGalerkin``; the other integrators take matrix
  /// blocks only.
  public var tuckers: [TuckerTensor<Scalar>]
  /// Dense parameters evolved alongside (empty for matrix ODEs).
  public var dense: [Matrix<Scalar>]

  /// A state of factored blocks, Tucker blocks and dense parameters.
  public init(
    blocks: [LowRankMatrix<Scalar>], tuckers: [TuckerTensor<Scalar>] = [], dense: [Matrix<Scalar>] = []
  ) {
    self.blocks = blocks
    self.tuckers = tuckers
    self.dense = dense
  }

  /// A single-Tucker-block state.
  public init(_ y: TuckerTensor<Scalar>) { self.init(blocks: [], tuckers: [y]) }

  /// A single-block state.
  public init(_ y: LowRankMatrix<Scalar>) { self.init(blocks: [y]) }

  /// The ranks of the blocks.
  public var ranks: [Int] { blocks.map(\.rank) }

  /// The multilinear ranks of the Tucker blocks.
  public var tuckerRanks: [[Int]] { tuckers.map(\.ranks) }

  /// Whether every factor and dense parameter is finite.
  public var isFinite: Bool {
    blocks.allSatisfy { $0.u.isFinite && $0.s.isFinite && $0.v.isFinite } && dense.allSatisfy(\.isFinite)
      && tuckers.allSatisfy { $0.core.isFinite && $0.factors.allSatisfy(\.isFinite) }
  }
}

/// What one integrator step did.
public struct StepReport: Sendable {
  /// Block ranks after the step.
  public var ranks: [Int]
  /// Singular values of each block after the step (the kept ones), descending.
  public var singularValues: [[Double]]
  /// Per block, the Frobenius norm discarded by truncation (0 without truncation).
  public var discardedNorm: [Double]
  /// Number of field evaluations in the step.
  public var evaluations: Int
  /// The last objective the field reported (for training, a batch loss), if any.
  public var objective: Double?
  /// Multilinear ranks of the Tucker blocks after the step.
  public var tuckerRanks: [[Int]] = []
}

/// Errors of integration that a user can cause.
public enum IntegratorError: Error, Sendable, CustomStringConvertible {
  /// The state became NaN or infinite.
  case nonFinite(time: Double)
  /// A configuration value is out of range.
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .nonFinite(let t):
      "the solution became NaN or infinite at t = \(t); reduce the step size, or check the vector field"
    case .invalidArgument(let message): "invalid argument: \(message)"
    }
  }
}
