import MatrixManifold

/// A time-stepping method for dynamical low-rank approximation: advances factored blocks
/// `Y = U·S·Vᵀ` (and dense parameters) of `Y' = F(t, Y)` by one step.
///
/// Implementations: ``ProjectorSplitting`` (KSL, Lie and Strang), ``BUG`` (fixed rank),
/// ``AdaptiveBUG``, ``ParallelBUG`` and ``MidpointBUG``. Each holds the ``SubstepSolver`` that
/// solves its K-, L- and S-substeps.
public protocol LowRankIntegrator<Scalar> {
  associatedtype Scalar: BLASScalar
  /// A short name for reports ("bug-adaptive").
  var name: String { get }
  /// Advances `state` from t to t + h.
  /// - Throws: ``IntegratorError/nonFinite(time:)`` if the state becomes NaN/Inf, what the field
  ///   throws, and `MatrixError` from QR/SVD.
  mutating func step<Field: LowRankVectorField<Scalar>>(
    _ state: inout LowRankState<Scalar>, field: inout Field, from t: Double, by h: Double
  ) throws -> StepReport
}

/// Which substeps to evolve together from one initial point, and in which bases.
///
/// The systems, per matrix block b, with fixed bases `U_b` (n×k) and `V_b` (m×l):
/// - K-step `K' = F(t, K·Vᵀ)·V`,
/// - L-step `L' = F(t, U·Lᵀ)ᵀ·U`,
/// - S-step `S' = σ·Uᵀ·F(t, U·S·Vᵀ)·V` (σ = −1 for the backward S-step of projector splitting),
/// - dense parameters `p' = rate from the field`.
///
/// Tucker blocks (``TuckerSteps``) add, per tensor, one K-step per mode k,
/// `K_k' = F₍ₖ₎(t, fold_k(K_k·V_kᵀ))·V_k`, evolved with the matrix K-steps (mode 0) or L-steps
/// (mode 1) or in a run of their own (modes ≥ 2, matrix blocks then held at their initial point);
/// and a core step `C₍₀₎' = U₀ᵀ·F₍₀₎(t, C ×ₖ U_k)·(⊗_{j≥1} U_j)`, evolved with the S-steps.
/// When several are evolved at once their initial values must describe the same point
/// (`K₀·Vᵀ = U·L₀ᵀ = U·S₀·Vᵀ`), so that the field is evaluated once there.
struct SubstepSystem<Scalar: BLASScalar> {
  var u: [Matrix<Scalar>]
  var v: [Matrix<Scalar>]
  var k: [Matrix<Scalar>]? = nil
  var l: [Matrix<Scalar>]? = nil
  var s: [Matrix<Scalar>]? = nil
  var sSign: Scalar = 1
  var evolveDense = false
  /// Tucker K-steps and cores, with their bases.
  var tucker = TuckerSteps<Scalar>()
  /// Whether the initial point is the point of the field's previous evaluation (see
  /// ``FieldEvaluation/atPreviousPoint``).
  var initialAtPreviousPoint = false
  /// Per block, the right-basis width of a request at the same point that will follow the
  /// initial evaluation (see ``FieldEvaluation/Block/followUpRight``); empty: none announced.
  var followUp: [Int] = []
  /// Per block, factors `(A, B)` of the initial point to evaluate at instead of the ones the
  /// substeps' values give (which must describe the same point); empty: those.
  var initialPoint: [(a: Matrix<Scalar>, b: Matrix<Scalar>)] = []
  /// Per block, the leading c columns of `F·V` at the initial point, already known (c its
  /// columns): the initial evaluation then requests `F·V` for V's other columns only. For
  /// S-steps without K-steps; empty: none known.
  var knownLeadingFTimesV: [Matrix<Scalar>] = []
  /// Output: per block, `F·V` of the initial evaluation when it had K-steps (empty otherwise).
  var initialFTimesV: [Matrix<Scalar>] = []

