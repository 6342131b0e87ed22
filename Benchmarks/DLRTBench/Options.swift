// Command-line options: `dlrt-bench [section ...] [--threads N] [--json PATH] [--quick]`.

/// A command line that `dlrt-bench` cannot run, with a message saying what to change.
struct UsageError: Error, CustomStringConvertible {
  /// What was wrong and what to do instead.
  var description: String
}

/// The parsed and validated command line.
struct Options: Sendable {
  /// Sections to run, in the order of ``allSections`` (all of them when none was named).
  var sections: [any BenchmarkSection] = allSections
  /// OpenBLAS threads to set before measuring; `nil` keeps OpenBLAS's default
  /// (`OPENBLAS_NUM_THREADS`, or one per core).
  var threads: Int?
  /// Where to write the JSON report; `nil` writes none.
  var jsonPath: String?
  /// Shrinks sizes and repetitions so the whole run takes under 20 s.
  var quick = false
  /// Seed of the random inputs.
  var seed: UInt64 = 42
  /// Whether `--help` was asked for (nothing is measured then).
  var help = false

  /// The usage text printed by `--help` and after a usage error.
  static var usage: String {
    let names = allSections.map { "  \($0.name.padding(16))\($0.summary)" }.joined(separator: "\n")
    return """
      usage: dlrt-bench [section ...] [--threads N] [--json PATH] [--quick] [--seed S]

      sections (default: all, in this order):
      \(names)

      options:
        --threads N   OpenBLAS threads (default: OPENBLAS_NUM_THREADS, else one per core)
        --json PATH   also write the configuration, machine and tables as JSON to PATH
        --quick       small sizes and few repetitions (whole run < 20 s, for CI smoke tests)
        --seed S      seed of the random inputs (default 42)
        --help        print this text
      """
  }

  /// Parses `arguments` (without the program name); accepts `--option value` and `--option=value`.
  /// - Throws: ``UsageError`` for an unknown section or option, or a missing or invalid value.
  init(parsing arguments: [String]) throws(UsageError) {
    var named: [String] = []
    var rest = arguments[...]
    while let argument = rest.popFirst() {
      var (flag, inlineValue) = (argument, String?.none)
      if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
        flag = String(argument[..<eq])
        inlineValue = String(argument[argument.index(after: eq)...])
      }
      func value() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        guard let next = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
        return next
      }
      switch flag {
      case "--help", "-h": help = true
      case "--quick": quick = true
      case "--json": jsonPath = try value()
      case "--threads":
        let text = try value()
        guard let n = Int(text), n >= 1 else {
          throw UsageError(description: "--threads needs a positive integer, got '\(text)'")
        }
        threads = n
      case "--seed":
        let text = try value()
        guard let s = UInt64(text) else {
          throw UsageError(description: "--seed needs a non-negative integer, got '\(text)'")
        }
        seed = s
      default:
        guard !flag.hasPrefix("-") else {
          throw UsageError(description: "unknown option '\(argument)'; see dlrt-bench --help")
        }
        guard allSections.contains(where: { $0.name == flag }) else {
          let known = allSections.map(\.name).joined(separator: ", ")
          throw UsageError(description: "unknown section '\(flag)'; sections are: \(known)")
        }
        named.append(flag)
      }
    }
    if !named.isEmpty { sections = allSections.filter { named.contains($0.name) } }
  }
}

/// The JSON record of the command line as it was run.
struct Configuration: Sendable, Encodable {
  /// The section names run, in order.
  var sections: [String]
  /// `--threads`, or `nil` when OpenBLAS's default was kept.
  var threads: Int?
  /// Whether `--quick` was given.
  var quick: Bool
  /// Seed of the random inputs.
  var seed: UInt64
  /// The arguments as typed.
  var arguments: [String]

  private enum CodingKeys: String, CodingKey { case sections, threads, quick, seed, arguments }

  /// Encodes every field, writing `null` for an absent `threads` rather than leaving it out.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(sections, forKey: .sections)
    try container.encode(threads, forKey: .threads)
    try container.encode(quick, forKey: .quick)
    try container.encode(seed, forKey: .seed)
    try container.encode(arguments, forKey: .arguments)
  }
}

extension String {
  /// The string padded with spaces on the right to at least `width` characters.
  func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
