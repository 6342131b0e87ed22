import MatrixManifold
import TestSupport
import Testing

/// Entry `(i₀, …)` of a tensor by its multi-index, computed independently of `Tensor`'s helpers.
private func entry<T: BLASScalar>(_ x: Tensor<T>, _ index: [Int]) -> T {
  var linear = 0
  var stride = 1
  for (i, n) in zip(index, x.dimensions) {
    linear += i * stride
    stride *= n
  }
  return x.elements[linear]
}

/// Every multi-index of the given dimensions.
private func multiIndices(_ dimensions: [Int]) -> [[Int]] {
  (0..<dimensions.reduce(1, *)).map { p in
    var rest = p
    return dimensions.map { n in
      defer { rest /= n }
      return rest % n
    }
  }
}

private func gaussianTensor<T: BLASScalar>(_ dimensions: [Int], using g: inout SplitMix64) -> Tensor<T> {
  let m = Matrix<T>.gaussian(rows: dimensions.reduce(1, *), columns: 1, using: &g)
  return Tensor(reshaping: m, dimensions: dimensions)
}

private func maxDifference<T: BLASScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Double {
  precondition(a.dimensions == b.dimensions)
  return zip(a.elements, b.elements).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
}

/// A random Tucker tensor with the given ranks: Gaussian core, Haar-random factors.
private func randomTucker(_ dimensions: [Int], ranks: [Int], using g: inout SplitMix64) -> TuckerTensor<
  Double
> {
  let core: Tensor<Double> = gaussianTensor(ranks, using: &g)
  let factors = zip(dimensions, ranks).map {
    Matrix<Double>.randomOrthonormal(rows: $0, columns: $1, using: &g)
  }
  guard let y = try? TuckerTensor(core: core, factors: factors) else { fatalError("random Tucker tensor") }
  return y
}

@Suite struct TuckerTensorTests {
  @Test func unfoldingFollowsKoldaBader() {
    // Row i_k, column = the other indices numbered first-fastest, checked entry by entry.
    var g = testGenerator(90)
    for dimensions in [[3, 4, 2], [2, 3, 4, 5], [5], [4, 1, 3]] {
      let x: Tensor<Double> = gaussianTensor(dimensions, using: &g)
      for k in dimensions.indices {
        let u = x.unfolding(mode: k)
        #expect(u.rows == dimensions[k] && u.columns == x.count / dimensions[k])
        for index in multiIndices(dimensions) {
          var column = 0
          var stride = 1
          for j in dimensions.indices where j != k {
            column += index[j] * stride
            stride *= dimensions[j]
          }
          #expect(u[index[k], column] == entry(x, index), "\(dimensions) mode \(k) \(index)")
        }
        #expect(Tensor(folding: u, mode: k, dimensions: dimensions) == x)
      }
    }
  }

  @Test func modeProductMatchesNaiveSum() {
    var g = testGenerator(91)
    let dimensions = [3, 4, 2, 3]
    let x: Tensor<Double> = gaussianTensor(dimensions, using: &g)
    for k in dimensions.indices {
      let a = Matrix<Double>.gaussian(rows: 5, columns: dimensions[k], using: &g)
      let y = x.modeProduct(a, mode: k)
      var expected = dimensions
      expected[k] = 5
      #expect(y.dimensions == expected)
      var worst = 0.0
      for index in multiIndices(expected) {
        var sum = 0.0
        for j in 0..<dimensions[k] {
          var source = index
          source[k] = j
          sum += a[index[k], j] * entry(x, source)
        }
        worst = Swift.max(worst, Swift.abs(sum - entry(y, index)))
      }
      // Sums of 4 products of N(0,1) numbers: rounding far below 1e-13.
      #expect(worst <= 1e-13, "mode \(k)")
    }
  }

  @Test func unfoldingOfTuckerTensorIsKroneckerProduct() {
    // Y₍ₖ₎ = U_k·C₍ₖ₎·(⊗_{j≠k} U_j)ᵀ, the identity the Tucker integrator relies on.
    var g = testGenerator(92)
    let y = randomTucker([5, 4, 6], ranks: [2, 3, 2], using: &g)
    let dense = y.dense()
    for k in 0..<3 {
      let kron = y.kroneckerOfFactors(excluding: k)
      #expect(orthonormalityError(kron) <= 1e-14)
      let viaKron = (y.factors[k] * y.core.unfolding(mode: k)).timesTransposed(kron)
      #expect(maxDifference(viaKron, dense.unfolding(mode: k)) <= 1e-13, "mode \(k)")
    }
    let a = Matrix<Double>.gaussian(rows: 2, columns: 3, using: &g)
    let b = Matrix<Double>.gaussian(rows: 4, columns: 2, using: &g)
    let ab = a.kronecker(b)
    for (ia, ja, ib, jb) in [(0, 0, 0, 0), (1, 2, 3, 1), (1, 0, 2, 1), (0, 2, 1, 0)] {
      #expect(ab[ib + 4 * ia, jb + 2 * ja] == a[ia, ja] * b[ib, jb])
    }
  }

