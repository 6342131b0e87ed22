/// A read-only rectangular block of a ``Matrix`` that BLAS can use without copying.
///
/// A view keeps the parent's storage alive (a retained array, not a copy). Column blocks of a
/// column-major matrix are contiguous; any block is addressed through a leading dimension.
public struct MatrixView<Scalar: BLASScalar>: Sendable {
  @usableFromInline let storage: [Scalar]
  @usableFromInline let offset: Int
  /// Number of rows of the block.
  public let rows: Int
  /// Number of columns of the block.
  public let columns: Int
  @usableFromInline let leadingDimension: Int

  init(storage: [Scalar], offset: Int, rows: Int, columns: Int, leadingDimension: Int) {
    self.storage = storage
    self.offset = offset
    self.rows = rows
    self.columns = columns
    self.leadingDimension = Swift.max(1, leadingDimension)
  }

  /// Entry `(i, j)` of the block.
  @inlinable
  public subscript(i: Int, j: Int) -> Scalar {
    precondition(
      i >= 0 && i < rows && j >= 0 && j < columns, "index (\(i), \(j)) out of view \(rows)×\(columns)")
    return storage[offset + i + j * leadingDimension]
  }

  /// The block's shape.
  public var shape: Shape { Shape(rows: rows, columns: columns) }

  /// Calls `body` with a pointer to entry (0, 0) and the leading dimension.
  func withBase<R>(_ body: (UnsafePointer<Scalar>, Int) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer { buffer in
      // A view of an empty block may have no storage; BLAS never reads it then.
      guard let base = buffer.baseAddress else {
        var dummy = Scalar.zero
        return try body(&dummy, leadingDimension)
      }
      return try body(base + offset, leadingDimension)
    }
  }

  /// The block as a new matrix.
  public func copy() -> Matrix<Scalar> {
    var result = Matrix<Scalar>(unspecifiedRows: rows, columns: columns)
    guard rows > 0, columns > 0 else { return result }
    withBase { a, lda in
      result.withUnsafeMutableBufferPointer { b in
        Scalar.omatcopy(
          .none, rows: rows, columns: columns, alpha: 1, a: a, lda: lda, b: b.baseAddress!, ldb: rows)
      }
    }
    return result
  }
}

/// Anything that can be read as a dense column-major block: a ``Matrix`` or a ``MatrixView``.
public protocol MatrixViewConvertible<Scalar> {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// The whole operand as a view.
  var view: MatrixView<Scalar> { get }
}

extension MatrixView: MatrixViewConvertible {
  public var view: MatrixView<Scalar> { self }
}

extension Matrix: MatrixViewConvertible {
  /// The whole matrix as a view (no copy).
  public var view: MatrixView<Scalar> {
    MatrixView(storage: elements, offset: 0, rows: rows, columns: columns, leadingDimension: rows)
  }

  /// Columns `range` as a view (no copy).
  public func columns(_ range: Range<Int>) -> MatrixView<Scalar> {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= columns, "columns \(range) out of \(rows)×\(columns)")
    return MatrixView(
      storage: elements, offset: range.lowerBound * rows, rows: rows, columns: range.count,
      leadingDimension: rows)
  }

  /// The block of rows `rowRange` and columns `columnRange` as a view (no copy).
  public func block(rows rowRange: Range<Int>, columns columnRange: Range<Int>) -> MatrixView<Scalar> {
    precondition(
      rowRange.lowerBound >= 0 && rowRange.upperBound <= rows && columnRange.lowerBound >= 0
        && columnRange.upperBound <= columns,
      "block \(rowRange)×\(columnRange) out of \(rows)×\(columns)")
    return MatrixView(
      storage: elements, offset: rowRange.lowerBound + columnRange.lowerBound * rows,
      rows: rowRange.count, columns: columnRange.count, leadingDimension: rows)
  }

  /// A matrix made of a view's entries.
  public init(_ view: MatrixView<Scalar>) { self = view.copy() }

  /// `[A, B]`: the columns of `a` followed by those of `b` (same number of rows).
  public static func concatenated(
    _ a: some MatrixViewConvertible<Scalar>, _ b: some MatrixViewConvertible<Scalar>
  ) -> Matrix {
    let (a, b) = (a.view, b.view)
    precondition(a.rows == b.rows, "concatenated: \(a.shape) and \(b.shape)")
    var c = Matrix(rows: a.rows, columns: a.columns + b.columns)
    c.assign(a)
    c.assign(b, column: a.columns)
    return c
  }

  /// Copies `source` into the block of this matrix that starts at (`row`, `column`).
  public mutating func assign(_ source: some MatrixViewConvertible<Scalar>, row: Int = 0, column: Int = 0) {
    let s = source.view
    precondition(
      row >= 0 && column >= 0 && row + s.rows <= rows && column + s.columns <= columns,
      "cannot place \(s.rows)×\(s.columns) at (\(row), \(column)) of \(rows)×\(columns)")
    guard s.rows > 0, s.columns > 0 else { return }
    let ld = leadingDimension
    s.withBase { a, lda in
      withUnsafeMutableBufferPointer { b in
        Scalar.omatcopy(
          .none, rows: s.rows, columns: s.columns, alpha: 1, a: a, lda: lda,
          b: b.baseAddress! + row + column * ld, ldb: ld)
      }
    }
  }
}
