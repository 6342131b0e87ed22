import ArgumentParser
import Datasets
import Foundation

/// `dlrt data`: make a data set available.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Check (and if allowed download) a data set: verified files in place, or how to provide them.")

  @Argument(help: "mnist, fashion-mnist (or synthetic, which needs no files).")
  var dataset: DatasetChoice = .mnist

  @Option(help: "Directory for the IDX files (default: $DLRT_DATA, else data/).")
  var dir: String?

  @Flag(inversion: .prefixedNo, help: "Download from the public mirrors when the files are missing.")
  var download = true

  func run() throws {
    let directory = DataDirectory.resolve(explicit: dir)
    switch dataset {
    case .mnist:
      let found = try MNIST.ensureAvailable(in: directory, download: download, log: { print($0) })
      print("MNIST verified in \(found.path)")
    case .fashionMNIST:
      let train = try FashionMNIST.load(from: directory, split: .train)
      print("Fashion-MNIST available: \(train.count) training images")
    case .synthetic:
      print("synthetic data are generated on the fly; nothing to fetch")
    }
  }
}
