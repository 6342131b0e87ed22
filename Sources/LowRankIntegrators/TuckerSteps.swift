import MatrixManifold

/// The Tucker-block part of a BUG-type step: the K-steps of every mode and the Galerkin core
/// step of the (rank-adaptive) Tucker BUG integrator (Ceruti & Lubich, "Time integration of
/// symmetric and anti-symmetric low-rank matrices and Tucker tensors", BIT 60, 2020; Ceruti,
/// Kusch & Lubich, "A rank-adaptive robust integrator for dynamical low-rank approximation",
/// BIT 62, 2022, Section 5).
///
/// For `Y₀ = C₀ ×ₖ U_k` and each mode k: the QR decomposition `C₀₍ₖ₎ᵀ = Q_k·R_k` gives
/// `Y₀₍ₖ₎ = K_k·V_kᵀ` with `K_k = U_k·R_kᵀ` (n_k × r_k) and the orthonormal
/// `V_k = (⊗_{j≠k} U_j)·Q_k`; the K-step is the matrix ODE
/// `K_k' = F₍ₖ₎(fold_k(K_k·V_kᵀ))·V_k`. The new basis of mode k is an orthonormal basis of
/// `[U_k, K_k(t₁)]` (augmented) or of `K_k(t₁)` (fixed rank). The core step evolves
/// `Ĉ' = F(Ĉ ×ₖ Û_k) ×ₖ Û_kᵀ` from `Ĉ(t₀) = C₀ ×ₖ (Û_kᵀU_k)`, carried as its mode-0 unfolding
/// `C₍₀₎' = Û₀ᵀ·F₍₀₎·(⊗_{j≥1} Û_j)`.
///
/// The bases V_k are formed by mode products (`(∏_{j≠k} n_j) × r_k` numbers per mode), never
/// through the Kronecker product; only the core's right basis `⊗_{j≥1} Û_j`, which a stateful
/// optimizer needs to carry its state, is formed explicitly. This suits the tensors these
/// blocks are for (convolution kernels, small Tucker ODEs), whose rate F the field returns whole
/// anyway (``FieldEvaluation/TuckerBlock``).
struct TuckerSteps<Scalar: BLASScalar> {
  /// The `tensorMode` of a run that evaluates the cores.
  static var coreMode: Int { -1 }

  /// Per tensor, its mode sizes.
  private var dimensions: [[Int]] = []
  /// Per tensor, the dense point every substep starts from.
  private(set) var initialPoints: [Tensor<Scalar>] = []
  /// Per tensor and mode, V_k (K-steps).
  private var rightBases: [[Matrix<Scalar>]] = []
  /// Per tensor, its factors (core step: the new bases Û_k).
  private var factors: [[Matrix<Scalar>]] = []
  /// Per tensor, `⊗_{j≥1} Û_j` (core step).
  private var coreRight: [Matrix<Scalar>] = []
  /// The K-steps' values, per tensor and mode; nil when the system has none.
  private(set) var k: [[Matrix<Scalar>]]?
  /// The cores' mode-0 unfoldings; nil when the system has none.
  private(set) var core: [Matrix<Scalar>]?

  /// No Tucker blocks.
  init() {}

  /// The K-steps of every mode of every tensor, from the tensors themselves.
  /// - Throws: what QR throws.
  static func kSteps(_ tensors: [TuckerTensor<Scalar>]) throws -> TuckerSteps {
    var steps = TuckerSteps()
    guard !tensors.isEmpty else { return steps }
    var k: [[Matrix<Scalar>]] = []
    for y in tensors {
      var kk: [Matrix<Scalar>] = []
      var vv: [Matrix<Scalar>] = []
      for mode in 0..<y.order {
        // C₍ₖ₎ᵀ is (∏_{j≠k} r_j) × r_k with at least as many rows as columns (TuckerTensor's rank
        // condition), so its thin QR has an r_k × r_k R.
        let (q, r) = try y.core.unfolding(mode: mode).transposed().qr()
        kk.append(y.factors[mode].timesTransposed(r))
        vv.append(TuckerTensor.kronecker(y.factors, excluding: mode, times: q))
      }
      k.append(kk)
      steps.rightBases.append(vv)
      steps.dimensions.append(y.dimensions)
      steps.initialPoints.append(y.dense())
    }
    steps.k = k
    return steps
  }

