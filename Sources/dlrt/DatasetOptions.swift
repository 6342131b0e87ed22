import ArgumentParser
import Datasets
import Foundation

/// Data sets the CLI can train on.
enum DatasetChoice: String, ExpressibleByArgument, CaseIterable, Codable {
  case mnist
  case fashionMNIST = "fashion-mnist"
}

/// Where the data comes from; shared by `train` and `evaluate`.
struct DatasetOptions: ParsableArguments {
  @Option(help: "Data set: mnist or fashion-mnist.")
  var dataset: DatasetChoice = .mnist

  @Option(help: "Directory with the IDX files (default: $DLRT_DATA, else data/).")
  var dataDir: String?

  @Flag(help: "Download MNIST from the public mirrors if it is missing (checksums are verified).")
  var download = false

  /// The resolved data directory.
  var directory: URL { DataDirectory.resolve(explicit: dataDir) }

  /// Training and test splits.
  func load(log: (String) -> Void) throws -> (train: LabeledImages, test: LabeledImages) {
    switch dataset {
    case .mnist:
      let dir = try MNIST.ensureAvailable(in: directory, download: download, log: log)
      return (try MNIST.load(from: dir, split: .train), try MNIST.load(from: dir, split: .test))
    case .fashionMNIST:
      return (
        try FashionMNIST.load(from: directory, split: .train),
        try FashionMNIST.load(from: directory, split: .test)
      )
    }
  }
}
