/// Errors that training data, a configuration, a checkpoint or a diverging run can cause.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A label is not in `0..<classes`.
  case labelOutOfRange(label: Int, classes: Int)
  /// The batch's features or labels do not fit the network.
  case invalidBatch(String)
  /// The loss became NaN or infinite (the run diverged, or the input holds NaN/Inf).
  case nonFiniteLoss
  /// A configuration value is out of range.
  case invalidConfiguration(String)
  /// A checkpoint file cannot be used.
  case unreadableCheckpoint(path: String, reason: String)
  /// A checkpoint cannot be written (directory not creatable, no permission, disk full, …).
  case unwritableCheckpoint(path: String, reason: String)

  /// A readable message.
  public var description: String {
    switch self {
    case .labelOutOfRange(let label, let classes): "label \(label) is outside 0..<\(classes)"
    case .invalidBatch(let message): "invalid batch: \(message)"
    case .nonFiniteLoss: "the loss is NaN or infinite; reduce the learning rate or check the input data"
    case .invalidConfiguration(let message): "invalid configuration: \(message)"
    case .unreadableCheckpoint(let path, let reason):
      "cannot use checkpoint \(path): \(reason); train again with --save to write a new one"
    case .unwritableCheckpoint(let path, let reason): "cannot write checkpoint \(path): \(reason)"
    }
  }
}