  /// The core steps in new bases `bases[t][k]` (n_k × r̂_k, orthonormal) from
  /// `C₀ ×ₖ (Û_kᵀ·U_k)`; `initialPoints`, when given, are the tensors formed densely (as the
  /// K-steps of the same step formed them), else they are formed here.
  static func coreSteps(
    _ tensors: [TuckerTensor<Scalar>], bases: [[Matrix<Scalar>]], initialPoints: [Tensor<Scalar>] = []
  ) -> TuckerSteps {
    precondition(
      bases.count == tensors.count, "Tucker core steps: \(bases.count) bases, \(tensors.count) tensors")
    precondition(
      initialPoints.isEmpty || initialPoints.count == tensors.count,
      "Tucker core steps: \(initialPoints.count) initial points, \(tensors.count) tensors")
    var steps = TuckerSteps()
    guard !tensors.isEmpty else { return steps }
    var cores: [Matrix<Scalar>] = []
    for (t, (y, b)) in zip(tensors, bases).enumerated() {
      let c0 = y.core.multiplied(by: zip(b, y.factors).map { $0.transposedTimes($1) })
      cores.append(c0.matrix(rows: c0.dimensions[0]))
      steps.factors.append(b)
      steps.coreRight.append(TuckerTensor.kronecker(b, excluding: 0))
      steps.dimensions.append(y.dimensions)
      steps.initialPoints.append(initialPoints.isEmpty ? y.dense() : initialPoints[t])
    }
    steps.core = cores
    return steps
  }

  /// The values the solver evolves: every K-step (tensor by tensor, mode by mode), then the cores.
  var values: [Matrix<Scalar>] {
    get { (k?.flatMap { $0 } ?? []) + (core ?? []) }
    set {
      var offset = 0
      if let k {
        self.k = k.map { modes in
          defer { offset += modes.count }
          return Array(newValue[offset..<(offset + modes.count)])
        }
      }
      if let core {
        self.core = Array(newValue[offset..<(offset + core.count)])
        offset += core.count
      }
      precondition(offset == newValue.count, "TuckerSteps: \(newValue.count) values for \(offset)")
    }
  }

  /// The keys of ``values``.
  var keys: [ParameterKey] {
    let kKeys = (k ?? []).enumerated().flatMap { t, modes in
      modes.indices.map { ParameterKey(.tuckerK, t, mode: $0) }
    }
    return kKeys + (core ?? []).indices.map { ParameterKey(.tuckerCore, $0) }
  }

  /// The bases each value is expressed in: a K-step's state lives in the coordinates of V_k, a
  /// core's mode-0 unfolding in those of Û₀ (left) and `⊗_{j≥1} Û_j` (right).
  var bases: (left: [Matrix<Scalar>?], right: [Matrix<Scalar>?]) {
    var left: [Matrix<Scalar>?] = []
    var right: [Matrix<Scalar>?] = []
    for vv in k != nil ? rightBases : [] {
      left += vv.map { _ in nil }
      right += vv.map { $0 }
    }
    if core != nil {
      left += factors.map { $0[0] }
      right += coreRight.map { $0 }
    }
    return (left, right)
  }

  /// The highest order of the tensors.
  var maxOrder: Int { dimensions.map(\.count).max() ?? 0 }

