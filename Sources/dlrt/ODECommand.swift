import ArgumentParser
import Foundation
import LowRankIntegrators
import MatrixManifold

/// Matrix ODE problems the CLI knows.
enum ProblemChoice: String, ExpressibleByArgument, CaseIterable {
  case heat, kochLubich = "koch-lubich", linearFactors = "linear-factors"
}

/// Integrators the CLI knows, by their report names.
enum IntegratorChoice: String, ExpressibleByArgument, CaseIterable {
  case ksl, kslStrang = "ksl-strang", bug, bugAdaptive = "bug-adaptive", bugParallel = "bug-parallel"
  case bugMidpoint = "bug-midpoint"

  var isAdaptive: Bool { [.bugAdaptive, .bugParallel, .bugMidpoint].contains(self) }
}

/// Substep solvers the CLI knows.
enum SubstepChoice: String, ExpressibleByArgument, CaseIterable { case euler, rk4 }

/// Options shared by the ODE subcommands.
struct ODEOptions: ParsableArguments {
  @Option(help: "Problem: \(ProblemChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
  var problem: ProblemChoice = .kochLubich

  @Option(help: "Matrix size n (n×n problems).")
  var size: Int = 100

  @Option(help: "Rank of the initial value (and the fixed rank of ksl, ksl-strang, bug).")
  var rank: Int = 10

  @Option(help: "Relative truncation tolerance τ of the adaptive integrators (tail ≤ τ‖σ‖).")
  var tol: Double?

  @Option(help: "Absolute truncation tolerance ϑ of the adaptive integrators (used when --tol is absent).")
  var absTol: Double = 1e-10

  @Option(help: "Largest rank the adaptive integrators may reach.")
  var maxRank: Int = 50

  @Option(help: "Substep solver: euler or rk4.")
  var substep: SubstepChoice = .rk4

  @Option(help: "Final time (the integration runs on [0, T]).")
  var tEnd: Double = 1

  @Option(help: "Seed of the random problem data.")
  var seed: UInt64 = 2007

  func validate() throws {
    guard size >= 2 else { throw ValidationError("--size must be at least 2, got \(size)") }
    guard rank >= 1, rank <= size else { throw ValidationError("--rank must be in 1...\(size), got \(rank)") }
    guard maxRank >= 1 else { throw ValidationError("--max-rank must be at least 1, got \(maxRank)") }
    if let tol, !(tol >= 0 && tol.isFinite) {
      throw ValidationError("--tol must be finite and ≥ 0, got \(tol)")
    }
    guard absTol >= 0, absTol.isFinite else {
      throw ValidationError("--abs-tol must be finite and ≥ 0, got \(absTol)")
    }
    guard tEnd > 0, tEnd.isFinite else { throw ValidationError("--t-end must be positive, got \(tEnd)") }
  }

  /// The truncation policy of the adaptive integrators.
  func policy() throws -> TruncationPolicy {
    if let tol { return try .relative(tol, maxRank: maxRank) }
    return try .absolute(absTol, maxRank: maxRank)
  }

  /// The problem, with its initial value truncated to `rank`.
  func makeProblem() -> any MatrixODEProblem {
    switch problem {
    case .heat:
      HeatProblem(
        n: size, scale: 0.25, seed: seed, initialSingularValues: (0..<rank).map { pow(0.3, Double($0)) })
    case .kochLubich: KochLubichProblem(n: size, rank: rank, seed: seed)
    case .linearFactors: LinearFactorsProblem(rows: size, columns: size, rank: rank, seed: seed)
    }
  }

  /// An integrator of the given kind with the chosen substep solver.
  func makeIntegrator(_ choice: IntegratorChoice) throws -> any LowRankIntegrator<Double> {
    switch substep {
    case .euler: try Self.integrator(choice, ExplicitEuler<Double>(), policy())
    case .rk4: try Self.integrator(choice, RungeKutta4<Double>(), policy())
    }
  }

  private static func integrator<S: SubstepSolver<Double>>(
    _ choice: IntegratorChoice, _ solver: S, _ policy: TruncationPolicy
  ) -> any LowRankIntegrator<Double> {
    switch choice {
    case .ksl: ProjectorSplitting(solver: solver, variant: .lie)
    case .kslStrang: ProjectorSplitting(solver: solver, variant: .strang)
    case .bug: BUG(solver: solver)
    case .bugAdaptive: AdaptiveBUG(solver: solver, truncation: policy)
    case .bugParallel: ParallelBUG(solver: solver, truncation: policy)
    case .bugMidpoint: MidpointBUG(solver: solver, truncation: policy)
    }
  }
}

/// Solves a problem with one integrator and returns the history with relative errors.
func solve(
  _ problem: any MatrixODEProblem, with integrator: any LowRankIntegrator<Double>, to t1: Double, steps: Int,
  errorEvery: Int = 1
) throws -> Solution<Double> {
  try solveOpened(problem, integrator, t1, steps, errorEvery)
}

private func solveOpened<P: MatrixODEProblem>(
  _ problem: P, _ integrator: any LowRankIntegrator<Double>, _ t1: Double, _ steps: Int, _ every: Int
) throws -> Solution<Double> {
  var integrator = integrator
  var field = problem.field
  let h = t1 / Double(steps)
  return try integrate(
    &integrator, field: &field, initial: LowRankState(problem.initialValue), from: 0, to: t1, steps: steps
  ) { t, state in
    let n = Int((t / h).rounded())
    guard n % every == 0 || n == steps else { return .nan }
    let exact = try problem.exactSolution(at: t)
    return Double((state.blocks[0].dense() - exact).frobeniusNorm / exact.frobeniusNorm)
  }
}

extension ODE {
  /// `dlrt ode run`: integrate one problem with one integrator, print and save the history.
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Integrate a matrix ODE with one integrator; print and save the error and rank history.")

