import LowRankIntegrators
import MatrixManifold

/// Trains a ``Network`` batch by batch with dynamical low-rank training (Schotthöfer et al.,
/// "Low-rank lottery tickets", NeurIPS 2022): each batch is one step of an integrator of
/// `LowRankIntegrators` with step size h = learning rate and the chosen optimizer as substep
/// solver. Modes: `dense` (no low-rank layers), `fixed` (`BUG`), `adaptive` (`AdaptiveBUG`),
/// the baseline `vanilla` (`FactorGradientFlow`: the optimizer on the factors of `A·Bᵀ`), and
/// `frozen` (`FrozenBasesGalerkin`: only the cores S and the dense layers train).
///
/// One adaptive step costs two forward/backward passes: one for all K- and L-steps and the dense
/// parameters, one for all S-steps in the augmented bases; then every hidden layer is truncated.
/// With ``TrainingConfiguration/singlePass`` the S-steps are served from the first pass and the
/// dense parameters move with them: one pass per batch.
public struct Trainer<Scalar: NetworkScalar> {
  /// The run's configuration.
  public let configuration: TrainingConfiguration
  /// The network (architecture, current batch, workspaces).
  public private(set) var network: Network<Scalar>
  /// Weights: low-rank blocks and dense parameters in the layout of ``Network``.
  public private(set) var state: LowRankState<Scalar>
  /// Batches trained so far.
  public private(set) var steps = 0
  /// Parts each batch is split into, evaluated concurrently (``Network/batchParts``; a speed
  /// setting: results equal up to rounding). Default 1.
  public var batchParts: Int {
    get { network.batchParts }
    set { network.batchParts = newValue }
  }
  private var integrator: any LowRankIntegrator<Scalar>

  /// A trainer with freshly initialised weights (seeded by the configuration).
  /// - Throws: ``TrainingError/invalidConfiguration(_:)``.
  public init(configuration: TrainingConfiguration) throws(TrainingError) {
    try configuration.validate()
    var generator = SplitMix64(seed: configuration.seed)
    let network = Network<Scalar>(
      architecture: configuration.architecture, mode: Self.mode(configuration),
      activation: configuration.activation, convolutions: configuration.convolutions ?? .matrix,
      rankCeiling: configuration.rankCeiling ?? .full)
    try self.init(
      configuration: configuration, network: network,
      state: network.initialState(lowRank: configuration.initialization ?? .spectral, using: &generator))
  }

  /// A trainer that continues from given weights (a checkpoint, a compressed dense network); the
  /// network takes the configuration's rank ceiling.
  public init(
    configuration: TrainingConfiguration, network: Network<Scalar>, state: LowRankState<Scalar>
  ) throws(TrainingError) {
    try configuration.validate()
    self.configuration = configuration
    self.network = network
    self.network.rankCeiling = configuration.rankCeiling ?? .full
    self.state = state
    self.integrator = try Self.makeIntegrator(configuration)
  }

  private static func mode(_ c: TrainingConfiguration) -> Network<Scalar>.Mode {
    c.mode == .dense ? .dense : .lowRank(startRank: c.startRank)
  }

  private static func makeIntegrator(_ c: TrainingConfiguration) throws(TrainingError)
    -> any LowRankIntegrator<Scalar>
  {
    switch c.optimizer {
    case .sgd: return try integrator(c, SGD<Scalar>())
    case .momentum:
      return try integrator(c, Momentum<Scalar>(momentum: c.momentum, state: c.optimizerState ?? .project))
    case .adam: return try integrator(c, Adam<Scalar>(state: c.optimizerState ?? .project))
    }
  }

  private static func integrator<S: SubstepSolver<Scalar>>(
    _ c: TrainingConfiguration, _ solver: S
  ) throws(TrainingError) -> any LowRankIntegrator<Scalar> {
    switch c.mode {
    case .dense, .fixed: return BUG(solver: solver)
    case .vanilla: return FactorGradientFlow(solver: solver)
    case .frozen: return FrozenBasesGalerkin(solver: solver)
    case .adaptive:
      do {
        return AdaptiveBUG(
          solver: solver, truncation: try .relative(c.tau, minRank: c.minRank ?? 1, maxRank: c.maxRank),
          movesDenseWithGalerkinStep: c.singlePass ?? false)
      } catch {
        throw .invalidConfiguration("truncation: \(error)")
      }
    }
  }

