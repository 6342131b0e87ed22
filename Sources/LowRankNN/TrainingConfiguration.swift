import MatrixManifold

/// Everything that determines a training run; stored in result files and checkpoints.
///
/// Defaults follow the fully-connected MNIST experiment of Schotthöfer et al., "Low-rank lottery
/// tickets" (NeurIPS 2022) and its reference implementation: 784-500-500-500-500-10 with ReLU,
/// rank-adaptive DLRT with τ = 0.1, start rank 150, maximal rank 250, batch 256, Adam with
/// learning rate 10⁻³ (the reference trains 250 epochs; the default here is 10).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
  /// How the hidden layers are trained.
  public enum Mode: String, Codable, Sendable, CaseIterable {
    /// Plain dense training of every layer.
    case dense
    /// Hidden layers at a fixed rank (``startRank``), fixed-rank BUG.
    case fixed
    /// Hidden layers factorised as `W = A·Bᵀ` at rank ``startRank`` and trained by the optimizer
    /// directly on A and B (`FactorGradientFlow`): the "vanilla" low-rank baseline.
    case vanilla
    /// Hidden layers keep their bases U, V; only the cores S and the dense layers are trained
    /// (`FrozenBasesGalerkin`): the fine-tuning phase after rank-adaptive training or after
    /// compressing a trained network.
    case frozen
    /// Hidden layers with ranks chosen by the rank-adaptive BUG and relative tolerance ``tau``.
    case adaptive
  }

  /// The substep solver, i.e. the optimizer.
  public enum Optimizer: String, Codable, Sendable, CaseIterable {
    /// Plain SGD (explicit Euler).
    case sgd
    /// SGD with momentum ``TrainingConfiguration/momentum``.
    case momentum
    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸.
    case adam
  }

  /// The network: layer widths (input first, classes last) or LeNet5.
  public var architecture: Architecture = [784, 500, 500, 500, 500, 10]
  /// How the hidden layers are trained.
  public var mode: Mode = .adaptive
  /// Relative truncation tolerance τ (adaptive mode): keep the smallest rank whose discarded
  /// singular values have norm at most τ·‖σ‖₂.
  public var tau: Double = 0.1
  /// Initial rank (adaptive) or the rank (fixed) of the hidden layers, capped by the layer size.
  public var startRank: Int = 150
  /// Largest rank a hidden layer may take (adaptive).
  public var maxRank: Int = 250
  /// Smallest rank a hidden layer keeps after a truncation (adaptive); the DLRT reference
  /// implementation keeps at least 2. Files written before this setting existed have none:
  /// nil means 1, the default.
  public var minRank: Int? = 1
  /// Each low-rank matrix layer's own largest rank, on top of ``maxRank``, which also caps its
  /// start rank (``RankCeiling``); the DLRT reference implementation uses
  /// ``RankCeiling/half``. Files written before this setting existed have none: nil means
  /// ``RankCeiling/full``, the default.
  public var rankCeiling: RankCeiling? = .full
  /// Passes over the training set.
  public var epochs: Int = 10
  /// Samples per batch (one integrator step).
  public var batchSize: Int = 256
  /// The step size h of every substep.
  public var learningRate: Double = 1e-3
  /// The optimizer, i.e. the substep solver.
  public var optimizer: Optimizer = .adam
  /// Momentum μ for `.momentum`.
  public var momentum: Double = 0.9
  /// What momentum and Adam do with their state when the bases change. Files written before
  /// this setting existed have none: their runs projected the state, so nil means
  /// ``OptimizerState/project``, the default.
  public var optimizerState: OptimizerState? = .project
  /// How low-rank convolutions store their kernels (modes other than dense). Files written
  /// before this setting existed have none: their convolutions were matrices, so nil means
  /// ``ConvolutionFormat/matrix``, the default.
  public var convolutions: ConvolutionFormat? = .matrix
  /// Adaptive mode: one forward/backward pass per batch instead of two. The dense parameters
  /// (biases, dense layers) then take their step with the S-step, so the S-step starts from the
  /// point of the K- and L-steps and is served from their pass (`AdaptiveBUG`'s
  /// `movesDenseWithGalerkinStep`); this is the order of the DLRT reference implementations.
  /// Files written before this setting existed have none: nil means false, the default (two
  /// passes, the dense parameters with the K- and L-steps).
  public var singlePass: Bool? = false
  /// How low-rank layers draw their initial factors. Files written before this setting existed
  /// have none: nil means ``LowRankInitialization/spectral``, the default.
  public var initialization: LowRankInitialization? = .spectral
  /// The nonlinearity of the hidden layers.
  public var activation: Activation = .relu
  /// Seed of initialisation and shuffling (SplitMix64).
  public var seed: UInt64 = 1

  /// The defaults described above.
  public init() {}

  /// The same configuration with the settings that files of earlier versions lack (nil) replaced
  /// by the values those versions used, so that an old file and a new one of the same run compare
  /// equal.
  public var normalized: TrainingConfiguration {
    var c = self
    c.optimizerState = c.optimizerState ?? .project
    c.convolutions = c.convolutions ?? .matrix
    c.singlePass = c.singlePass ?? false
    c.minRank = c.minRank ?? 1
    c.rankCeiling = c.rankCeiling ?? .full
    c.initialization = c.initialization ?? .spectral
    return c
  }

  /// Throws ``TrainingError/invalidConfiguration(_:)`` naming the first value out of range.
  public func validate() throws(TrainingError) {
    func fail(_ message: String) -> TrainingError { .invalidConfiguration(message) }
    try architecture.validate()
    guard tau.isFinite, tau >= 0, tau < 1 else { throw fail("tau must be in [0, 1), got \(tau)") }
    guard startRank >= 1 else { throw fail("start rank must be ≥ 1, got \(startRank)") }
    guard maxRank >= 1 else { throw fail("max rank must be ≥ 1, got \(maxRank)") }
    guard mode != .adaptive || startRank <= maxRank else {
      throw fail("start rank \(startRank) exceeds max rank \(maxRank)")
    }
    let minimum = minRank ?? 1
    guard minimum >= 1, minimum <= maxRank else {
      throw fail("min rank must be in 1…\(maxRank) (the max rank), got \(minimum)")
    }
    guard epochs >= 1 else { throw fail("epochs must be ≥ 1, got \(epochs)") }
    guard batchSize >= 1 else { throw fail("batch size must be ≥ 1, got \(batchSize)") }
    guard learningRate.isFinite, learningRate > 0 else {
      throw fail("learning rate must be positive, got \(learningRate)")
    }
    guard momentum >= 0, momentum < 1 else { throw fail("momentum must be in [0, 1), got \(momentum)") }
    guard convolutions != .tucker || mode != .vanilla else {
      throw fail("Tucker convolutions train with modes fixed, adaptive or frozen, not vanilla")
    }
    guard activation != .identity || architecture == [architecture.inputs, architecture.classes] else {
      throw fail("identity activation makes hidden layers useless; use relu or tanh")
    }
  }
}

