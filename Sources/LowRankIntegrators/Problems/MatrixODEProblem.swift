import MatrixManifold

/// A matrix ODE with a known solution, kept apart from any solver: the vector field, the
/// initial value and a reference `Y(t)`. Used by the tests, `dlrt ode` and `make ode-convergence`.
public protocol MatrixODEProblem: Sendable {
  /// The type of the problem's vector field.
  associatedtype Field: LowRankVectorField<Double> & Sendable
  /// Short identifier ("heat").
  var name: String { get }
  /// The right-hand side.
  var field: Field { get }
  /// The initial value, factored.
  var initialValue: LowRankMatrix<Double> { get }
  /// The exact solution at t (dense).
  func exactSolution(at t: Double) throws -> Matrix<Double>
}
