import ArgumentParser
import Datasets
import Foundation

/// Data sets the CLI can train on.
enum DatasetChoice: String, ExpressibleByArgument, CaseIterable, Codable {
  case mnist
  case fashionMNIST = "fashion-mnist"
  /// A generated MNIST-shaped stand-in (``SyntheticImages``) for runs without the real data.
  case synthetic
}

/// Where the data comes from; shared by `train` and `evaluate`.
struct DatasetOptions: ParsableArguments {
  @Option(
    help:
      "Data set: mnist, fashion-mnist, or synthetic (a generated MNIST-shaped stand-in, sparse like MNIST, 10 000 training and 2 000 test samples, for runs without the real data; its accuracies say nothing about MNIST)."
  )
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
      return try MNIST.loadAvailable(in: directory, download: download, log: log)
    case .fashionMNIST:
      return (
        try FashionMNIST.load(from: directory, split: .train),
        try FashionMNIST.load(from: directory, split: .test)
      )
    case .synthetic:
      return (
        SyntheticImages.generate(count: 10_000, split: .train),
        SyntheticImages.generate(count: 2_000, split: .test)
      )
    }
  }
}
