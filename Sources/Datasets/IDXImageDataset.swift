import Foundation

/// Which part of a dataset: the training or the test files.
public enum DatasetSplit: String, Sendable, CaseIterable {
  /// `train-images…` / `train-labels…` (60 000 samples for MNIST).
  case train
  /// `t10k-images…` / `t10k-labels…` (10 000 samples for MNIST).
  case test

  /// The file name prefix used by MNIST-style datasets.
  public var filePrefix: String { self == .train ? "train" : "t10k" }
}

/// The two files of a split.
public enum IDXFileKind: String, Sendable, CaseIterable {
  /// The `…-images-idx3-ubyte` file.
  case images
  /// The `…-labels-idx1-ubyte` file.
  case labels

  /// `idx3-ubyte` for images, `idx1-ubyte` for labels.
  public var idxSuffix: String { self == .images ? "idx3-ubyte" : "idx1-ubyte" }
}

/// An MNIST-style dataset stored as four IDX files: where to look, what to expect, how to verify.
///
/// The files are found under the usual names, in this order of preference:
/// `train-images.idx3-ubyte`, `train-images-idx3-ubyte`, then the same with `.gz`
/// (and `t10k-…`, `…-labels.idx1-ubyte` alike).
public struct IDXImageDataset: Sendable {
  /// Name used in messages, e.g. "MNIST".
  public var name: String
  /// Subdirectory of a data root that holds the files, e.g. "mnist" (so `data/` works too).
  public var subdirectory: String
  /// Number of classes; every label must be below it.
  public var classCount: Int
  /// Shape of one image, e.g. `[28, 28]`.
  public var imageShape: [Int]
  /// SHA-256 (hex) of the uncompressed content, keyed by ``canonicalFileName(_:_:)``; files
  /// without an entry are not verified.
  public var checksums: [String: String]
  /// Directories searched after the given one when it has no files (e.g. a Debian package's).
  public var systemDirectories: [URL]
  /// Base URLs the `.gz` files are downloaded from, tried in order.
  public var mirrors: [URL]

  /// A dataset description; see the properties for the meaning of each argument.
  public init(
    name: String, subdirectory: String, classCount: Int, imageShape: [Int],
    checksums: [String: String] = [:], systemDirectories: [URL] = [], mirrors: [URL] = []
  ) {
    self.name = name
    self.subdirectory = subdirectory
    self.classCount = classCount
    self.imageShape = imageShape
    self.checksums = checksums
    self.systemDirectories = systemDirectories
    self.mirrors = mirrors
  }

  /// The name files are stored under after download, e.g. `train-images.idx3-ubyte`.
  public static func canonicalFileName(_ split: DatasetSplit, _ kind: IDXFileKind) -> String {
    "\(split.filePrefix)-\(kind.rawValue).\(kind.idxSuffix)"
  }

  /// The name of the gzip file on the download mirrors, e.g. `train-images-idx3-ubyte.gz`.
  public static func mirrorFileName(_ split: DatasetSplit, _ kind: IDXFileKind) -> String {
    "\(split.filePrefix)-\(kind.rawValue)-\(kind.idxSuffix).gz"
  }

  /// Every accepted file name of one file, most preferred first.
  public static func candidateFileNames(_ split: DatasetSplit, _ kind: IDXFileKind) -> [String] {
    let dotted = canonicalFileName(split, kind)
    let dashed = "\(split.filePrefix)-\(kind.rawValue)-\(kind.idxSuffix)"
    return [dotted, dashed, dotted + ".gz", dashed + ".gz"]
  }

  /// The directories searched for `directory`: itself, its ``subdirectory``, then the
  /// ``systemDirectories``.
  public func searchDirectories(for directory: URL) -> [URL] {
    var result: [URL] = []
    for candidate in [directory, directory.appendingPathComponent(subdirectory)] + systemDirectories
    where !result.contains(where: { $0.standardizedFileURL == candidate.standardizedFileURL }) {
      result.append(candidate)
    }
    return result
  }

  /// The image and label files of `split`: the first searched directory holding both.
  /// - Throws: ``DatasetError/missingFiles(dataset:searched:candidates:)``.
  public func locateFiles(in directory: URL, split: DatasetSplit) throws(DatasetError) -> (
    images: URL, labels: URL
  ) {
    let directories = searchDirectories(for: directory)
    for candidate in directories {
      if let images = Self.existingFile(in: candidate, split, .images),
        let labels = Self.existingFile(in: candidate, split, .labels)
      {
        return (images, labels)
      }
    }
    throw .missingFiles(
      dataset: name, searched: directories.map(\.path),
      candidates: Self.candidateFileNames(split, .images) + Self.candidateFileNames(split, .labels))
  }

  /// Loads one split, checking the files' SHA-256 first when `verifyChecksums` is set.
  ///
  /// - Returns: `featureCount × count` images in `[0, 1]` and their labels.
  /// - Throws: ``DatasetError`` when files are missing, unreadable, corrupt, fail their checksum,
  ///   or do not fit together.
  public func load(from directory: URL, split: DatasetSplit, verifyChecksums: Bool = true)
    throws(DatasetError)
    -> LabeledImages
  {
    let files = try locateFiles(in: directory, split: split)
    return try labeledImages(
      images: (files.images.path, try readVerified(files.images, split, .images, verify: verifyChecksums)),
      labels: (files.labels.path, try readVerified(files.labels, split, .labels, verify: verifyChecksums)))
  }

