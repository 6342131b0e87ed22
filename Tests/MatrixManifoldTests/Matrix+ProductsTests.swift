import Dispatch
@testable import MatrixManifold
import TestSupport
import Synchronization
import Testing

@Suite struct MatrixProductsTests {
  func checkEveryTransposeCombination<T: BLASScalar>(_: T.Type) {
    var g = testGenerator(1)
    for (m, n) in testShapes {
      for k in [1, 4, 13] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
          let a = Matrix<T>.gaussian(rows: ta ? k : m, columns: ta ? m : k, using: &g)
          let b = Matrix<T>.gaussian(rows: tb ? n : k, columns: tb ? k : n, using: &g)
          let expected = naiveProduct(a, b, transposeA: ta, transposeB: tb)
          // Start from a random C to check that β = 0 really overwrites it.
          var c = Matrix<T>.gaussian(rows: m, columns: n, using: &g)
          c.formProduct(a, b, opA: ta ? .transposed : .none, opB: tb ? .transposed : .none)
          // Each entry sums k products of N(0,1) numbers: error ≲ k·ε·Σ|a||b| ≈ k·ε·k.
          let tol = tolerance(T.self, terms: k * k, factor: 20)
          #expect(maxDifference(c, expected) <= tol, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) \(T.self)")
        }
      }
    }
  }

  @Test func gemmAgainstNaiveLoop() {
    checkEveryTransposeCombination(Float.self)
    checkEveryTransposeCombination(Double.self)
  }

  @Test func alphaBetaAccumulate() {
    var g = testGenerator(2)
    let a = Matrix<Double>.gaussian(rows: 6, columns: 4, using: &g)
    let b = Matrix<Double>.gaussian(rows: 4, columns: 5, using: &g)
    let c0 = Matrix<Double>.gaussian(rows: 6, columns: 5, using: &g)
    var c = c0
    c.formProduct(a, b, alpha: 2, beta: -3)
    var expected = naiveProduct(a, b)
    expected.scale(by: 2)
    expected.add(c0, scaledBy: -3)
    #expect(maxDifference(c, expected) <= 1e-13)
  }

  @Test func productIntoColumnBlockLeavesOtherColumns() {
    var g = testGenerator(3)
    let a = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
    let b = Matrix<Double>.gaussian(rows: 3, columns: 2, using: &g)
    let c0 = Matrix<Double>.gaussian(rows: 5, columns: 6, using: &g)
    var c = c0
    c.formProduct(a, b, columns: 2..<4)
    let ab = naiveProduct(a, b)
    for i in 0..<5 {
      for j in 0..<6 {
        let expected = (2..<4).contains(j) ? ab[i, j - 2] : c0[i, j]
        #expect(Swift.abs(c[i, j] - expected) <= 1e-14)
      }
    }
  }

  @Test func viewsFeedGEMMWithoutCopy() {
    var g = testGenerator(4)
    let a = Matrix<Double>.gaussian(rows: 9, columns: 7, using: &g)
    let b = Matrix<Double>.gaussian(rows: 4, columns: 5, using: &g)
    // Rows 2..<7, columns 1..<5 of A, times B.
    let block = a.block(rows: 2..<7, columns: 1..<5)
    let copy = Matrix(block)
    let viaView = Matrix.product(block, b)
    #expect(maxDifference(viaView, naiveProduct(copy, b)) <= 1e-13)
    for i in 0..<5 { for j in 0..<4 { #expect(copy[i, j] == a[i + 2, j + 1]) } }
    // A transposed block as the left operand, and a matrix-vector product through GEMV.
    let x = Matrix<Double>.gaussian(rows: 5, columns: 1, using: &g)
    let y = Matrix.product(block, x, opA: .transposed)
    #expect(maxDifference(y, naiveProduct(copy, x, transposeA: true)) <= 1e-13)
    let row = Matrix<Double>.gaussian(rows: 1, columns: 4, using: &g)
    let z = Matrix.product(block, row, opB: .transposed)  // GEMV with a strided vector
    #expect(maxDifference(z, naiveProduct(copy, row, transposeB: true)) <= 1e-13)
  }

  @Test func transposeAndArithmetic() throws {
    let a = try Matrix<Float>([[1, 2, 3], [4, 5, 6]])
    let t = a.transposed()
    #expect(t.shape == Shape(rows: 3, columns: 2))
    for i in 0..<2 { for j in 0..<3 { #expect(t[j, i] == a[i, j]) } }
    #expect((a + a) == a * 2)
    #expect((a - a).maxAbs == 0)
    #expect(a.hadamard(a)[1, 2] == 36)
    // ‖a‖_F² = 1+4+9+16+25+36 = 91
    #expect(Swift.abs(a.frobeniusNorm - Float(91).squareRoot()) <= 4 * Float.ulpOfOne * 10)
    #expect(a.block(rows: 0..<2, columns: 1..<3).frobeniusNorm == Matrix(a.columns(1..<3)).frobeniusNorm)
  }

  /// `adding` against the entrywise formula, for both scalar types and sizes from one entry to
  /// beyond the vector loop's blocks (odd, so that a remainder is left); the operands must be left
  /// as they were. Each entry is one multiply and one add: the error bound is 2ε(|y| + |αx|).
  @Test func addingMatchesTheEntrywiseSum() {
    func check<T: BLASScalar>(_: T.Type) {
      var g = testGenerator(7)
      for (rows, columns) in [(1, 1), (7, 5), (1001, 1), (13, 77)] {
        let y = Matrix<T>.gaussian(rows: rows, columns: columns, using: &g)
        let x = Matrix<T>.gaussian(rows: rows, columns: columns, using: &g)
        let (y0, x0) = (y, x)
        let alpha: T = -0.37
        let z = y.adding(x, scaledBy: alpha)
        var worst: T = 0
        for i in y.elements.indices {
          let (a, b) = (y.elements[i], alpha * x.elements[i])
          let error = Swift.abs(z.elements[i] - (a + b))
          worst = Swift.max(worst, error / (2 * T.ulpOfOne * (Swift.abs(a) + Swift.abs(b))))
        }
        #expect(z.shape == y.shape)
        #expect(worst <= 1, "\(T.self) \(rows)×\(columns)")
        #expect(y == y0 && x == x0)
      }
    }
    check(Float.self)
    check(Double.self)
  }

  @Test func shapeErrorsAreTyped() {
    #expect(throws: MatrixError.self) { try Matrix<Double>(rows: 2, columns: 3, elements: [1, 2]) }
    #expect(throws: MatrixError.self) { try Matrix<Double>([[1, 2], [3]]) }
    #expect(throws: MatrixError.self) {
      try LowRankMatrix<Double>(u: .identity(3), s: .identity(2), v: .identity(2))
    }
  }

  @Test func emptyMatricesAreHandled() {
    let a = Matrix<Double>(rows: 0, columns: 3)
    let b = Matrix<Double>(rows: 3, columns: 4)
    #expect(Matrix.product(a, b).shape == Shape(rows: 0, columns: 4))
    let k0 = Matrix.product(Matrix<Double>(rows: 2, columns: 0), Matrix<Double>(rows: 0, columns: 2))
    #expect(k0 == Matrix(rows: 2, columns: 2))
  }
}

@Suite struct ProductWorkTests {
  /// A GEMM of an m×k and a k×n operand counts 2·m·n·k operations whatever the transposes and
  /// α, β; a GEMV (n = 1) 2·m·k; an empty product (k = 0, m = 0) nothing. A counting scope sees
  /// its own thread's products only, nested scopes add to the outer one, and the process-wide
  /// count gets every thread's products (at least: other tests add theirs).
  @Test func countsTwoMNKPerProduct() {
    var g = testGenerator(7)
    let (m, n, k) = (37, 11, 23)
    let a = Matrix<Float>.gaussian(rows: m, columns: k, using: &g)
    let at = a.transposed()
    let b = Matrix<Float>.gaussian(rows: k, columns: n, using: &g)
    let bt = b.transposed()
    var c = Matrix<Float>(rows: m, columns: n)
    let expected = 2 * m * n * k
    #expect(productWork { c.formProduct(a, b) } == expected)
    #expect(
      productWork { c.formProduct(at, bt, opA: .transposed, opB: .transposed, alpha: 2, beta: 1) } == expected
    )
    #expect(productWork { _ = Matrix.product(a, b.columns(0..<1)) } == 2 * m * k)
    #expect(
      productWork {
        _ = Matrix.product(Matrix<Float>(rows: m, columns: 0), Matrix<Float>(rows: 0, columns: n))
      } == 0)
    #expect(productWork { _ = Matrix.product(Matrix<Float>(rows: 0, columns: k), b) } == 0)
    let d = Matrix<Double>.gaussian(rows: k, columns: m, using: &g)
    #expect(productWork { _ = d.transposedTimes(d) } == 2 * m * m * k)
    let (_, outer) = ProductWork.counting {
      #expect(productWork { c.formProduct(a, b) } == expected)
      c.formProduct(a, b)
    }
    #expect(outer == 2 * expected)

    let perThread = Mutex<[Int]>([])
    let before = ProductWork.operations
    let (_, caller) = ProductWork.counting {
      DispatchQueue.concurrentPerform(iterations: 4) { _ in
        let own = productWork { _ = Matrix.product(a, b) }
        perThread.withLock { $0.append(own) }
      }
    }
    #expect(perThread.withLock { $0 } == Array(repeating: expected, count: 4))
    #expect(ProductWork.operations - before >= 4 * expected)
    // concurrentPerform may run iterations on the calling thread; their products count there.
    #expect(caller % expected == 0 && caller <= 4 * expected)
  }

  /// The Gram matrix of the augmentations (`gramUpper`, by `?syrk`): its upper triangle is AᵀA
  /// summed naively in Double (to n rounding errors of the entries' size, the bound of a dot
  /// product of length k), its strict lower triangle zero, and it counts n·(n + 1)·k, the entries
  /// of the triangle times k multiply-adds each.
  @Test func gramMatrixIsTheUpperTriangleOfATransposedTimesA() {
    var g = testGenerator(11)
    for (k, n) in [(37, 5), (9, 9), (3, 8), (1, 1)] {
      let a = Matrix<Float>.gaussian(rows: k, columns: n, using: &g)
      let (gram, operations) = ProductWork.counting { a.gramUpper() }
      #expect(operations == n * (n + 1) * k)
      for j in 0..<n {
        for i in 0..<n {
          let naive = (0..<k).reduce(0.0) { $0 + Double(a[$1, i]) * Double(a[$1, j]) }
          let scale = (0..<k).reduce(0.0) { $0 + abs(Double(a[$1, i]) * Double(a[$1, j])) }
          if i <= j {
            #expect(
              abs(Double(gram[i, j]) - naive) <= Double(k) * Double(Float.ulpOfOne) * scale,
              "\(k)×\(n) [\(i), \(j)]")
          } else {
            #expect(gram[i, j] == 0, "\(k)×\(n) [\(i), \(j)] below the diagonal")
          }
        }
      }
    }
  }
}
