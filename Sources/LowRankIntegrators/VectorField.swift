import MatrixManifold

/// One request to a vector field: evaluate F at a factored point and return the products an
/// integrator needs, for every low-rank block at once.
///
/// Block b's point is `Y_b = A_b·B_bᵀ` (A n×k, B m×k, neither necessarily orthonormal: the K-,
/// L- and S-steps evaluate at `K·V₀ᵀ`, `U₀·Lᵀ` and `Û·S·V̂ᵀ`). For each block the field fills
/// - ``Block/fTimesV`` = `F(t, Y)·V` for the requested right basis V (m×p), and/or
/// - ``Block/fTransposeTimesU`` = `F(t, Y)ᵀ·U` for the requested left basis U (n×q).
///
/// Galerkin products `Uᵀ·F·V` are formed by the integrators as `Uᵀ·(F·V)`, so a field provides
/// only these two. A field never needs to form an n×m matrix, and a neural network evaluates all
/// its layers in one forward/backward pass. Dense (not factored) parameters, such as biases,
/// travel in ``dense`` and their rates in ``denseRates``.
public struct FieldEvaluation<Scalar: BLASScalar>: Sendable {
  /// The requests and results for one low-rank block.
  public struct Block: Sendable {
    /// A in `Y = A·Bᵀ`, n×k.
    public var a: Matrix<Scalar>
    /// B in `Y = A·Bᵀ`, m×k.
    public var b: Matrix<Scalar>
    /// If set, the field computes `F(t, Y)·V` for this V (m×p) into ``fTimesV``.
    public var rightBasis: Matrix<Scalar>?
    /// If set, the field computes `F(t, Y)ᵀ·U` for this U (n×q) into ``fTransposeTimesU``.
    public var leftBasis: Matrix<Scalar>?
    /// Output: `F(t, Y)·V`, n×p.
    public var fTimesV = Matrix<Scalar>(rows: 0, columns: 0)
    /// Output: `F(t, Y)ᵀ·U`, m×q.
    public var fTransposeTimesU = Matrix<Scalar>(rows: 0, columns: 0)
    /// The integrator's notice that its next request will be at this same point
    /// (``FieldEvaluation/atPreviousPoint``) with a right basis of this many columns and no left
    /// basis, as a Galerkin step asks (0: no such request announced). A hint only: a field that
    /// keeps intermediate results for that request may choose how to evaluate this one with both
    /// in mind, and may ignore it.
    public var followUpRight = 0

    /// A request at `Y = A·Bᵀ`.
    public init(a: Matrix<Scalar>, b: Matrix<Scalar>, rightBasis: Matrix<Scalar>?, leftBasis: Matrix<Scalar>?)
    {
      precondition(a.columns == b.columns, "FieldEvaluation.Block: A \(a.shape), B \(b.shape)")
      precondition(
        rightBasis.map { $0.rows == b.rows } ?? true, "right basis \(rightBasis!.shape) for B \(b.shape)")
      precondition(
        leftBasis.map { $0.rows == a.rows } ?? true, "left basis \(leftBasis!.shape) for A \(a.shape)")
      self.a = a
      self.b = b
      self.rightBasis = rightBasis
      self.leftBasis = leftBasis
    }

    /// The point as a dense matrix `A·Bᵀ` (for small problems and tests).
    public func densePoint() -> Matrix<Scalar> { a.timesTransposed(b) }
  }

  /// The request and result for one Tucker block (a tensor in Tucker format, see
  /// `TuckerTensor`): the field returns the whole rate `F(t, Y)` at a dense point Y.
  ///
  /// Tucker blocks are meant for small tensors such as convolution kernels, where the rate is
  /// formed anyway (for a convolution it is `−δ·Pᵀ`, the size of the kernel); the integrators
  /// form the products with the Kronecker bases themselves.
  public struct TuckerBlock: Sendable {
    /// The point Y at which to evaluate, dense.
    public var point: Tensor<Scalar>
    /// Output: `F(t, Y)`, of the point's dimensions.
    public var rate: Tensor<Scalar>

    /// A request at `point`.
    public init(point: Tensor<Scalar>) {
      self.point = point
      self.rate = Tensor(dimensions: [0])
    }
  }

