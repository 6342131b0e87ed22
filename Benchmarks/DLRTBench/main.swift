// dlrt-bench: release benchmarks of the DLRT library. See Benchmarks/README.md.
import Foundation
import MatrixManifold

/// The JSON report written by `--json`.
struct Report: Encodable {
  /// The command line.
  var configuration: Configuration
  /// The machine and library settings.
  var machine: Machine
  /// One entry per section run.
  var sections: [SectionReport]
}

let arguments = Array(CommandLine.arguments.dropFirst())
let options: Options
do {
  options = try Options(parsing: arguments)
} catch {
  FileHandle.standardError.write(Data("dlrt-bench: \(error)\n\n\(Options.usage)\n".utf8))
  exit(2)
}
if options.help {
  print(Options.usage)
  exit(0)
}

if let threads = options.threads { BLASThreads.set(threads) }
let machine = Machine.current()
print(machine.line)
print("command: dlrt-bench \(arguments.joined(separator: " "))".trimmingCharacters(in: .whitespaces))

let context = BenchmarkContext(quick: options.quick, seed: options.seed)
var reports: [SectionReport] = []
for section in options.sections {
  print("\n## \(section.name)")
  let report = section.run(context)
  if let summary = report.summary { print("\n\(summary)") }
  reports.append(report)
}

if let path = options.jsonPath {
  let report = Report(
    configuration: Configuration(
      sections: options.sections.map(\.name), threads: options.threads, quick: options.quick,
      seed: options.seed, arguments: arguments),
    machine: machine, sections: reports)
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  do {
    try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    print("\nwrote \(path)")
  } catch {
    FileHandle.standardError.write(
      Data("dlrt-bench: cannot write the JSON report to '\(path)': \(error.localizedDescription)\n".utf8))
    exit(1)
  }
}
