import Foundation
import MatrixManifold

/// A labelled image dataset held in memory, one sample per column.
///
/// `images` is `featureCount × count` with pixels scaled to `[0, 1]` (byte / 255), each column an
/// image flattened row by row, as `y = W x` over a batch wants it. `labels[j]` is the class of
/// column `j`, in `0..<classCount`.
public struct LabeledImages: Sendable, Equatable {
  /// The images, `featureCount × count`, entries in `[0, 1]`.
  public private(set) var images: Matrix<Float>
  /// The class of each column of `images`, each in `0..<classCount`.
  public private(set) var labels: [Int]
  /// The number of classes.
  public let classCount: Int
  /// The shape of one image, e.g. `[28, 28]`; its product is `featureCount`.
  public let imageShape: [Int]

  /// The number of samples.
  public var count: Int { labels.count }
  /// The number of values per sample (784 for MNIST).
  public var featureCount: Int { images.rows }

  /// A dataset over the given images and labels.
  ///
  /// - Throws: ``DatasetError/invalidArgument(_:)`` when the column count differs from the label
  ///   count, `imageShape` does not multiply to `images.rows`, or `classCount < 1`;
  ///   ``DatasetError/labelOutOfRange(path:index:label:classCount:)`` for a bad label.
  public init(images: Matrix<Float>, labels: [Int], classCount: Int, imageShape: [Int]) throws(DatasetError) {
    guard classCount >= 1 else { throw .invalidArgument("classCount must be at least 1, got \(classCount)") }
    guard images.columns == labels.count else {
      throw .invalidArgument("\(images.columns) image columns but \(labels.count) labels")
    }
    guard imageShape.reduce(1, *) == images.rows else {
      throw .invalidArgument("image shape \(imageShape) does not have \(images.rows) pixels")
    }
    if let index = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
      throw .labelOutOfRange(path: "labels", index: index, label: labels[index], classCount: classCount)
    }
    self.images = images
    self.labels = labels
    self.classCount = classCount
    self.imageShape = imageShape
  }

  /// A dataset from an IDX image file (`count × rows × columns …`) and an IDX label file (`count`).
  ///
  /// - Parameters:
  ///   - images: the parsed image file.
  ///   - labels: the parsed label file.
  ///   - classCount: the number of classes; labels must be in `0..<classCount`.
  ///   - imageShape: the required shape of one image; nil accepts any.
  ///   - imagesSource: the image file's name, used in error messages.
  ///   - labelsSource: the label file's name, used in error messages.
  /// - Throws: ``DatasetError`` when the dimensions are wrong, the counts differ, or a label is
  ///   outside `0..<classCount`.
  public init(
    images: IDXFile, labels: IDXFile, classCount: Int, imageShape: [Int]? = nil,
    imagesSource: String = "images", labelsSource: String = "labels"
  ) throws(DatasetError) {
    guard classCount >= 1, classCount <= 256 else {
      throw .invalidArgument("classCount must be in 1...256 for byte labels, got \(classCount)")
    }
    guard images.dimensions.count >= 2 else {
      throw .unexpectedDimensions(
        path: imagesSource, expected: "[count, rows, columns …]", actual: images.dimensions)
    }
    let shape = Array(images.dimensions.dropFirst())
    if let imageShape, shape != imageShape {
      throw .unexpectedDimensions(
        path: imagesSource, expected: "[count] + \(imageShape)", actual: images.dimensions)
    }
    guard labels.dimensions.count == 1 else {
      throw .unexpectedDimensions(path: labelsSource, expected: "[count]", actual: labels.dimensions)
    }
    let count = images.dimensions[0]
    guard count == labels.dimensions[0] else {
      throw .sampleCountMismatch(
        imagesPath: imagesSource, imageCount: count, labelsPath: labelsSource,
        labelCount: labels.dimensions[0])
    }
    if let index = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
      throw .labelOutOfRange(
        path: labelsSource, index: index, label: Int(labels.bytes[index]), classCount: classCount)
    }
    let featureCount = shape.reduce(1, *)
    var matrix = Matrix<Float>(rows: featureCount, columns: count)
    // Row-major image k occupies bytes k·featureCount ..< (k+1)·featureCount, exactly column k.
    matrix.withUnsafeMutableBufferPointer { pixels in
      images.bytes.withUnsafeBufferPointer { bytes in
        for i in 0..<bytes.count { pixels[i] = Float(bytes[i]) / 255 }
      }
    }
    self.images = matrix
    self.labels = labels.bytes.map(Int.init)
    self.classCount = classCount
    self.imageShape = shape
  }

  /// Reads a dataset from an IDX image file and an IDX label file, each raw or gzip-compressed.
  ///
  /// No checksum is verified here; see ``IDXImageDataset/load(from:split:verifyChecksums:)``.
  /// - Throws: ``DatasetError`` for unreadable, corrupt or mismatched files.
  public init(imagesFile: URL, labelsFile: URL, classCount: Int, imageShape: [Int]? = nil)
    throws(DatasetError)
  {
    try self.init(
      images: IDXFile(contentsOf: imagesFile), labels: IDXFile(contentsOf: labelsFile),
      classCount: classCount, imageShape: imageShape,
      imagesSource: imagesFile.path, labelsSource: labelsFile.path)
  }

  /// The samples at `indices`, in that order. Complexity: O(`indices.count · featureCount`).
  public func subset(_ indices: [Int]) -> LabeledImages {
    let rows = featureCount
    precondition(indices.allSatisfy { $0 >= 0 && $0 < count }, "subset: an index is outside 0..<\(count)")
    var result = Matrix<Float>(rows: rows, columns: indices.count)
    images.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        guard let from = source.baseAddress, let to = target.baseAddress else { return }
        for (column, sample) in indices.enumerated() {
          (to + column * rows).update(from: from + sample * rows, count: rows)
        }
      }
    }
    var copy = self
    copy.images = result
    copy.labels = indices.map { labels[$0] }
    return copy
  }

  /// A random split into a training and a validation part, disjoint and covering every sample.
  ///
  /// The validation part has `round(validationFraction · count)` samples chosen uniformly by a
  /// seeded Fisher–Yates shuffle; both parts keep the original order of their samples.
  /// - Throws: ``DatasetError/invalidArgument(_:)`` unless `0 ≤ validationFraction < 1`.
  public func split(
    validationFraction: Double, using generator: inout some RandomNumberGenerator
  ) throws(DatasetError) -> (training: LabeledImages, validation: LabeledImages) {
    guard validationFraction >= 0, validationFraction < 1 else {
      throw .invalidArgument("validation fraction must be in [0, 1), got \(validationFraction)")
    }
    let validationCount = Int((validationFraction * Double(count)).rounded())
    var order = Array(0..<count)
    shuffleInPlace(&order, using: &generator)
    let validation = order[..<validationCount].sorted()
    let training = order[validationCount...].sorted()
    return (subset(training), subset(validation))
  }
}
