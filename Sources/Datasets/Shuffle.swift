/// A uniformly random integer in `0..<bound` (Lemire 2019, "Fast random integer generation in an
/// interval"), written out so that a seed gives the same sequence whatever the Swift version.
func uniformRandom(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
  precondition(bound > 0, "uniformRandom(below:) needs a positive bound, got \(bound)")
  let range = UInt64(bound)
  var product = generator.next().multipliedFullWidth(by: range)
  if product.low < range {
    let threshold = (0 &- range) % range
    while product.low < threshold {
      product = generator.next().multipliedFullWidth(by: range)
    }
  }
  return Int(product.high)
}

/// Shuffles `values` in place by Fisher–Yates with ``uniformRandom(below:using:)``.
/// Complexity: O(n), no allocation.
func shuffleInPlace(_ values: inout [Int], using generator: inout some RandomNumberGenerator) {
  guard values.count > 1 else { return }
  for i in stride(from: values.count - 1, to: 0, by: -1) {
    let j = uniformRandom(below: i + 1, using: &generator)
    values.swapAt(i, j)
  }
}
