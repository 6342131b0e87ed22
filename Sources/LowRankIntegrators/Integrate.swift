import MatrixManifold

/// One row of an integration history.
public struct HistoryEntry: Sendable, Codable, Equatable {
  /// Time after the step.
  public var time: Double
  /// Block ranks after the step.
  public var ranks: [Int]
  /// Singular values of each block after the step, descending.
  public var singularValues: [[Double]]
  /// Error against a reference, when one was supplied.
  public var error: Double?
  /// Field evaluations in the step.
  public var evaluations: Int
}

/// The result of ``integrate(_:field:initial:from:to:steps:error:)``.
public struct Solution<Scalar: BLASScalar>: Sendable {
  /// The state at the final time.
  public var state: LowRankState<Scalar>
  /// One entry per step (plus the initial state as entry 0).
  public var history: [HistoryEntry]
}

/// Integrates `Y' = F(t, Y)` from `initial` at `t0` to `t1` with `steps` equal steps, recording
/// a history of ranks, singular values and (optionally) errors.
///
/// - Parameters:
///   - integrator: the method; it may keep state between steps.
///   - field: the right-hand side F.
///   - initial: the state at `t0`.
///   - t0: the initial time.
///   - t1: the final time.
///   - steps: the number of equal steps, `h = (t1 − t0)/steps`.
///   - error: if given, called after every step with the time and state; its value is recorded.
/// - Throws: ``IntegratorError/invalidArgument(_:)`` for `steps < 1` or a non-finite or empty
///   time span; ``IntegratorError/nonFinite(time:)`` when the solution blows up (also when the
///   blow-up is first seen inside a factorisation); what the field throws.
public func integrate<Integrator: LowRankIntegrator, Field: LowRankVectorField<Integrator.Scalar>>(
  _ integrator: inout Integrator, field: inout Field, initial: LowRankState<Integrator.Scalar>,
  from t0: Double, to t1: Double, steps: Int,
  error: ((Double, LowRankState<Integrator.Scalar>) throws -> Double)? = nil
) throws -> Solution<Integrator.Scalar> {
  guard steps >= 1 else { throw IntegratorError.invalidArgument("steps must be ≥ 1, got \(steps)") }
  guard t0.isFinite, t1.isFinite, t1 != t0 else {
    throw IntegratorError.invalidArgument("the time span [\(t0), \(t1)] must be finite and non-empty")
  }
  let h = (t1 - t0) / Double(steps)
  var state = initial
  var history = [
    HistoryEntry(
      time: t0, ranks: state.ranks, singularValues: try coreSingularValues(state),
      error: try error?(t0, state), evaluations: 0)
  ]
  for n in 0..<steps {
    let t = t0 + Double(n) * h
    let report: StepReport
    do {
      report = try integrator.step(&state, field: &field, from: t, by: h)
    } catch MatrixError.nonFinite {
      throw IntegratorError.nonFinite(time: t + h)
    }
    let time = n == steps - 1 ? t1 : t + h
    history.append(
      HistoryEntry(
        time: time, ranks: report.ranks, singularValues: report.singularValues,
        error: try error?(time, state), evaluations: report.evaluations))
  }
  return Solution(state: state, history: history)
}
