/// A dense real matrix stored column-major with value semantics.
///
/// Entry `(i, j)` lives at `elements[i + j * rows]`. Copies share storage until one of them is
/// mutated (copy-on-write of the underlying array), so passing a matrix around is cheap.
/// Products, factorisations and norms call OpenBLAS / LAPACKE (see ``BLASScalar``).
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
  /// Number of rows.
  public private(set) var rows: Int
  /// Number of columns.
  public private(set) var columns: Int
  /// The entries in column-major order; `elements.count == rows * columns` always holds.
  public var elements: [Scalar] { storage }
  @usableFromInline var storage: [Scalar]

  /// A matrix with every entry equal to `value`.
  public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = Self.filledStorage(count: rows * columns, value: value)
  }

  /// A matrix whose entries are unspecified until written: for the target of a product or an
  /// elementwise kernel that overwrites every entry, which then costs no separate pass to zero the
  /// storage first. Reading an entry before writing it gives an arbitrary value.
  package init(unspecifiedRows rows: Int, columns: Int) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = [Scalar](unsafeUninitializedCapacity: rows * columns) { _, initialized in
      initialized = rows * columns
    }
  }

  /// An array of `count` copies of `value`, filled by the concrete ``BLASScalar/fill(_:with:)``
  /// (generic array initialisation runs element by element through witness tables).
  static func filledStorage(count: Int, value: Scalar) -> [Scalar] {
    [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
      Scalar.fill(buffer, with: value)
      initialized = count
    }
  }

  /// A matrix over the given column-major entries.
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` when `elements.count != rows * columns`.
  public init(rows: Int, columns: Int, elements: [Scalar]) throws(MatrixError) {
    guard rows >= 0, columns >= 0, elements.count == rows * columns else {
      throw .shapeMismatch(
        "\(elements.count) elements cannot fill a \(rows)×\(columns) matrix")
    }
    self.rows = rows
    self.columns = columns
    self.storage = elements
  }

  /// A matrix from rows given as nested arrays, for tests and small literals.
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` when the rows differ in length.
  public init(_ rowArrays: [[Scalar]]) throws(MatrixError) {
    let m = rowArrays.count
    let n = rowArrays.first?.count ?? 0
    guard rowArrays.allSatisfy({ $0.count == n }) else {
      throw .shapeMismatch("rows of different lengths: \(rowArrays.map(\.count))")
    }
    self.init(rows: m, columns: n)
    for i in 0..<m { for j in 0..<n { self[i, j] = rowArrays[i][j] } }
  }

  /// The n×n identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var eye = Matrix(rows: n, columns: n)
    for i in 0..<n { eye[i, i] = 1 }
    return eye
  }

  /// A square matrix with `diagonal` on its diagonal and zeros elsewhere.
  public static func diagonal(_ diagonal: [Scalar]) -> Matrix {
    var d = Matrix(rows: diagonal.count, columns: diagonal.count)
    for i in diagonal.indices { d[i, i] = diagonal[i] }
    return d
  }

  /// Entry in row `i`, column `j`.
  @inlinable
  public subscript(i: Int, j: Int) -> Scalar {
    get {
      precondition(
        i >= 0 && i < rows && j >= 0 && j < columns, "index (\(i), \(j)) out of \(rows)×\(columns)")
      return storage[i + j * rows]
    }
    set {
      precondition(
        i >= 0 && i < rows && j >= 0 && j < columns, "index (\(i), \(j)) out of \(rows)×\(columns)")
      storage[i + j * rows] = newValue
    }
  }

  /// `(rows, columns)`.
  public var shape: Shape { Shape(rows: rows, columns: columns) }

  /// The distance in elements between consecutive columns, as BLAS wants it (at least 1).
  @usableFromInline var leadingDimension: Int { Swift.max(1, rows) }

  /// Changes the shape, keeping the allocated capacity; entries become `value`.
  ///
  /// For workspaces whose size follows a rank that changes during training: no reallocation
  /// happens while the new size fits the capacity.
  public mutating func reshape(rows: Int, columns: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    let count = rows * columns
    if count <= storage.capacity {
      storage.removeAll(keepingCapacity: true)
      storage.append(contentsOf: Self.filledStorage(count: count, value: value))
    } else {
      storage = Self.filledStorage(count: count, value: value)
    }
  }

  /// Calls `body` with the column-major entries, mutable.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer(body)
  }

  /// Calls `body` with the column-major entries.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R)
    rethrows -> R
  {
    try elements.withUnsafeBufferPointer(body)
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Scalar] {
    precondition(j >= 0 && j < columns, "column \(j) out of \(rows)×\(columns)")
    return Array(elements[(j * rows)..<((j + 1) * rows)])
  }

  /// Whether every entry is finite (no NaN or infinity).
  public var isFinite: Bool { storage.withUnsafeBufferPointer { Scalar.allFinite($0) } }
}

/// The shape of a matrix.
public struct Shape: Sendable, Hashable, CustomStringConvertible {
  /// Number of rows.
  public var rows: Int
  /// Number of columns.
  public var columns: Int
  /// The shape rows×columns.
  public init(rows: Int, columns: Int) {
    self.rows = rows
    self.columns = columns
  }
  public var description: String { "\(rows)×\(columns)" }
}

extension Matrix: CustomStringConvertible {
  public var description: String {
    let shown = (0..<Swift.min(rows, 8)).map { i in
      (0..<Swift.min(columns, 8)).map { j in "\(self[i, j])" }.joined(separator: " ")
        + (columns > 8 ? " …" : "")
    }
    return "Matrix<\(Scalar.self)> \(rows)×\(columns)\n" + shown.joined(separator: "\n")
      + (rows > 8 ? "\n…" : "")
  }
}