  /// The points at which to evaluate for a run of one mode (or ``coreMode``), from the current
  /// values x (laid out as ``values``): a tensor of lower order sits at its initial point.
  func points(_ x: [Matrix<Scalar>], mode: Int?) -> [FieldEvaluation<Scalar>.TuckerBlock] {
    guard let mode else {
      return initialPoints.map { .init(point: $0) }
    }
    return dimensions.indices.map { t in
      let n = dimensions[t]
      if mode == Self.coreMode, core != nil {
        let c = Tensor(reshaping: x[coreOffset + t], dimensions: factors[t].map(\.columns))
        return .init(point: c.multiplied(by: factors[t]))
      }
      guard k != nil, mode >= 0, mode < n.count else { return .init(point: initialPoints[t]) }
      let kk = x[kOffset(t) + mode]
      return .init(point: Tensor(folding: kk.timesTransposed(rightBases[t][mode]), mode: mode, dimensions: n))
    }
  }

  /// The rates of every value from the field's rates F (one per tensor) at the common point.
  func rates(_ f: [Tensor<Scalar>], sign: Scalar) -> [Matrix<Scalar>] {
    var result = Array(repeating: Matrix<Scalar>(rows: 0, columns: 0), count: values.count)
    for mode in 0..<maxOrder { collect(f, mode: mode, sign: sign, into: &result) }
    collect(f, mode: Self.coreMode, sign: sign, into: &result)
    return result
  }

  /// Fills, in `rates` (laid out as ``values``), the rates of one mode's K-steps (or of the
  /// cores, for ``coreMode``) from the field's rates F at that run's points.
  func collect(_ f: [Tensor<Scalar>], mode: Int, sign: Scalar, into rates: inout [Matrix<Scalar>]) {
    precondition(
      f.count == dimensions.count, "the field returned \(f.count) Tucker rates for \(dimensions.count)")
    for t in dimensions.indices {
      precondition(
        f[t].dimensions == dimensions[t], "Tucker rate \(t): \(f[t].dimensions), expected \(dimensions[t])")
      if mode == Self.coreMode {
        guard core != nil else { continue }
        // F ×ₖ Û_kᵀ, i.e. Û₀ᵀ·F₍₀₎·(⊗_{j≥1} Û_j), by mode products.
        let projected = f[t].multiplied(by: factors[t].map { $0.transposed() })
        rates[coreOffset + t] = projected.matrix(rows: projected.dimensions[0]) * sign
      } else if k != nil, mode < dimensions[t].count {
        rates[kOffset(t) + mode] = f[t].unfolding(mode: mode) * rightBases[t][mode]
      }
    }
  }

  /// The new bases after the K-steps: per tensor and mode, an orthonormal basis of
  /// `[U_k, K_k(t₁)]` (augmented) or of `K_k(t₁)`.
  func newBases(_ tensors: [TuckerTensor<Scalar>], augment: Bool, time: Double) throws -> [[Matrix<Scalar>]] {
    guard let k else { return [] }
    return try zip(tensors, k).map { y, kk in
      try zip(y.factors, kk).map { u, k1 in
        guard k1.isFinite else { throw IntegratorError.nonFinite(time: time) }
        return augment ? try u.augmentedBasis(with: k1).basis : try k1.orthonormalized()
      }
    }
  }

  /// The evolved cores as tensors (dimensions from the bases).
  var cores: [Tensor<Scalar>] {
    guard let core else { return [] }
    return zip(core, factors).map { c, b in
      (try? Tensor(dimensions: b.map(\.columns), elements: c.elements))
        ?? { preconditionFailure("Tucker core \(c.shape) for bases \(b.map(\.shape))") }()
    }
  }

  private func kOffset(_ t: Int) -> Int { dimensions[..<t].reduce(0) { $0 + $1.count } }
  private var coreOffset: Int { k == nil ? 0 : dimensions.reduce(0) { $0 + $1.count } }
}

extension LowRankState {
  /// Throws ``IntegratorError/invalidArgument(_:)`` when the state has Tucker blocks, for the
  /// integrators that evolve matrix blocks only.
  func requireMatrixBlocksOnly(_ integrator: String) throws {
    guard tuckers.isEmpty else {
      throw IntegratorError.invalidArgument(
        "\(integrator) evolves matrix blocks only; use BUG, AdaptiveBUG or FrozenBasesGalerkin for Tucker blocks"
      )
    }
  }
}
