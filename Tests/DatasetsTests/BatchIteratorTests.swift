import MatrixManifold
import Testing
import TestSupport

@testable import Datasets

@Suite struct BatchIteratorTests {
  func dataset(count: Int) throws -> LabeledImages {
    let (images, labels) = sampleFiles(count: count, shape: [2, 2], classCount: 3)
    return try LabeledImages(images: images, labels: labels, classCount: 3)
  }

  @Test func shuffleIsARepeatablePermutation() throws {
    var batches = try BatchIterator(dataset: dataset(count: 40), batchSize: 8)
    var generator = testGenerator(1)
    batches.startEpoch(shuffledUsing: &generator)
    let first = batches.order
    #expect(first.sorted() == Array(0..<40))
    #expect(first != Array(0..<40))

    var again = try BatchIterator(dataset: dataset(count: 40), batchSize: 8)
    var sameSeed = testGenerator(1)
    again.startEpoch(shuffledUsing: &sameSeed)
    #expect(again.order == first)

    var otherSeed = testGenerator(2)
    again.startEpoch(shuffledUsing: &otherSeed)
    #expect(again.order != first)
    #expect(again.order.sorted() == Array(0..<40))
  }

  /// 23 samples in batches of 5: four full batches and a last one of 3, every epoch.
  @Test(arguments: [1, 5, 23, 30])
  func everySampleOncePerEpochIncludingTheLastPartialBatch(batchSize: Int) throws {
    let count = 23
    var batches = try BatchIterator(dataset: dataset(count: count), batchSize: batchSize)
    var generator = testGenerator(3)
    #expect(batches.batchesPerEpoch == (count + batchSize - 1) / batchSize)
    for _ in 0..<3 {
      batches.startEpoch(shuffledUsing: &generator)
      var seen: [Int] = []
      var sizes: [Int] = []
      while batches.next() {
        seen += batches.sampleIndices
        sizes.append(batches.currentBatchSize)
        #expect(batches.features.columns == batches.currentBatchSize)
        #expect(batches.labels.count == batches.currentBatchSize)
      }
      #expect(seen.sorted() == Array(0..<count))
      #expect(sizes.count == batches.batchesPerEpoch)
      #expect(sizes.dropLast().allSatisfy { $0 == batchSize })
      #expect(sizes.last == count - (sizes.count - 1) * batchSize)
      let more = batches.next()
      #expect(!more)  // stays finished until the next epoch
    }
  }

  @Test func batchColumnsAreTheRightImages() throws {
    let data = try dataset(count: 17)
    var batches = try BatchIterator(dataset: data, batchSize: 4, labelEncoding: .oneHot)
    var generator = testGenerator(5)
    batches.startEpoch(shuffledUsing: &generator)
    while batches.next() {
      for (column, sample) in batches.sampleIndices.enumerated() {
        #expect(batches.features.column(column) == data.images.column(sample))
        #expect(batches.labels[column] == data.labels[sample])
        let oneHot = batches.oneHotLabels.column(column)
        #expect(oneHot == (0..<3).map { $0 == data.labels[sample] ? 1 : 0 })
      }
    }
  }

  /// The batch buffers keep their storage across batches, the partial last one and new epochs.
  @Test func batchesReuseTheirStorage() throws {
    var batches = try BatchIterator(dataset: dataset(count: 10), batchSize: 4, labelEncoding: .oneHot)
    func addresses(_ b: BatchIterator) -> [UnsafeRawPointer?] {
      [
        b.features.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) },
        b.oneHotLabels.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) },
        b.labels.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) },
      ]
    }
    var generator = testGenerator(9)
    batches.startEpoch(shuffledUsing: &generator)
    let started = batches.next()
    #expect(started)
    let initial = addresses(batches)
    for _ in 0..<3 {
      while batches.next() { #expect(addresses(batches) == initial) }
      batches.startEpoch(shuffledUsing: &generator)
    }
  }

  @Test func inOrderEpochAndClosureForm() throws {
    let data = try dataset(count: 7)
    var batches = try BatchIterator(dataset: data, batchSize: 3)
    var seen: [Int] = []
    while batches.next() { seen += batches.sampleIndices }
    #expect(seen == Array(0..<7))  // a new iterator starts an in-order epoch

    var generator = testGenerator(11)
    var labels: [Int] = []
    batches.forEachBatch(shuffledUsing: &generator) { batch in labels += batch.labels }
    #expect(labels.sorted() == data.labels.sorted())
    batches.startEpochInOrder()
    #expect(batches.order == Array(0..<7))
  }

  @Test func batchSizeMustBePositive() throws {
    let data = try dataset(count: 3)
    guard case .invalidArgument = thrownError({ _ = try BatchIterator(dataset: data, batchSize: 0) }) else {
      Issue.record("expected invalidArgument")
      return
    }
  }
}
