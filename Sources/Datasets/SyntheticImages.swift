import MatrixManifold

/// A generated stand-in for an MNIST-shaped data set: 28×28 images of 10 classes, sparse like
/// MNIST. Each class lights a fixed random 15% of the pixels; a sample keeps each of its class's
/// lit pixels with probability 0.8 and lights 3% noise pixels, each lit pixel with an intensity
/// uniform in [180, 255]/255.
///
/// It lets every command and `make` target run where MNIST is absent (CI, quick checks): the
/// classes are learnable, but accuracies on it say nothing about MNIST. The data depend only on
/// `seed` and the split, so runs with different training seeds see the same samples.
public enum SyntheticImages {
  /// The shape of one image.
  public static let imageShape = [28, 28]
  /// The number of classes.
  public static let classCount = 10

  /// `count` samples (labels cycling through the classes) of the problem fixed by `seed`;
  /// `split` selects an independent draw of the noise (train and test differ).
  public static func generate(count: Int, split: DatasetSplit, seed: UInt64 = 0x5EED) -> LabeledImages {
    precondition(count >= 1, "SyntheticImages: count \(count) must be positive")
    let pixels = imageShape.reduce(1, *)
    var prototypeGenerator = SplitMix64(seed: seed)
    let lit = (0..<(pixels * classCount)).map { _ in unitFloat(&prototypeGenerator) < 0.15 }
    var noiseGenerator = SplitMix64(seed: seed &+ (split == .train ? 1 : 2))
    let labels = (0..<count).map { $0 % classCount }
    var images = Matrix<Float>(rows: pixels, columns: count)
    images.withUnsafeMutableBufferPointer { x in
      for j in 0..<count {
        let p = labels[j] * pixels
        for i in 0..<pixels {
          let on = unitFloat(&noiseGenerator) < (lit[p + i] ? 0.8 : 0.03)
          let intensity = (180 + 75 * unitFloat(&noiseGenerator)) / 255
          x[j * pixels + i] = on ? intensity : 0
        }
      }
    }
    // Shapes and labels are consistent by construction.
    guard
      let data = try? LabeledImages(
        images: images, labels: labels, classCount: classCount, imageShape: imageShape)
    else { fatalError("SyntheticImages: inconsistent construction") }
    return data
  }

  /// A float uniform in [0, 1) from the top 24 bits of the generator's next word.
  private static func unitFloat(_ g: inout SplitMix64) -> Float {
    Float(g.next() >> 40) * 0x1p-24
  }
}
