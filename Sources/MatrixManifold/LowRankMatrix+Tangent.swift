extension LowRankMatrix {
  /// Orthogonal projection of Z onto the tangent space of the rank-r manifold at Y:
  /// `P(Y)Z = U·Uᵀ·Z − U·Uᵀ·Z·V·Vᵀ + Z·V·Vᵀ` (Koch & Lubich 2007, Lemma 4.1).
  ///
  /// P(Y) is idempotent, fixes tangent vectors, and `P(Y)·Y = Y`.
  /// - Complexity: `O(n·m·r)`; Z is dense, so the result is too.
  public func tangentProjection(of z: Matrix<Scalar>) -> Matrix<Scalar> {
    precondition(
      z.rows == rows && z.columns == columns, "tangentProjection: Z \(z.shape) at Y \(rows)×\(columns)")
    let zv = z * v  // n×r
    let utz = u.transposedTimes(z)  // r×m
    let utzv = utz * v  // r×r
    // U·(UᵀZ) + (ZV − U·UᵀZV)·Vᵀ
    var left = zv
    left.formProduct(u, utzv, alpha: -1, beta: 1)
    var result = u * utz
    result.formProduct(left, v, opB: .transposed, beta: 1)
    return result
  }
}