  /// The time t at which F is evaluated.
  public var time: Double
  /// One entry per low-rank block, in the field's order.
  public var blocks: [Block]
  /// One entry per Tucker block, in the field's order (empty for matrix ODEs).
  public var tensors: [TuckerBlock]
  /// Values of the dense parameters at which to evaluate (empty for pure matrix ODEs).
  public var dense: [Matrix<Scalar>]
  /// Whether the field must fill ``denseRates``.
  public var wantsDenseRates: Bool
  /// Output: the rates of the dense parameters (for training, minus their gradients).
  public var denseRates: [Matrix<Scalar>] = []
  /// Output, optional: an objective value at this point (for training, the batch loss).
  public var objective: Double?
  /// The integrator's promise that the point (every block's `A·Bᵀ`, every Tucker point, the dense
  /// values and the time) equals, up to rounding, that of the field's previous evaluation, only
  /// in other factors or bases. A field may then compute the requested products from what it
  /// kept of that evaluation instead of evaluating F again; it may also ignore the flag.
  public var atPreviousPoint = false

  /// A request at time t for the given matrix blocks, Tucker blocks and dense parameters.
  public init(
    time: Double, blocks: [Block], tensors: [TuckerBlock] = [], dense: [Matrix<Scalar>] = [],
    wantsDenseRates: Bool = false
  ) {
    self.time = time
    self.blocks = blocks
    self.tensors = tensors
    self.dense = dense
    self.wantsDenseRates = wantsDenseRates
  }
}

/// The right-hand side `F(t, Y)` of a matrix ODE `Y' = F(t, Y)`, for one or several low-rank
/// blocks, seen only through the products an integrator needs (see ``FieldEvaluation``).
///
/// This is the single gradient-provider protocol of the package: matrix ODEs conform to it, and
/// so does a neural network, whose F is minus the loss gradient (dynamical low-rank training,
/// Schotthöfer et al. 2022). Every integrator is written once, against this protocol.
public protocol LowRankVectorField<Scalar> {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// Fills the outputs of `evaluation` (see ``FieldEvaluation``).
  /// - Throws: when F cannot be evaluated (for example NaN in a network's loss).
  mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws

  /// Threads on which an integrator may run its independent per-block work (the bases'
  /// augmentation and the truncation SVDs of different blocks) while stepping this field.
  /// Default 1 (in order on the calling thread). More than 1 pays only when OpenBLAS runs on one
  /// thread; a network returns its batch parts, which run that way.
  var blockConcurrency: Int { get }

  /// Per matrix block, the largest rank a rank-adaptive integrator may give it after a step, on
  /// top of its truncation policy's `TruncationPolicy.maxRank` (`TruncationPolicy.capped(at:)`);
  /// nil (the default): the policy alone decides. A network returns its layers' ceilings
  /// (`RankCeiling`). Tucker blocks are not affected.
  var rankCeilings: [Int]? { get }
}

extension LowRankVectorField {
  public var blockConcurrency: Int { 1 }
  public var rankCeilings: [Int]? { nil }
}

/// A matrix ODE with one block that computes `F(t, A·Bᵀ)·V` and `F(t, A·Bᵀ)ᵀ·U` directly from
/// the factors. Conforming types get ``LowRankVectorField/evaluate(_:)`` for free.
public protocol FactoredMatrixField<Scalar>: LowRankVectorField {
  /// `F(t, A·Bᵀ)·V`.
  func fTimes(_ v: Matrix<Scalar>, at t: Double, a: Matrix<Scalar>, b: Matrix<Scalar>) -> Matrix<Scalar>
  /// `F(t, A·Bᵀ)ᵀ·U`.
  func fTransposeTimes(_ u: Matrix<Scalar>, at t: Double, a: Matrix<Scalar>, b: Matrix<Scalar>) -> Matrix<
    Scalar
  >
}

extension FactoredMatrixField {
  public mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws {
    precondition(evaluation.blocks.count == 1, "a matrix ODE has one block, got \(evaluation.blocks.count)")
    let t = evaluation.time
    let block = evaluation.blocks[0]
    if let v = block.rightBasis {
      evaluation.blocks[0].fTimesV = fTimes(v, at: t, a: block.a, b: block.b)
    }
    if let u = block.leftBasis {
      evaluation.blocks[0].fTransposeTimesU = fTransposeTimes(u, at: t, a: block.a, b: block.b)
    }
  }
}
