// The machine line printed at the top of every run and stored in the JSON report.
internal import CLapack
import Foundation
import MatrixManifold

/// The hardware and library configuration a run measured.
struct Machine: Sendable, Encodable {
  /// The CPU model from `/proc/cpuinfo` (`model name`), or "unknown".
  var cpu: String
  /// Logical CPUs available to this process.
  var cores: Int
  /// Threads OpenBLAS uses for the run (after `--threads`, if given).
  var blasThreads: Int
  /// OpenBLAS's build description (`openblas_get_config`), e.g. version and kernel family.
  var openBLAS: String
  /// The kernel family OpenBLAS selected at run time (`BLASKernels.coreName`).
  var openBLASCore: String
  /// `OPENBLAS_NUM_THREADS` as set in the environment, or `nil` when unset.
  var environmentThreads: String?
  /// `OPENBLAS_CORETYPE` as set in the environment (it overrides OpenBLAS's own choice of
  /// kernels), or `nil` when unset.
  var environmentCoreType: String?
  /// Start of the run, ISO 8601 in UTC.
  var date: String

  private enum CodingKeys: String, CodingKey {
    case cpu, cores, blasThreads, openBLAS, openBLASCore, environmentThreads, environmentCoreType, date
  }

  /// Encodes every field, writing `null` for an unset environment variable.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(cpu, forKey: .cpu)
    try container.encode(cores, forKey: .cores)
    try container.encode(blasThreads, forKey: .blasThreads)
    try container.encode(openBLAS, forKey: .openBLAS)
    try container.encode(openBLASCore, forKey: .openBLASCore)
    try container.encode(environmentThreads, forKey: .environmentThreads)
    try container.encode(environmentCoreType, forKey: .environmentCoreType)
    try container.encode(date, forKey: .date)
  }

  /// Reads the current machine; call after setting the thread count.
  static func current() -> Machine {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n")
      .first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    let formatter = ISO8601DateFormatter()
    return Machine(
      cpu: model,
      cores: ProcessInfo.processInfo.activeProcessorCount,
      blasThreads: Int(openblas_get_num_threads()),
      openBLAS: openblas_get_config().map { String(cString: $0) }?
        .trimmingCharacters(in: .whitespaces) ?? "unknown",
      openBLASCore: BLASKernels.coreName,
      environmentThreads: ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"],
      environmentCoreType: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
      date: formatter.string(from: Date()))
  }

  /// One line for the top of the output and for Docs/Benchmarks.md.
  var line: String {
    let env = environmentThreads.map { "OPENBLAS_NUM_THREADS=\($0)" } ?? "OPENBLAS_NUM_THREADS unset"
    let core = environmentCoreType.map { "OPENBLAS_CORETYPE=\($0)" } ?? "OPENBLAS_CORETYPE unset"
    return
      "machine: \(cpu), \(cores) cores | \(openBLAS) (core \(openBLASCore)), \(blasThreads) threads, "
      + "\(env), \(core) | \(date)"
  }
}
