/// A dense tensor of order d with the first index fastest (column-major, like ``Matrix``).
///
/// Entry `(i₀, …, i_{d−1})` is `elements[i₀ + n₀·(i₁ + n₁·(i₂ + …))]`. An order-2 tensor has the
/// memory of the matrix with the same dimensions, and every tensor's memory is at the same time
/// its mode-0 unfolding `n₀ × (n₁⋯n_{d−1})`.
///
/// The tensor layer is meant for the small tensors of Tucker-format training (convolution
/// kernels and Tucker cores): unfoldings are copies and products go through them.
public struct Tensor<Scalar: BLASScalar>: Sendable, Equatable {
  /// The size of each mode, `[n₀, …, n_{d−1}]`.
  public let dimensions: [Int]
  /// The entries, first index fastest.
  public private(set) var elements: [Scalar]

  /// A tensor of the given dimensions (each ≥ 0, at least one mode) filled with `value`.
  public init(dimensions: [Int], repeating value: Scalar = 0) {
    precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 >= 0 }, "Tensor: dimensions \(dimensions)")
    self.dimensions = dimensions
    self.elements = Array(repeating: value, count: dimensions.reduce(1, *))
  }

  /// A tensor from its entries (first index fastest).
  /// - Throws: ``MatrixError/shapeMismatch(_:)`` when the count is not the product of the
  ///   dimensions, ``MatrixError/invalidArgument(_:)`` for no or negative dimensions.
  public init(dimensions: [Int], elements: [Scalar]) throws(MatrixError) {
    guard !dimensions.isEmpty, dimensions.allSatisfy({ $0 >= 0 }) else {
      throw .invalidArgument("a tensor needs at least one mode and sizes ≥ 0, got \(dimensions)")
    }
    guard elements.count == dimensions.reduce(1, *) else {
      throw .shapeMismatch("\(elements.count) entries for a tensor of dimensions \(dimensions)")
    }
    self.dimensions = dimensions
    self.elements = elements
  }

  /// The tensor with the memory of `matrix` and the given dimensions (a reshape: the product of
  /// the dimensions must be the matrix's entry count).
  public init(reshaping matrix: Matrix<Scalar>, dimensions: [Int]) {
    precondition(
      dimensions.reduce(1, *) == matrix.rows * matrix.columns,
      "Tensor: a \(matrix.shape) matrix cannot be reshaped to \(dimensions)")
    self.dimensions = dimensions
    self.elements = matrix.elements
  }

  /// The order d (number of modes).
  public var order: Int { dimensions.count }
  /// Number of entries.
  public var count: Int { elements.count }
  /// Whether every entry is finite.
  public var isFinite: Bool { elements.allSatisfy(\.isFinite) }
  /// The Frobenius norm.
  public var norm: Scalar { elements.reduce(Scalar.zero) { $0 + $1 * $1 }.squareRoot() }

  /// The memory as an `rows × (count/rows)` matrix; `rows = n₀` gives the mode-0 unfolding.
  public func matrix(rows: Int) -> Matrix<Scalar> {
    precondition(rows > 0 && count % rows == 0, "Tensor.matrix: \(count) entries in \(rows) rows")
    // The count check above makes the shape valid.
    guard let m = try? Matrix(rows: rows, columns: count / rows, elements: elements) else {
      preconditionFailure("Tensor.matrix: \(count) entries in \(rows) rows")
    }
    return m
  }

  /// The mode-k unfolding (matricisation) `X₍ₖ₎`, `n_k × ∏_{j≠k} n_j`: entry `(i₀, …, i_{d−1})`
  /// goes to row `i_k` and to the column that numbers the other indices first-fastest (Kolda &
  /// Bader, "Tensor decompositions and applications", SIAM Review 51, 2009).
  /// - Complexity: `O(count)`, a copy.
  public func unfolding(mode k: Int) -> Matrix<Scalar> {
    let n = dimensions[k]
    var result = Matrix<Scalar>(rows: n, columns: n == 0 ? 0 : count / n)
    let position = unfoldingPositions(mode: k)
    result.withUnsafeMutableBufferPointer { out in
      elements.withUnsafeBufferPointer { x in
        for p in 0..<x.count { out[position[p]] = x[p] }
      }
    }
    return result
  }

  /// The tensor whose mode-k unfolding is `matrix` (the inverse of ``unfolding(mode:)``).
  public init(folding matrix: Matrix<Scalar>, mode k: Int, dimensions: [Int]) {
    self.init(dimensions: dimensions)
    precondition(
      matrix.rows == dimensions[k] && matrix.rows * matrix.columns == count,
      "Tensor(folding:): a \(matrix.shape) matrix is not a mode-\(k) unfolding of \(dimensions)")
    let position = unfoldingPositions(mode: k)
    matrix.withUnsafeBufferPointer { m in
      elements.withUnsafeMutableBufferPointer { x in
        for p in 0..<x.count { x[p] = m[position[p]] }
      }
    }
  }

  /// For each entry (linear index p), its position in the mode-k unfolding: with
  /// `p = a + left·(i + n_k·b)`, a numbering the modes before k and b those after, the entry goes
  /// to row i and column `a + left·b`.
  private func unfoldingPositions(mode k: Int) -> [Int] {
    let (left, n, _) = split(mode: k)
    return (0..<count).map { p in
      let a = p % left
      let rest = p / left
      let (i, b) = (rest % n, rest / n)
      return i + n * (a + left * b)
    }
  }

  /// The mode-k product `X ×ₖ A` (Kolda & Bader 2009): A is m×n_k and the result has m in
  /// mode k; `(X ×ₖ A)₍ₖ₎ = A·X₍ₖ₎`.
  public func modeProduct(_ a: Matrix<Scalar>, mode k: Int) -> Tensor {
    precondition(
      a.columns == dimensions[k], "modeProduct: a \(a.shape) matrix in mode \(k) of \(dimensions)")
    var newDimensions = dimensions
    newDimensions[k] = a.rows
    return Tensor(folding: a * unfolding(mode: k), mode: k, dimensions: newDimensions)
  }

  /// `X ×₀ A₀ ×₁ A₁ ⋯` over every mode (one matrix per mode).
  public func multiplied(by matrices: [Matrix<Scalar>]) -> Tensor {
    precondition(matrices.count == order, "multiplied: \(matrices.count) matrices for order \(order)")
    var result = self
    for (k, a) in matrices.enumerated() { result = result.modeProduct(a, mode: k) }
    return result
  }

  /// Sizes before mode k (product), of mode k, and after it (product).
  private func split(mode k: Int) -> (left: Int, n: Int, right: Int) {
    precondition(k >= 0 && k < order, "Tensor: mode \(k) of an order-\(order) tensor")
    let left = dimensions[..<k].reduce(1, *)
    let right = dimensions[(k + 1)...].reduce(1, *)
    return (Swift.max(left, 1), dimensions[k], right)
  }
}

extension Matrix {
  /// The Kronecker product `A ⊗ B`, `(A.rows·B.rows) × (A.columns·B.columns)`, entry
  /// `(iB + B.rows·iA, jB + B.columns·jA) = A[iA, jA]·B[iB, jB]`.
  ///
  /// With this order, `(⊗_{j≠k, descending} U_j)` is the matrix for which the mode-k unfolding of
  /// a Tucker tensor is `U_k·C₍ₖ₎·(⊗ U_j)ᵀ`.
  /// - Complexity: `O(entries of the result)`.
  public func kronecker(_ b: Matrix) -> Matrix {
    var result = Matrix(rows: rows * b.rows, columns: columns * b.columns)
    let (rr, br, bc) = (result.rows, b.rows, b.columns)
    result.withUnsafeMutableBufferPointer { out in
      withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          for ja in 0..<columns {
            for ia in 0..<rows {
              let x = pa[ia + rows * ja]
              for jb in 0..<bc {
                let base = br * ia + rr * (jb + bc * ja)
                for ib in 0..<br { out[base + ib] = x * pb[ib + br * jb] }
              }
            }
          }
        }
      }
    }
    return result
  }
}