/// Parameter counts of a network, as the DLRT reference implementation reports them (weights
/// only, biases not counted).
///
/// Here n×m is the weight's shape, for a convolution `out × (in·kh·kw)`:
/// - evaluation: a low-rank layer stores `K = U·S` and V, `r·(n + m)` numbers; a dense layer `n·m`;
/// - training: a low-rank layer stores K, L, U, V (`2r·(n + m)`), the augmented bases Û, V̂
///   (`2r·(n + m)`, adaptive only) and Ŝ, M̂, N̂ (`4r² + 2·2r²` adaptive, `3r²` fixed); a vanilla
///   factorised layer its factors A, B and their gradients (`2r·(n + m)`); a frozen-bases layer U,
///   V, S and the gradient of S (`r·(n + m) + 2r²`).
/// A Tucker kernel (dimensions n_k, ranks r_k) stores `∏ r_k + Σ n_k·r_k` numbers at
/// evaluation; in training its factors U_k, the K-factors and augmented bases Û_k
/// (`4·Σ n_k·r_k` adaptive, `3·Σ n_k·r_k` fixed), the Kronecker bases V_k of the K-steps
/// (`Σ_k r_k·∏_{j≠k} n_j`), the core and the augmented core (`∏ r_k + ∏ min(2r_k, n_k)`
/// adaptive, `2·∏ r_k` fixed); frozen bases: the factors, the core and its gradient.
/// Compression is `1 − count/full`.
public struct ParameterCounts: Codable, Sendable, Equatable {
  /// The dense network's weights.
  public var full: Int
  /// Needed to evaluate the trained network.
  public var evaluation: Int
  /// Held during training.
  public var training: Int

  /// `1 − evaluation/full`, in [0, 1] (negative if the low-rank form is larger).
  public var evaluationCompression: Double { 1 - Double(evaluation) / Double(full) }
  /// `1 − training/full`.
  public var trainingCompression: Double { 1 - Double(training) / Double(full) }
}
