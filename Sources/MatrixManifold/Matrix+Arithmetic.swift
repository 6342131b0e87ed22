extension Matrix {
  /// `self ← self + α·X` (BLAS `?axpy`).
  public mutating func add(_ x: Matrix, scaledBy alpha: Scalar = 1) {
    precondition(x.rows == rows && x.columns == columns, "add: \(x.shape) to \(shape)")
    guard !elements.isEmpty else { return }
    x.withUnsafeBufferPointer { px in
      withUnsafeMutableBufferPointer { py in
        Scalar.axpy(count: py.count, alpha: alpha, px.baseAddress!, incx: 1, py.baseAddress!, incy: 1)
      }
    }
  }

  /// `self + α·X` as a new matrix, in one pass over the entries.
  ///
  /// Prefer this to a copy followed by ``add(_:scaledBy:)`` when `self` shares its storage with
  /// another matrix (a value kept for later, as an integrator keeps the state before a step):
  /// `add` would first copy the storage and then update it, two passes where this takes one.
  public func adding(_ x: Matrix, scaledBy alpha: Scalar = 1) -> Matrix {
    precondition(x.rows == rows && x.columns == columns, "adding: \(x.shape) to \(shape)")
    var result = Matrix(unspecifiedRows: rows, columns: columns)
    guard !elements.isEmpty else { return result }
    withUnsafeBufferPointer { py in
      x.withUnsafeBufferPointer { px in
        result.withUnsafeMutableBufferPointer { pz in
          Scalar.sum(count: pz.count, py.baseAddress!, alpha, px.baseAddress!, into: pz.baseAddress!)
        }
      }
    }
    return result
  }

  /// `self ← α·self` (BLAS `?scal`).
  public mutating func scale(by alpha: Scalar) {
    guard !elements.isEmpty else { return }
    withUnsafeMutableBufferPointer { p in
      Scalar.scal(count: p.count, alpha: alpha, p.baseAddress!, incx: 1)
    }
  }

  /// Sets every entry to `value`, keeping the shape and the storage.
  public mutating func fill(_ value: Scalar) {
    withUnsafeMutableBufferPointer { p in Scalar.fill(p, with: value) }
  }

  /// The entrywise sum; the shapes must agree.
  public static func + (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.adding(rhs) }

  /// The entrywise difference; the shapes must agree.
  public static func - (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.adding(rhs, scaledBy: -1) }

  /// The negated matrix.
  public static prefix func - (x: Matrix) -> Matrix { x * -1 }

  /// The matrix scaled by α.
  public static func * (x: Matrix, alpha: Scalar) -> Matrix {
    var scaled = x
    scaled.scale(by: alpha)
    return scaled
  }

  /// The matrix scaled by α.
  public static func * (alpha: Scalar, x: Matrix) -> Matrix { x * alpha }

  /// Adds `rhs` in place (BLAS `axpy`).
  public static func += (lhs: inout Matrix, rhs: Matrix) { lhs.add(rhs) }
  /// Subtracts `rhs` in place (BLAS `axpy`).
  public static func -= (lhs: inout Matrix, rhs: Matrix) { lhs.add(rhs, scaledBy: -1) }
  /// Scales in place by α (BLAS `scal`).
  public static func *= (lhs: inout Matrix, alpha: Scalar) { lhs.scale(by: alpha) }

  /// Entrywise (Hadamard) product.
  public func hadamard(_ other: Matrix) -> Matrix {
    precondition(other.rows == rows && other.columns == columns, "hadamard: \(shape) ∘ \(other.shape)")
    var result = self
    result.withUnsafeMutableBufferPointer { r in
      other.withUnsafeBufferPointer { o in
        for i in r.indices { r[i] *= o[i] }
      }
    }
    return result
  }

  /// The matrix with `transform` applied to each entry.
  public func map(_ transform: (Scalar) throws -> Scalar) rethrows -> Matrix {
    var result = self
    try result.withUnsafeMutableBufferPointer { r in
      for i in r.indices { r[i] = try transform(r[i]) }
    }
    return result
  }

  /// Frobenius norm `‖A‖_F` (BLAS `?nrm2` over the entries, overflow-safe).
  public var frobeniusNorm: Scalar {
    guard !elements.isEmpty else { return 0 }
    return withUnsafeBufferPointer { p in Scalar.nrm2(count: p.count, p.baseAddress!, incx: 1) }
  }

  /// Spectral norm `‖A‖₂`, the largest singular value (computed by a thin SVD).
  /// - Throws: ``MatrixError`` when the SVD fails or the entries are not finite.
  public func spectralNorm() throws(MatrixError) -> Scalar {
    try singularValues().first ?? 0
  }

  /// Largest absolute entry (0 for an empty matrix).
  public var maxAbs: Scalar { elements.reduce(0) { Swift.max($0, Swift.abs($1)) } }

  /// The sum of the diagonal entries.
  public var trace: Scalar { (0..<Swift.min(rows, columns)).reduce(0) { $0 + self[$1, $1] } }
}

extension MatrixView {
  /// Frobenius norm of the block.
  public var frobeniusNorm: Scalar {
    guard rows > 0, columns > 0 else { return 0 }
    return withBase { p, ld in
      var sumOfSquares: Scalar = 0
      var scale: Scalar = 0
      for j in 0..<columns {
        let c = Scalar.nrm2(count: rows, p + j * ld, incx: 1)
        // Accumulate column norms without overflow: ‖A‖ = scale·sqrt(Σ (c/scale)²).
        if c > scale {
          sumOfSquares = 1 + sumOfSquares * (scale / c) * (scale / c)
          scale = c
        } else if c > 0 {
          sumOfSquares += (c / scale) * (c / scale)
        }
      }
      return scale * sumOfSquares.squareRoot()
    }
  }
}
