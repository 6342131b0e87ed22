import MatrixManifold

/// The state an integrator advances: low-rank blocks `Y_b = U_b·S_b·V_bᵀ` and dense parameters.
public struct LowRankState<Scalar: BLASScalar>: Sendable, Equatable {
  /// The low-rank blocks (one for a matrix ODE, one per low-rank layer for a network).
  public var blocks: [LowRankMatrix<Scalar>]
  /// Dense parameters evolved alongside (empty for matrix ODEs).
  public var dense: [Matrix<Scalar>]

  /// A state of factored blocks and dense parameters.
  public init(blocks: [LowRankMatrix<Scalar>], dense: [Matrix<Scalar>] = []) {
    self.blocks = blocks
    self.dense = dense
  }

  /// A single-block state.
  public init(_ y: LowRankMatrix<Scalar>) { self.init(blocks: [y]) }

  /// The ranks of the blocks.
  public var ranks: [Int] { blocks.map(\.rank) }

  /// Whether every factor and dense parameter is finite.
  public var isFinite: Bool {
    blocks.allSatisfy { $0.u.isFinite && $0.s.isFinite && $0.v.isFinite } && dense.allSatisfy(\.isFinite)
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
