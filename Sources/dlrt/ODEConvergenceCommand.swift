import ArgumentParser
import Foundation
import LowRankIntegrators

extension ODE {
  /// `dlrt ode convergence`: error against step size for every integrator, with observed orders.
  struct Convergence: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Error at the final time against the step size for each integrator; table, CSV, JSON and SVG."
    )

    @OptionGroup var options: ODEOptions

    @Option(parsing: .upToNextOption, help: "Integrators to compare (default: all).")
    var integrators: [IntegratorChoice] = IntegratorChoice.allCases

    @Option(parsing: .upToNextOption, help: "Step counts (each gives h = T/steps).")
    var steps: [Int] = [4, 8, 16, 32, 64]

    @Option(help: "Write <out>.csv and <out>.json.")
    var out: String?

    @Option(help: "Write the log-log plot of error against h here (SVG).")
    var plot: String?

    @Option(
      help:
        "Replace the region between '<!-- BEGIN <marker> -->' and '<!-- END <marker> -->' of this Markdown file with the table."
    )
    var updateDoc: String?

    @Option(help: "Marker name of the region that --update-doc replaces.")
    var marker: String = "ode-convergence"

    func validate() throws {
      guard !steps.isEmpty, steps.allSatisfy({ $0 >= 1 }) else {
        throw ValidationError("--steps must be positive integers")
      }
      guard !integrators.isEmpty else { throw ValidationError("--integrators needs at least one integrator") }
    }

    func run() throws {
      let problem = options.makeProblem()
      let sortedSteps = steps.sorted()
      let hs = sortedSteps.map { options.tEnd / Double($0) }
      var rows: [(name: String, errors: [Double], ranks: [Int])] = []
      for choice in integrators {
        var errors: [Double] = []
        var ranks: [Int] = []
        for n in sortedSteps {
          let solution = try solve(
            problem, with: try options.makeIntegrator(choice), to: options.tEnd, steps: n, errorEvery: n)
          errors.append(solution.history.last!.error ?? .nan)
          ranks.append(solution.state.blocks[0].rank)
        }
        rows.append((choice.rawValue, errors, ranks))
      }
      var best = ""
      if let kl = problem as? KochLubichProblem {
        let exact = kl.exactSolution(at: options.tEnd)
        best = String(
          format: "Best rank-%d approximation error of A(T): %.3e relative.", options.rank,
          kl.bestApproximationError(at: options.tEnd, rank: options.rank) / Double(exact.frobeniusNorm))
      }
      let header =
        "Problem `\(problem.name)`, n = \(options.size), initial rank \(options.rank), \(options.substep.rawValue) substeps, adaptive truncation \(try options.policy()), T = \(options.tEnd). Relative Frobenius error at T; order = slope of log(error) between successive h; final rank in brackets. \(best)"
      var table =
        header + "\n\n| integrator | " + hs.map { "h = \(formatH($0))" }.joined(separator: " | ")
        + " | observed order |\n"
      table += "|---|" + hs.map { _ in "---" }.joined(separator: "|") + "|---|\n"
      for row in rows {
        let cells = zip(row.errors, row.ranks).map { String(format: "%.2e [%d]", $0, $1) }
        let orders = (1..<row.errors.count).map { i in
          log(row.errors[i - 1] / row.errors[i]) / log(hs[i - 1] / hs[i])
        }
        table +=
          "| \(row.name) | " + cells.joined(separator: " | ") + " | "
          + orders.map { String(format: "%.2f", $0) }.joined(separator: ", ") + " |\n"
      }
      print(table)

      if let out {
        var csv = "integrator,steps,h,relative_error,final_rank\n"
        for row in rows {
          for (i, n) in sortedSteps.enumerated() {
            csv += "\(row.name),\(n),\(hs[i]),\(row.errors[i]),\(row.ranks[i])\n"
          }
        }
        try ResultFiles.writeAtomically(Data(csv.utf8), to: out + ".csv")
        struct Record: Codable {
          var config: [String: String]; var steps: [Int]; var errors: [String: [Double]];
          var ranks: [String: [Int]]
        }
        let record = Record(
          config: [
            "problem": problem.name, "size": "\(options.size)", "rank": "\(options.rank)",
            "substep": options.substep.rawValue,
            "tEnd": "\(options.tEnd)", "seed": "\(options.seed)",
            "truncation": try options.policy().description,
          ],
          steps: sortedSteps, errors: Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.errors) }),
          ranks: Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.ranks) }))
        try ResultFiles.writeJSON(record, to: out + ".json")
        print("wrote \(out).csv and \(out).json")
      }
      if let plot {
        var svg = SVGPlot(
          title: "\(problem.name): error at T against step size", xLabel: "step size h",
          yLabel: "relative error", logX: true, logY: true)
        svg.series = rows.map { row in .init(label: row.name, points: zip(hs, row.errors).map { ($0, $1) }) }
        try ResultFiles.writeAtomically(Data(svg.render().utf8), to: plot)
        print("wrote \(plot)")
      }
      if let updateDoc { try replaceRegion(in: updateDoc, marker: marker, with: table) }
    }

    private func formatH(_ h: Double) -> String {
      let inverse = 1 / h
      return inverse.rounded() == inverse ? "1/\(Int(inverse))" : String(format: "%.3g", h)
    }
  }
}
