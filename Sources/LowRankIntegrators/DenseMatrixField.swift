import MatrixManifold

/// `Y' = F(t, Y)` with F given as a closure on dense matrices: for small problems and tests.
///
/// Each evaluation forms the n×m point and F's n×m value, so it costs `O(n·m)` memory; use
/// ``StructuredMatrixField`` or ``LowRankDerivativeField`` for large problems.
public struct DenseMatrixField<Scalar: BLASScalar>: LowRankVectorField, Sendable {
  /// The right-hand side.
  public let f: @Sendable (Double, Matrix<Scalar>) -> Matrix<Scalar>

  /// The field `F(t, Y) = f(t, Y)`.
  public init(_ f: @escaping @Sendable (Double, Matrix<Scalar>) -> Matrix<Scalar>) { self.f = f }

  public mutating func evaluate(_ evaluation: inout FieldEvaluation<Scalar>) throws {
    for index in evaluation.blocks.indices {
      let block = evaluation.blocks[index]
      let value = f(evaluation.time, block.densePoint())  // F evaluated once for both products
      if let v = block.rightBasis { evaluation.blocks[index].fTimesV = value * v }
      if let u = block.leftBasis { evaluation.blocks[index].fTransposeTimesU = value.transposedTimes(u) }
    }
  }
}

/// `Y' = Ȧ(t)` where the derivative of a given low-rank trajectory is known in factored form,
/// `Ȧ(t) = P(t)·Q(t)ᵀ`. F does not depend on Y: the setting in which the projector-splitting
/// and BUG integrators are exact for rank-r `A(t)` (Lubich & Oseledets 2014; Ceruti & Lubich 2022).
public struct LowRankDerivativeField<Scalar: BLASScalar>: FactoredMatrixField, Sendable {
  /// Returns `(P, Q)` with `Ȧ(t) = P·Qᵀ`.
  public let derivative: @Sendable (Double) -> (p: Matrix<Scalar>, q: Matrix<Scalar>)

  /// The field `F(t, Y) = P(t)·Q(t)ᵀ` with `(P, Q) = derivative(t)`.
  public init(_ derivative: @escaping @Sendable (Double) -> (p: Matrix<Scalar>, q: Matrix<Scalar>)) {
    self.derivative = derivative
  }

  public func fTimes(_ v: Matrix<Scalar>, at t: Double, a: Matrix<Scalar>, b: Matrix<Scalar>) -> Matrix<
    Scalar
  > {
    let (p, q) = derivative(t)
    return p * q.transposedTimes(v)
  }

  public func fTransposeTimes(_ u: Matrix<Scalar>, at t: Double, a: Matrix<Scalar>, b: Matrix<Scalar>)
    -> Matrix<Scalar>
  {
    let (p, q) = derivative(t)
    return q * p.transposedTimes(u)
  }
}