  /// What one training step measured.
  public struct StepResult: Sendable {
    /// The batch loss of the step's last pass.
    public var loss: Double
    /// Correctly classified samples of the batch in that pass.
    public var correct: Int
    /// Samples in the batch.
    public var count: Int
    /// Ranks of the low-rank layers after the step.
    public var ranks: [Int]
    /// Multilinear ranks of the Tucker convolutions after the step.
    public var tuckerRanks: [[Int]]
  }

  /// Trains on one batch (features in×n, n labels).
  /// - Throws: ``TrainingError`` for a bad batch or a NaN/Inf loss; the weights are then those
  ///   before the step.
  public mutating func step(features: Matrix<Scalar>, labels: [Int]) throws -> StepResult {
    try network.setBatch(features: features, labels: labels)
    var next = state
    let report: StepReport
    do {
      report = try integrator.step(
        &next, field: &network, from: Double(steps) * configuration.learningRate,
        by: configuration.learningRate)
    } catch let error as TrainingError {
      throw error
    } catch is IntegratorError {
      throw TrainingError.nonFiniteLoss
    } catch MatrixError.nonFinite {
      throw TrainingError.nonFiniteLoss
    }
    state = next
    steps += 1
    return StepResult(
      loss: report.objective ?? .nan, correct: network.lastEvaluationCorrect, count: labels.count,
      ranks: state.ranks, tuckerRanks: state.tuckerRanks)
  }

  /// Accuracy of the current weights on a labelled set, in chunks of at most `chunk` samples
  /// (see ``Network/predictions(features:state:chunk:)``).
  public func accuracy(features: Matrix<Scalar>, labels: [Int], chunk: Int = 2000) -> Double {
    network.accuracy(features: features, labels: labels, state: state, chunk: chunk)
  }

  /// Parameter counts at the current ranks (reference definitions, see ``ParameterCounts``).
  public var parameterCounts: ParameterCounts {
    var full = 0, evaluation = 0, training = 0
    var block = 0
    var tucker = 0
    for layer in network.layers {
      guard let shape = layer.weightShape else { continue }
      let (n, m) = (shape.columns, shape.rows)
      full += n * m
      if layer.isTucker {
        let y = state.tuckers[tucker]
        tucker += 1
        evaluation += y.parameterCount
        training += Self.tuckerTrainingCount(y, mode: configuration.mode)
      } else if layer.isLowRank {
        let r = state.blocks[block].rank
        block += 1
        evaluation += r * (n + m)
        switch configuration.mode {
        case .adaptive: training += 4 * r * (n + m) + 8 * r * r
        case .vanilla: training += 2 * r * (n + m)
        case .frozen: training += r * (n + m) + 2 * r * r
        case .dense, .fixed: training += 2 * r * (n + m) + 3 * r * r
        }
      } else {
        evaluation += n * m
        training += n * m
      }
    }
    return ParameterCounts(full: full, evaluation: evaluation, training: training)
  }

  /// Numbers held while training a Tucker kernel (see ``ParameterCounts``).
  private static func tuckerTrainingCount(_ y: TuckerTensor<Scalar>, mode: TrainingConfiguration.Mode) -> Int
  {
    let (n, r) = (y.dimensions, y.ranks)
    let factors = zip(n, r).reduce(0) { $0 + $1.0 * $1.1 }
    let core = r.reduce(1, *)
    // V_k = (⊗_{j≠k} U_j)·Q_k, (∏_{j≠k} n_j) × r_k per mode.
    let total = n.reduce(1, *)
    var kronecker = 0
    for k in n.indices { kronecker += total / n[k] * r[k] }
    switch mode {
    case .adaptive:
      // U_k, K_k, Û_k (n_k × 2r_k), V_k; the core and the augmented core (∏ 2r_k).
      var augmentedCore = 1
      for k in n.indices { augmentedCore *= Swift.min(2 * r[k], n[k]) }
      return 4 * factors + kronecker + core + augmentedCore
    case .frozen: return factors + 2 * core
    case .dense, .fixed, .vanilla: return 3 * factors + kronecker + 2 * core
    }
  }
}
