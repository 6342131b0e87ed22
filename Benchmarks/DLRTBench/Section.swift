// The section protocol and the list of sections. To add a section, add one file with a type
// conforming to `BenchmarkSection` and one line to `allSections` below.

/// What every section is given: how long to measure and how to seed random inputs.
struct BenchmarkContext: Sendable {
  /// Small sizes and few repetitions, so that a full run takes under 20 s (CI smoke runs).
  var quick: Bool
  /// Seed for the random inputs (``SplitMix64``), so every run measures the same matrices.
  var seed: UInt64
}

/// What a section hands back for the JSON report after printing its tables.
struct SectionReport: Sendable, Encodable {
  /// The section's command-line name.
  var name: String
  /// The tables as printed.
  var tables: [Table]
  /// Whether the section's acceptance criterion held; `nil` for sections without one.
  var passed: Bool?
  /// The summary line printed at the end of the section, if any.
  var summary: String?
}

/// One named group of measurements that `dlrt-bench` can run on its own.
protocol BenchmarkSection: Sendable {
  /// The name used on the command line, e.g. `gemm`.
  var name: String { get }
  /// One line for `dlrt-bench --help`.
  var summary: String { get }
  /// Runs the measurements, printing each table row as it completes, and returns the report.
  func run(_ context: BenchmarkContext) -> SectionReport
}

/// Every section, in the order a run without section arguments executes them.
let allSections: [any BenchmarkSection] = [
  GEMMSection(),
  FactorizationsSection(),
  IntegratorsSection(),
  TrainingSection(),
  ThinProductsSection(),
]
