/// Errors a user of the matrix layer can cause: bad shapes, non-finite data, LAPACK failures.
public enum MatrixError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Operand shapes do not fit together; the message names them.
  case shapeMismatch(String)
  /// An input contained NaN or infinity.
  case nonFinite(operation: String)
  /// A LAPACK routine reported failure through its `info` value.
  case lapackFailure(routine: String, info: Int)
  /// An argument is out of its documented range.
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let message): "shape mismatch: \(message)"
    case .nonFinite(let operation):
      "\(operation): the input contains NaN or infinity; check the data or lower the step size"
    case .lapackFailure(let routine, let info):
      info < 0
        ? "\(routine): argument \(-info) had an illegal value (LAPACK info \(info))"
        : "\(routine) did not converge (LAPACK info \(info))"
    case .invalidArgument(let message): "invalid argument: \(message)"
    }
  }
}
