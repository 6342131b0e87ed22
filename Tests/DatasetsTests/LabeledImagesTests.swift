import Foundation
import MatrixManifold
import Testing
import TestSupport

@testable import Datasets

@Suite struct LabeledImagesTests {
  @Test func columnsAreScaledImages() throws {
    try withTemporaryDirectory { directory in
      let (images, labels) = sampleFiles(count: 9, shape: [3, 2], classCount: 4)
      let imagesURL = directory.appendingPathComponent("i.gz")
      let labelsURL = directory.appendingPathComponent("l")
      try images.write(to: imagesURL, compressed: true)
      try labels.write(to: labelsURL)
      let data = try LabeledImages(
        imagesFile: imagesURL, labelsFile: labelsURL, classCount: 4, imageShape: [3, 2])
      #expect(data.images.shape == Shape(rows: 6, columns: 9))
      #expect(data.count == 9 && data.featureCount == 6 && data.imageShape == [3, 2] && data.classCount == 4)
      for k in 0..<9 {
        #expect(data.images.column(k) == (0..<6).map { samplePixel(k, $0) })
        #expect(data.labels[k] == k % 4)
      }
      #expect(data.images.elements.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
  }

  @Test func imageAndLabelCountsMustAgree() {
    let images = sampleFiles(count: 5).images
    let labels = sampleFiles(count: 4).labels
    let error = thrownError {
      _ = try LabeledImages(
        images: images, labels: labels, classCount: 4, imagesSource: "i", labelsSource: "l")
    }
    #expect(error == .sampleCountMismatch(imagesPath: "i", imageCount: 5, labelsPath: "l", labelCount: 4))
  }

  @Test func labelsMustBeBelowClassCount() throws {
    let (images, _) = sampleFiles(count: 3)
    let labels = try IDXFile(dimensions: [3], bytes: [0, 10, 2])
    let error = thrownError {
      _ = try LabeledImages(
        images: images, labels: labels, classCount: 10, imagesSource: "i", labelsSource: "l")
    }
    #expect(error == .labelOutOfRange(path: "l", index: 1, label: 10, classCount: 10))
  }

  @Test func imageDimensionsAreChecked() throws {
    let (images, labels) = sampleFiles(count: 3, shape: [3, 2])
    let wrongShape = thrownError {
      _ = try LabeledImages(
        images: images, labels: labels, classCount: 4, imageShape: [28, 28], imagesSource: "i")
    }
    #expect(
      wrongShape == .unexpectedDimensions(path: "i", expected: "[count] + [28, 28]", actual: [3, 3, 2]))
    // Swapping the files: a label file has one dimension, an image file at least two.
    guard
      case .unexpectedDimensions = thrownError({
        _ = try LabeledImages(images: labels, labels: images, classCount: 4)
      })
    else {
      Issue.record("expected unexpectedDimensions")
      return
    }
  }

  @Test func splitSizesAreDisjointAndCoverEverything() throws {
    let (images, labels) = sampleFiles(count: 50)
    let data = try LabeledImages(images: images, labels: labels, classCount: 4)
    var generator = testGenerator(7)
    let (training, validation) = try data.split(validationFraction: 0.2, using: &generator)
    #expect(training.count == 40 && validation.count == 10)
    // Each column identifies its sample (pixel 0 is (31k + 3) mod 256, distinct for k < 50).
    let sampleOf: (LabeledImages, Int) -> Int = { set, j in
      (0..<50).first { samplePixel($0, 0) == set.images[0, j] } ?? -1
    }
    let trainingSamples = Set((0..<training.count).map { sampleOf(training, $0) })
    let validationSamples = Set((0..<validation.count).map { sampleOf(validation, $0) })
    #expect(trainingSamples.isDisjoint(with: validationSamples))
    #expect(trainingSamples.union(validationSamples) == Set(0..<50))
    for j in 0..<validation.count { #expect(validation.labels[j] == sampleOf(validation, j) % 4) }

    var same = testGenerator(7)
    #expect(try data.split(validationFraction: 0.2, using: &same).validation == validation)
    var other = testGenerator(8)
    #expect(try data.split(validationFraction: 0.2, using: &other).validation != validation)
  }

  @Test(arguments: [-0.1, 1.0, Double.nan])
  func splitRejectsBadFractions(fraction: Double) throws {
    let (images, labels) = sampleFiles(count: 5)
    let data = try LabeledImages(images: images, labels: labels, classCount: 4)
    var generator = testGenerator()
    guard
      case .invalidArgument = thrownError({
        _ = try data.split(validationFraction: fraction, using: &generator)
      })
    else {
      Issue.record("expected invalidArgument for \(fraction)")
      return
    }
  }
}