  /// One split of this data set from its parsed image and label files and the paths they came
  /// from (checked against ``classCount`` and ``imageShape``).
  func labeledImages(
    images: (path: String, content: IDXFile), labels: (path: String, content: IDXFile)
  ) throws(DatasetError) -> LabeledImages {
    try LabeledImages(
      images: images.content, labels: labels.content, classCount: classCount, imageShape: imageShape,
      imagesSource: images.path, labelsSource: labels.path)
  }

  /// Reads an IDX file, verifying the SHA-256 of its uncompressed content against ``checksums``.
  func readVerified(
    _ url: URL, _ split: DatasetSplit, _ kind: IDXFileKind, verify: Bool
  ) throws(DatasetError) -> IDXFile {
    let content = try FileAccess.readDecompressed(url)
    if verify { try checkDigest(of: content, path: url.path, split, kind) }
    return try IDXFile(parsing: content, source: url.path)
  }

  /// Throws ``DatasetError/checksumMismatch(path:expected:actual:)`` when `content` does not have
  /// the published digest (files without one pass).
  func checkDigest(of content: [UInt8], path: String, _ split: DatasetSplit, _ kind: IDXFileKind)
    throws(DatasetError)
  {
    guard let expected = checksums[Self.canonicalFileName(split, kind)] else { return }
    let actual = SHA256.hexDigest(of: content)
    guard actual == expected.lowercased() else {
      throw .checksumMismatch(path: path, expected: expected, actual: actual)
    }
  }

  static func existingFile(in directory: URL, _ split: DatasetSplit, _ kind: IDXFileKind) -> URL? {
    candidateFileNames(split, kind).lazy.map { directory.appendingPathComponent($0) }.first(
      where: FileAccess.isFile)
  }
}

/// MNIST handwritten digits (LeCun, Bottou, Bengio & Haffner 1998): 60 000 training and 10 000
/// test images of 28 × 28 pixels, 10 classes.
public enum MNIST {
  /// Where MNIST's files are looked for and how they are verified (SHA-256 of the raw files).
  public static let dataset = IDXImageDataset(
    name: "MNIST", subdirectory: "mnist", classCount: 10, imageShape: [28, 28],
    checksums: [
      "train-images.idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "train-labels.idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      "t10k-images.idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "t10k-labels.idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ],
    mirrors: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
    ].compactMap(URL.init(string:)))

  /// Loads one split from `directory` (or its `mnist` subdirectory), raw or `.gz` files.
  ///
  /// - Parameters:
  ///   - directory: the data directory.
  ///   - split: training or test files.
  ///   - verifyChecksums: compare the SHA-256 of each file's uncompressed content with the
  ///     published digest before use (default on).
  /// - Throws: ``DatasetError``; a missing file's message says how to get it (`make data`).
  public static func load(
    from directory: URL, split: DatasetSplit, verifyChecksums: Bool = true
  ) throws(DatasetError) -> LabeledImages {
    try dataset.load(from: directory, split: split, verifyChecksums: verifyChecksums)
  }

  /// Makes sure verified MNIST files are in `directory`, downloading them if allowed.
  ///
  /// See ``IDXImageDataset/ensureAvailable(in:download:timeout:log:)``.
  @discardableResult
  public static func ensureAvailable(
    in directory: URL, download: Bool, timeout: Double = 15, log: (String) -> Void = { _ in }
  ) throws(DatasetError) -> URL {
    try dataset.ensureAvailable(in: directory, download: download, timeout: timeout, log: log)
  }

  /// Both splits, each file read, verified and parsed once (downloading missing files if allowed).
  ///
  /// See ``IDXImageDataset/loadAvailable(in:download:timeout:log:)``.
  public static func loadAvailable(
    in directory: URL, download: Bool, timeout: Double = 15, log: (String) -> Void = { _ in }
  ) throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
    try dataset.loadAvailable(in: directory, download: download, timeout: timeout, log: log)
  }
}

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): Zalando article images in MNIST's format,
/// 60 000 + 10 000 images of 28 × 28 pixels, 10 classes.
///
/// Debian's package `dataset-fashion-mnist` (`make data` installs it) puts the four `.gz` files in
/// `/usr/share/datasets/fashion-mnist`, which is searched when the given directory has none.
public enum FashionMNIST {
  /// The directory Debian's `dataset-fashion-mnist` installs the files into.
  public static let debianDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

  /// Where Fashion-MNIST's files are looked for; no checksums are enforced.
  public static let dataset = IDXImageDataset(
    name: "Fashion-MNIST", subdirectory: "fashion-mnist", classCount: 10, imageShape: [28, 28],
    systemDirectories: [debianDirectory])

  /// Loads one split from `directory`, its `fashion-mnist` subdirectory, or Debian's directory.
  /// - Throws: ``DatasetError``.
  public static func load(from directory: URL, split: DatasetSplit) throws(DatasetError) -> LabeledImages {
    try dataset.load(from: directory, split: split, verifyChecksums: false)
  }
}