  @Test func hosvdRecoversExactMultilinearRank() throws {
    var g = testGenerator(93)
    let y = randomTucker([8, 7, 6, 5], ranks: [3, 2, 4, 2], using: &g)
    let dense = y.dense()
    let z = try TuckerTensor(truncating: dense, policy: .relative(1e-10))
    #expect(z.ranks == [3, 2, 4, 2])
    for u in z.factors { #expect(orthonormalityError(u) <= 1e-13) }
    // HOSVD of an exact rank tensor reproduces it up to rounding of the SVDs.
    #expect(maxDifference(z.dense(), dense) <= 1e-12 * Double(dense.norm))
    #expect(z.parameterCount == 3 * 2 * 4 * 2 + 8 * 3 + 7 * 2 + 6 * 4 + 5 * 2)
  }

  func checkTruncationError<T: BLASScalar>(_: T.Type) throws {
    var g = testGenerator(94)
    let x: Tensor<T> = gaussianTensor([6, 5, 4], using: &g)
    for r in [1, 2, 3] {
      let t = try TuckerTensor.truncate(
        core: x, factors: x.dimensions.map { Matrix<T>.identity($0) }, policy: .fixedRank(r))
      #expect(t.tensor.ranks == [r, r, r])
      let error = Double(
        zip(t.tensor.dense().elements, x.elements).reduce(T.zero) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
          .squareRoot())
      // De Lathauwer et al.: max_k tail_k ≤ ‖X − X̃‖ ≤ sqrt(Σ_k tail_k²).
      let tails = t.singularValues.map { s in
        Double(s.dropFirst(r).reduce(T.zero) { $0 + $1 * $1 }.squareRoot())
      }
      let slack = tolerance(T.self, terms: x.count, factor: 100) * Double(x.norm)
      #expect(error <= Double(t.discardedNormBound) + slack, "r=\(r)")
      #expect(error >= tails.max()! - slack, "r=\(r)")
    }
  }

  @Test func truncationErrorIsWithinHOSVDBounds() throws {
    try checkTruncationError(Float.self)
    try checkTruncationError(Double.self)
  }

  @Test func orderTwoTruncationIsTheTruncatedSVD() throws {
    var g = testGenerator(95)
    let a = Matrix<Double>.gaussian(rows: 9, columns: 7, using: &g)
    for r in [1, 3, 7] {
      let tucker = try TuckerTensor(
        truncating: Tensor(reshaping: a, dimensions: [9, 7]), policy: .fixedRank(r))
      let svd = try LowRankMatrix(truncating: a, policy: .fixedRank(r))
      #expect(maxDifference(tucker.dense().matrix(rows: 9), svd.dense()) <= 1e-13, "r=\(r)")
    }
  }

  @Test func modesCutIndependentlyKeepAFullRankCore() throws {
    // X = x⊗y⊗z + x′⊗(ε y′⊗z + ε y⊗z′) with orthonormal pairs: at τ = 0.35 mode 0 keeps 2
    // directions while modes 1 and 2 keep 1, and a 2×1×1 core has mode-0 rank 1. The result
    // must be reduced to ranks [1, 1, 1] without changing the tensor.
    var g = testGenerator(96)
    let (bx, by, bz) = (
      Matrix<Double>.randomOrthonormal(rows: 4, columns: 2, using: &g),
      Matrix<Double>.randomOrthonormal(rows: 3, columns: 2, using: &g),
      Matrix<Double>.randomOrthonormal(rows: 5, columns: 2, using: &g)
    )
    var core = Tensor<Double>(dimensions: [2, 2, 2])
    let eps = 0.3
    var c = core.unfolding(mode: 0)
    c[0, 0] = 1  // (0, 0, 0)
    c[1, 1] = eps  // (1, 1, 0)
    c[1, 2] = eps  // (1, 0, 1)
    core = Tensor(folding: c, mode: 0, dimensions: [2, 2, 2])
    let x = core.multiplied(by: [bx, by, bz])
    let t = try TuckerTensor.truncate(
      core: x, factors: x.dimensions.map { Matrix<Double>.identity($0) }, policy: .relative(0.35))
    let policy = try TruncationPolicy.relative(0.35)
    #expect(t.singularValues.map { policy.rank(for: $0) } == [2, 1, 1])  // the case this test is about
    #expect(t.tensor.ranks == [1, 1, 1])
    #expect(try TuckerTensor(core: t.tensor.core, factors: t.tensor.factors).ranks == [1, 1, 1])
    let error = zip(t.tensor.dense().elements, x.elements).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    #expect(error.squareRoot() <= t.discardedNormBound + 1e-12)
  }

  @Test func badFactorsAreRejected() {
    let core = Tensor<Double>(dimensions: [2, 1, 1], repeating: 1)
    let factors = [Matrix<Double>.identity(2), .identity(1), .identity(1)]
    #expect(throws: MatrixError.self) { try TuckerTensor(core: core, factors: factors) }  // 2 > 1·1
    let square = Tensor<Double>(dimensions: [2, 2], repeating: 1)
    #expect(throws: MatrixError.self) { try TuckerTensor(core: square, factors: [.identity(2)]) }
    #expect(throws: MatrixError.self) {
      try TuckerTensor(
        core: Tensor<Double>(dimensions: [2, 2], repeating: .nan), factors: [.identity(2), .identity(2)])
    }
    #expect(throws: MatrixError.self) { try Tensor<Double>(dimensions: [2, 3], elements: [1, 2]) }
  }
}
