import ArgumentParser

/// The `dlrt` command: dynamical low-rank approximation and training from the command line.
@main
struct DLRT: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dlrt",
    abstract: "Dynamical low-rank approximation of matrix ODEs and dynamical low-rank training.",
    subcommands: [
      Train.self, Evaluate.self, Compress.self, Summarize.self, Plot.self, Timing.self, DataCommand.self,
      ODE.self,
    ]
  )
}
