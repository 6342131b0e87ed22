import Foundation

extension BLASScalar {
  /// A standard normal sample by the Box–Muller transform.
  public static func standardNormal(using generator: inout some RandomNumberGenerator) -> Self {
    // u1 ∈ (0, 1] so that log(u1) is finite.
    let u1 = 1 - Double.random(in: 0..<1, using: &generator)
    let u2 = Double.random(in: 0..<1, using: &generator)
    return Self((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
  }
}

extension Matrix {
  /// A matrix with independent N(mean, standardDeviation²) entries.
  public static func gaussian(
    rows: Int, columns: Int, mean: Scalar = 0, standardDeviation: Scalar = 1,
    using generator: inout some RandomNumberGenerator
  ) -> Matrix {
    var a = Matrix(rows: rows, columns: columns)
    a.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] = mean + standardDeviation * Scalar.standardNormal(using: &generator) }
    }
    return a
  }

  /// A matrix with independent entries uniform in `range`.
  public static func uniform(
    rows: Int, columns: Int, in range: ClosedRange<Scalar>,
    using generator: inout some RandomNumberGenerator
  ) -> Matrix {
    var a = Matrix(rows: rows, columns: columns)
    a.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] = Scalar.random(in: range, using: &generator) }
    }
    return a
  }

  /// A random m×n matrix with orthonormal columns (`n ≤ m`), Haar-distributed.
  ///
  /// QR of a Gaussian matrix with the signs of R's diagonal moved into Q (Mezzadri 2007).
  public static func randomOrthonormal(
    rows: Int, columns: Int, using generator: inout some RandomNumberGenerator
  ) -> Matrix {
    precondition(columns <= rows, "randomOrthonormal: \(rows)×\(columns) cannot have orthonormal columns")
    let g = gaussian(rows: rows, columns: columns, using: &generator)
    // A Gaussian matrix is finite, so QR cannot throw here.
    guard let (qr, r) = try? g.qr() else { fatalError("QR of a finite Gaussian matrix failed") }
    var q = qr
    for j in 0..<columns where r[j, j] < 0 {
      for i in 0..<rows { q[i, j] = -q[i, j] }
    }
    return q
  }
}
