import MatrixManifold

/// Mini-batches over a ``LabeledImages`` in a seeded random order, refilled in place.
///
/// The iterator owns the epoch's permutation, a `featureCount × batchSize` feature matrix and a
/// label buffer (integer labels, and one-hot columns if asked for). ``next()`` copies the next
/// samples into those buffers without allocating: hold on to the iterator, read ``features`` and
/// ``labels`` through it, and do not keep copies of them across ``next()`` calls (a kept copy
/// forces copy-on-write, i.e. one allocation per batch).
///
/// **The last batch of an epoch is kept even when partial**: with `n` samples and batch size `b`,
/// an epoch has `⌈n / b⌉` batches and the last one holds `n − (⌈n / b⌉ − 1)·b` samples. For that
/// batch ``features`` is reshaped to fewer columns with `Matrix.reshape(rows:columns:)`, which
/// keeps its capacity, so going back to full batches in the next epoch does not allocate either.
///
/// ```swift
/// var batches = try BatchIterator(dataset: training, batchSize: 64)
/// var generator = SplitMix64(seed: 1)
/// for _ in 0..<epochs {
///   batches.startEpoch(shuffledUsing: &generator)
///   while batches.next() { step(batches.features, batches.labels) }
/// }
/// ```
public struct BatchIterator: Sendable {
  /// How labels are delivered besides the integer ``labels``.
  public enum LabelEncoding: Sendable, Equatable {
    /// Integer labels only; ``oneHotLabels`` stays empty.
    case integers
    /// Also fill ``oneHotLabels`` (`classCount × batch`, a single 1 per column).
    case oneHot
  }

  /// The samples iterated over.
  public let dataset: LabeledImages
  /// The number of samples in a full batch.
  public let batchSize: Int
  /// Whether ``oneHotLabels`` is filled.
  public let labelEncoding: LabelEncoding
  /// The order of the samples in the current epoch: a permutation of `0..<dataset.count`.
  public private(set) var order: [Int]
  /// The current batch, `featureCount × currentBatchSize`; column `j` is sample `sampleIndices[j]`.
  public private(set) var features: Matrix<Float>
  /// The labels of the current batch, `currentBatchSize` of them.
  public private(set) var labels: [Int]
  /// One-hot labels of the current batch (`classCount × currentBatchSize`) for `.oneHot`, else 0×0.
  public private(set) var oneHotLabels: Matrix<Float>
  /// Positions in ``order`` of the current batch.
  public private(set) var batchPositions: Range<Int> = 0..<0
  /// How many batches of the current epoch have been delivered.
  public private(set) var batchIndex = 0

  /// The dataset indices of the samples in the current batch.
  public var sampleIndices: ArraySlice<Int> { order[batchPositions] }
  /// The number of samples in the current batch (`batchSize`, or fewer for the last one).
  public var currentBatchSize: Int { batchPositions.count }
  /// The number of batches in an epoch, `⌈count / batchSize⌉`, the last possibly partial.
  public var batchesPerEpoch: Int { (dataset.count + batchSize - 1) / batchSize }

  /// An iterator positioned at the start of an epoch in the dataset's own order; call
  /// ``startEpoch(shuffledUsing:)`` to shuffle.
  ///
  /// Allocates every buffer it will use.
  /// - Throws: ``DatasetError/invalidArgument(_:)`` when `batchSize < 1`.
  public init(dataset: LabeledImages, batchSize: Int, labelEncoding: LabelEncoding = .integers)
    throws(DatasetError)
  {
    guard batchSize >= 1 else { throw .invalidArgument("batch size must be at least 1, got \(batchSize)") }
    self.dataset = dataset
    self.batchSize = batchSize
    self.labelEncoding = labelEncoding
    order = Array(0..<dataset.count)
    features = Matrix(rows: dataset.featureCount, columns: batchSize)
    labels = []
    labels.reserveCapacity(batchSize)
    oneHotLabels =
      labelEncoding == .oneHot
      ? Matrix(rows: dataset.classCount, columns: batchSize) : Matrix(rows: 0, columns: 0)
  }

  /// Starts a new epoch in a fresh random order drawn from `generator` (Fisher–Yates).
  /// Complexity: O(count), no allocation.
  public mutating func startEpoch(shuffledUsing generator: inout some RandomNumberGenerator) {
    shuffleInPlace(&order, using: &generator)
    rewind()
  }

  /// Starts a new epoch in the dataset's own order (for evaluation).
  public mutating func startEpochInOrder() {
    for i in order.indices { order[i] = i }
    rewind()
  }

  /// Fills ``features``, ``labels`` (and ``oneHotLabels``) with the next batch.
  ///
  /// - Returns: false when the epoch is over (the buffers are then left as they were).
  /// Complexity: O(featureCount · batchSize), no allocation.
  public mutating func next() -> Bool {
    let start = batchPositions.upperBound
    guard start < order.count else { return false }
    let end = min(start + batchSize, order.count)
    batchPositions = start..<end
    batchIndex += 1
    let size = end - start
    if features.columns != size { features.reshape(rows: dataset.featureCount, columns: size) }

    let source = dataset.images
    let rows = source.rows
    let order = self.order
    source.withUnsafeBufferPointer { sourceBuffer in
      features.withUnsafeMutableBufferPointer { targetBuffer in
        guard let from = sourceBuffer.baseAddress, let to = targetBuffer.baseAddress else { return }
        for column in 0..<size {
          (to + column * rows).update(from: from + order[start + column] * rows, count: rows)
        }
      }
    }
    labels.removeAll(keepingCapacity: true)
    for position in start..<end { labels.append(dataset.labels[order[position]]) }
    if labelEncoding == .oneHot {
      let classCount = dataset.classCount
      oneHotLabels.reshape(rows: classCount, columns: size)
      let labels = self.labels
      oneHotLabels.withUnsafeMutableBufferPointer { entries in
        for column in 0..<size { entries[column * classCount + labels[column]] = 1 }
      }
    }
    return true
  }

  /// Runs `body` once per batch of a new epoch shuffled by `generator`, the last batch possibly
  /// partial; `body` reads ``features``, ``labels`` and ``oneHotLabels`` from the iterator it gets.
  public mutating func forEachBatch(
    shuffledUsing generator: inout some RandomNumberGenerator, _ body: (BatchIterator) throws -> Void
  ) rethrows {
    startEpoch(shuffledUsing: &generator)
    while next() { try body(self) }
  }

  private mutating func rewind() {
    batchPositions = 0..<0
    batchIndex = 0
  }
}