    @OptionGroup var options: ODEOptions

    @Option(help: "Integrator: \(IntegratorChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var integrator: IntegratorChoice = .bugAdaptive

    @Option(help: "Number of time steps.")
    var steps: Int = 100

    @Option(help: "Write <out>.csv and <out>.json (directories are created).")
    var out: String?

    func validate() throws {
      guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    func run() throws {
      let problem = options.makeProblem()
      let method = try options.makeIntegrator(integrator)
      print(
        "problem \(problem.name) n=\(options.size) rank₀=\(options.rank), \(method.name) with \(options.substep.rawValue) substeps, \(steps) steps to t=\(options.tEnd)"
      )
      let start = Date()
      let solution = try solve(problem, with: method, to: options.tEnd, steps: steps)
      let seconds = Date().timeIntervalSince(start)
      let every = Swift.max(1, steps / 10)
      print("    step          t   rank     rel. error        σ_min")
      for (n, entry) in solution.history.enumerated() where n % every == 0 || n == steps {
        let sigma = entry.singularValues[0].last ?? 0
        print(
          String(
            format: "%8d %10.4f %6d %14.6e %12.3e", n, entry.time, entry.ranks[0], entry.error ?? .nan, sigma)
        )
      }
      print(
        String(
          format: "final relative error %.6e, rank %d, %.3f s", solution.history.last!.error ?? .nan,
          solution.state.blocks[0].rank, seconds))
      if let out {
        let config: [String: String] = [
          "problem": problem.name, "size": "\(options.size)", "rank": "\(options.rank)",
          "integrator": method.name,
          "substep": options.substep.rawValue, "steps": "\(steps)", "tEnd": "\(options.tEnd)",
          "seed": "\(options.seed)",
          "truncation": try options.policy().description,
        ]
        try ResultFiles.write(prefix: out, config: config, history: solution.history)
        print("wrote \(out).json and \(out).csv")
      }
    }
  }
}

/// `dlrt ode`: the matrix-ODE subcommands.
struct ODE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ode",
    abstract: "Dynamical low-rank approximation of matrix ODEs with known solutions.",
    subcommands: [Run.self, Convergence.self],
    defaultSubcommand: Run.self
  )
}