  /// Solves the system over [t, t + h] with `solver`; updates k, l, s, the Tucker parts and
  /// `dense` in place.
  mutating func solve<Field: LowRankVectorField<Scalar>, Solver: SubstepSolver<Scalar>>(
    field: inout Field, solver: inout Solver, dense: inout [Matrix<Scalar>], from t: Double, by h: Double,
    evaluations: inout Int, objective: inout Double?
  ) throws {
    let blocks = u.count
    var keys: [ParameterKey] = []
    var x: [Matrix<Scalar>] = []
    if let k { x += k; keys += (0..<blocks).map { ParameterKey(.k, $0) } }
    if let l { x += l; keys += (0..<blocks).map { ParameterKey(.l, $0) } }
    if let s { x += s; keys += (0..<blocks).map { ParameterKey(.s, $0) } }
    x += tucker.values
    keys += tucker.keys
    if evolveDense { x += dense; keys += dense.indices.map { ParameterKey(.dense, $0) } }
    let (hasK, hasL, hasS, denseCount) = (k != nil, l != nil, s != nil, evolveDense ? dense.count : 0)
    precondition(
      (tucker.k == nil || (hasK && hasL)) && (tucker.core == nil || hasS),
      "SubstepSystem: Tucker K-steps go with matrix K- and L-steps, Tucker cores with S-steps")
    // Nothing to evolve (a network without low-rank layers in its S-step): no evaluation.
    guard !x.isEmpty else { return }
    var left: [Matrix<Scalar>?] = []
    var right: [Matrix<Scalar>?] = []
    if hasK { left += u.map { _ in nil }; right += v.map { $0 } }
    if hasL { left += u.map { $0 }; right += v.map { _ in nil } }
    if hasS { left += u.map { $0 }; right += v.map { $0 } }
    let tuckerBases = tucker.bases
    left += tuckerBases.left
    right += tuckerBases.right
    left += Array(repeating: nil, count: denseCount)
    right += Array(repeating: nil, count: denseCount)
    solver.useBases(keys: keys, left: left, right: right, threads: field.blockConcurrency)
    let (u, v, sign, fixedDense, tucker, x0) = (self.u, self.v, sSign, dense, self.tucker, x)
    let initialAtPreviousPoint = self.initialAtPreviousPoint
    let (followUp, initialPoint, known) = (self.followUp, self.initialPoint, knownLeadingFTimesV)
    precondition(known.isEmpty || (hasS && !hasK), "SubstepSystem: known F·V columns are for S-steps only")
    let tuckerCount = tucker.values.count
    let concurrency = field.blockConcurrency
    var initialFTimesV: [Matrix<Scalar>] = []

    try solver.advance(&x, keys: keys, from: t, by: h) { time, x, atInitial in
      var offset = 0
      func take(_ present: Bool) -> ArraySlice<Matrix<Scalar>>? {
        guard present else { return nil }
        defer { offset += blocks }
        return x[offset..<(offset + blocks)]
      }
      let kx = take(hasK), lx = take(hasL), sx = take(hasS)
      let tx = Array(x[offset..<(offset + tuckerCount)])
      offset += tuckerCount
      let denseValues = denseCount > 0 ? Array(x[offset..<(offset + denseCount)]) : fixedDense
      var rates: [Matrix<Scalar>] = []
      var denseRates: [Matrix<Scalar>] = []
      var tuckerRates: [Matrix<Scalar>] = []

      if atInitial {
        // One evaluation at the common initial point serves every substep.
        let requests = (0..<blocks).map { b -> FieldEvaluation<Scalar>.Block in
          let (a, bb): (Matrix<Scalar>, Matrix<Scalar>) =
            if b < initialPoint.count { initialPoint[b] } else if let kx {
              (kx[kx.startIndex + b], v[b])
            } else if let lx { (u[b], lx[lx.startIndex + b]) } else { (u[b] * sx![sx!.startIndex + b], v[b]) }
          var right: Matrix<Scalar>? = hasK || hasS ? v[b] : nil
          if b < known.count {
            let c = known[b].columns
            right = c < v[b].columns ? Matrix(v[b].columns(c..<v[b].columns)) : nil
          }
          var request = FieldEvaluation<Scalar>.Block(
            a: a, b: bb, rightBasis: right, leftBasis: hasL ? u[b] : nil)
          if b < followUp.count { request.followUpRight = followUp[b] }
          return request
        }
        var e = FieldEvaluation(
          time: time, blocks: requests, tensors: tucker.points(tx, mode: nil), dense: denseValues,
          wantsDenseRates: denseCount > 0)
        e.atPreviousPoint = initialAtPreviousPoint
        try field.evaluate(&e)
        evaluations += 1
        objective = e.objective ?? objective
        if hasK {
          initialFTimesV = e.blocks.map(\.fTimesV)
          rates += initialFTimesV
        }
        if hasL { rates += e.blocks.map(\.fTransposeTimesU) }
        if hasS {
          rates += concurrentMap(blocks, threads: concurrency) { b in
            // σ·Uᵀ·[known columns, F·V of the requested ones], column block by column block.
            let c = b < known.count ? known[b].columns : 0
            var rate = Matrix<Scalar>(rows: u[b].columns, columns: v[b].columns)
            if c > 0 { rate.formProduct(u[b], known[b], opA: .transposed, alpha: sign, columns: 0..<c) }
            if c < v[b].columns {
              rate.formProduct(
                u[b], e.blocks[b].fTimesV, opA: .transposed, alpha: sign, columns: c..<v[b].columns)
            }
            return rate
          }
        }
        tuckerRates = tucker.rates(e.tensors.map(\.rate), sign: sign)
        denseRates = e.denseRates
      } else {
        var needDense = denseCount > 0
        func run(_ requests: [FieldEvaluation<Scalar>.Block], tensorMode mode: Int?) throws
          -> FieldEvaluation<Scalar>
        {
          let tensors = mode.map { tucker.points(tx, mode: $0) } ?? []
          var e = FieldEvaluation(
            time: time, blocks: requests, tensors: tensors, dense: denseValues, wantsDenseRates: needDense)
          try field.evaluate(&e)
          evaluations += 1
          objective = e.objective ?? objective
          if needDense { denseRates = e.denseRates; needDense = false }
          if let mode {
            tucker.collect(e.tensors.map(\.rate), mode: mode, sign: sign, into: &tuckerRates)
          }
          return e
        }
        let hasTuckerK = tucker.k != nil
        tuckerRates = Array(repeating: Matrix(rows: 0, columns: 0), count: tuckerCount)
        if let kx {
          let e = try run(
            (0..<blocks).map {
              .init(a: kx[kx.startIndex + $0], b: v[$0], rightBasis: v[$0], leftBasis: nil)
            },
            tensorMode: hasTuckerK ? 0 : nil)
          rates += e.blocks.map(\.fTimesV)
        }
        if let lx {
          let e = try run(
            (0..<blocks).map {
              .init(a: u[$0], b: lx[lx.startIndex + $0], rightBasis: nil, leftBasis: u[$0])
            },
            tensorMode: hasTuckerK ? 1 : nil)
          rates += e.blocks.map(\.fTransposeTimesU)
        }
        if hasTuckerK {
          // Modes ≥ 2 of the Tucker blocks: the matrix blocks stay at their initial point.
          for mode in 2..<Swift.max(2, tucker.maxOrder) {
            _ = try run(
              (0..<blocks).map { .init(a: x0[$0], b: v[$0], rightBasis: nil, leftBasis: nil) },
              tensorMode: mode)
          }
        }
        if let sx {
          let e = try run(
            (0..<blocks).map {
              .init(a: u[$0] * sx[sx.startIndex + $0], b: v[$0], rightBasis: v[$0], leftBasis: nil)
            }, tensorMode: tucker.core != nil ? TuckerSteps<Scalar>.coreMode : nil)
          rates += (0..<blocks).map { u[$0].transposedTimes(e.blocks[$0].fTimesV) * sign }
        }
      }
      rates += tuckerRates
      if denseCount > 0 {
        precondition(
          denseRates.count == denseCount,
          "the field returned \(denseRates.count) dense rates for \(denseCount) parameters")
        rates += denseRates
      }
      return rates
    }

    self.initialFTimesV = initialFTimesV
    var offset = 0
    if hasK { k = Array(x[offset..<(offset + blocks)]); offset += blocks }
    if hasL { l = Array(x[offset..<(offset + blocks)]); offset += blocks }
    if hasS { s = Array(x[offset..<(offset + blocks)]); offset += blocks }
    self.tucker.values = Array(x[offset..<(offset + tuckerCount)])
    offset += tuckerCount
    if denseCount > 0 { dense = Array(x[offset...]) }
  }
}

extension LowRankState {
  /// Throws ``IntegratorError/nonFinite(time:)`` unless every entry is finite.
  func checkFinite(at t: Double) throws {
    guard isFinite else { throw IntegratorError.nonFinite(time: t) }
  }
}

/// Singular values of each block's core, for a ``StepReport`` when no truncation produced them.
func coreSingularValues<Scalar>(_ state: LowRankState<Scalar>) throws -> [[Double]] {
  try state.blocks.map { try $0.s.singularValues().map(Double.init) }
}
