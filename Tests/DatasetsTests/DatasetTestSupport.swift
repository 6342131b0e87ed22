import Foundation
import TestSupport
import Testing

@testable import Datasets

/// Runs `body` with a fresh temporary directory that is removed afterwards.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
  let directory = try temporaryDirectory("DatasetsTests")
  defer { try? FileManager.default.removeItem(at: directory) }
  return try body(directory)
}

/// A small labelled image set as IDX files: pixel `p` of image `k` is `(31k + 7p + 3) mod 256`,
/// label `k mod classCount`, so every column is different and easy to recompute.
func sampleFiles(count: Int, shape: [Int] = [3, 2], classCount: Int = 4) -> (images: IDXFile, labels: IDXFile)
{
  let pixels = shape.reduce(1, *)
  var bytes: [UInt8] = []
  for k in 0..<count {
    for p in 0..<pixels { bytes.append(UInt8((31 * k + 7 * p + 3) % 256)) }
  }
  let labels = (0..<count).map { UInt8($0 % classCount) }
  // The sizes match by construction.
  return (
    try! IDXFile(dimensions: [count] + shape, bytes: bytes), try! IDXFile(dimensions: [count], bytes: labels)
  )
}

/// The expected pixel value (scaled to [0, 1]) of pixel `p` of image `k` from ``sampleFiles``.
func samplePixel(_ k: Int, _ p: Int) -> Float { Float((31 * k + 7 * p + 3) % 256) / 255 }

/// Writes the raw bytes to `url` (no validation, for corrupt-file tests).
func writeBytes(_ bytes: [UInt8], to url: URL) throws {
  try Data(bytes).write(to: url)
}

/// Writes a train and a test split of ``sampleFiles`` under the given naming.
func writeSampleDataset(
  in directory: URL, counts: (train: Int, test: Int) = (12, 5), shape: [Int] = [3, 2], classCount: Int = 4,
  name: (DatasetSplit, IDXFileKind) -> String = IDXImageDataset.canonicalFileName, compressed: Bool = false
) throws {
  for (split, kind, file) in sampleDataset(counts: counts, shape: shape, classCount: classCount) {
    try file.write(to: directory.appendingPathComponent(name(split, kind)), compressed: compressed)
  }
}

/// The four files of a sample data set (``sampleFiles``, `counts` images per split), each with its
/// split and kind.
func sampleDataset(counts: (train: Int, test: Int) = (12, 5), shape: [Int] = [3, 2], classCount: Int = 4)
  -> [(split: DatasetSplit, kind: IDXFileKind, file: IDXFile)]
{
  DatasetSplit.allCases.flatMap { split in
    let files = sampleFiles(
      count: split == .train ? counts.train : counts.test, shape: shape, classCount: classCount)
    return [(split, IDXFileKind.images, files.images), (split, .labels, files.labels)]
  }
}

/// The ``DatasetError`` `body` throws, or nil (recording a test failure) when it throws nothing or
/// another error. (`body` is untyped: calls that use default arguments inside a closure currently
/// lose their typed-throws type in Swift 6.3.)
func thrownError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> DatasetError? {
  do {
    try body()
  } catch let error as DatasetError {
    return error
  } catch {
    Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    return nil
  }
  Issue.record("expected a DatasetError, nothing was thrown", sourceLocation: sourceLocation)
  return nil
}
