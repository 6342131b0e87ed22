import Foundation
import MatrixManifold

/// Shapes that exercise edge cases: 1×1, tall, wide, square, and a few awkward sizes.
public let testShapes: [(rows: Int, columns: Int)] = [
  (1, 1), (1, 5), (5, 1), (2, 2), (7, 3), (3, 7), (16, 16), (33, 9), (9, 33), (64, 20),
]

/// A seeded generator for tests; the seed is part of each test's name or body.
public func testGenerator(_ seed: UInt64 = 42) -> SplitMix64 { SplitMix64(seed: seed) }

/// Reference product by the textbook triple loop, in Double whatever the scalar.
public func naiveProduct<T: BLASScalar>(
  _ a: Matrix<T>, _ b: Matrix<T>, transposeA: Bool = false, transposeB: Bool = false
) -> Matrix<Double> {
  let m = transposeA ? a.columns : a.rows
  let k = transposeA ? a.rows : a.columns
  let n = transposeB ? b.rows : b.columns
  var c = Matrix<Double>(rows: m, columns: n)
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for l in 0..<k {
        let x = transposeA ? a[l, i] : a[i, l]
        let y = transposeB ? b[j, l] : b[l, j]
        sum += Double(x) * Double(y)
      }
      c[i, j] = sum
    }
  }
  return c
}

/// The matrix converted to Double.
public func toDouble<T: BLASScalar>(_ a: Matrix<T>) -> Matrix<Double> {
  // Shapes agree by construction, so this cannot throw.
  try! Matrix<Double>(rows: a.rows, columns: a.columns, elements: a.elements.map(Double.init))
}

/// Largest absolute entrywise difference.
public func maxDifference<T: BLASScalar, U: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<U>) -> Double {
  precondition(a.rows == b.rows && a.columns == b.columns, "maxDifference: \(a.shape) vs \(b.shape)")
  return zip(a.elements, b.elements).reduce(0.0) { Swift.max($0, Swift.abs(Double($1.0) - Double($1.1))) }
}

/// `‖QᵀQ − I‖_max`, how far Q is from having orthonormal columns.
public func orthonormalityError<T: BLASScalar>(_ q: Matrix<T>) -> Double {
  maxDifference(q.transposedTimes(q), Matrix<T>.identity(q.columns))
}

/// A random m×n matrix of exact rank r (a product of Gaussian factors).
public func randomRank<T: BLASScalar>(
  _ r: Int, rows: Int, columns: Int, using generator: inout SplitMix64
) -> Matrix<T> {
  let a = Matrix<T>.gaussian(rows: rows, columns: r, using: &generator)
  let b = Matrix<T>.gaussian(rows: r, columns: columns, using: &generator)
  return a * b
}

/// A random factored matrix with orthonormal U, V and the given singular values.
public func randomLowRank<T: BLASScalar>(
  rows: Int, columns: Int, singularValues: [T], using generator: inout SplitMix64
) -> LowRankMatrix<T> {
  let r = singularValues.count
  let u = Matrix<T>.randomOrthonormal(rows: rows, columns: r, using: &generator)
  let v = Matrix<T>.randomOrthonormal(rows: columns, columns: r, using: &generator)
  return try! LowRankMatrix(u: u, s: .diagonal(singularValues), v: v)
}

/// Tolerance for a computation with `n` accumulated terms in scalar T: `factor · n · ε_T`.
/// Backward-stable BLAS/LAPACK routines have errors of this order (Higham, ch. 3 and 19).
public func tolerance<T: BLASScalar>(_: T.Type, terms n: Int, factor: Double = 10) -> Double {
  factor * Double(Swift.max(n, 1)) * Double(T.ulpOfOne)
}

/// The floating-point operations of the matrix products `body` forms on the calling thread
/// (`ProductWork.counting`): tests run in parallel in one process, and the process-wide counter
/// would count their products too.
public func productWork(of body: () throws -> Void) rethrows -> Int {
  try ProductWork.counting(body).operations
}

/// A new empty directory `prefix-UUID` under the system's temporary directory; the caller removes it.
public func temporaryDirectory(_ prefix: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
