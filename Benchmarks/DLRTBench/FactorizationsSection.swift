// Section `factorizations`: thin QR and SVD at the shapes a DLRT step factorises.
internal import CLapack
import MatrixManifold

/// Milliseconds of `orthonormalized()`, `qr()` and `svd()` in Float for the shapes of a DLRT
/// step with rank r: the augmented bases 784×2r and 500×2r (layer widths of the MNIST network)
/// and the 2r×2r coefficient matrix that is truncated by SVD.
///
/// Next to each wrapper runs the same LAPACKE routines called directly on a copy of the same
/// matrix (`sgeqrf` + `sorgqr`, `sgesdd`), so the table shows what the wrapper adds on top.
/// `augmentedBasis` is the rank-adaptive step's basis of the same shape: an orthonormal m×r U₀
/// augmented by an m×r K that lies mostly in its span, as a K-step's `K₁ = K₀ + h·F·V₀` does,
/// here `K = U₀·X + 10⁻³·G` with X and G Gaussian (`U₀.augmentedBasis(with: K)`, Gram–Schmidt and
/// Cholesky QR), beside `qr`, the Householder QR that would give such a basis from `[U₀, K]`.
/// The last column times `isFinite`, the input check every wrapper runs before LAPACK.
/// The seven operations are timed in interleaved rounds, like the `gemm` section, so that noise
/// from the rest of the machine does not favour one of them.
struct FactorizationsSection: BenchmarkSection {
  /// The command-line name.
  let name = "factorizations"
  /// The `--help` line.
  let summary =
    "ms of orthonormalized(), qr(), augmentedBasis(with:), svd() vs direct LAPACKE, Float, 784×2r, 500×2r, 2r×2r"

  /// Measures every shape, printing the table as rows complete.
  func run(_ context: BenchmarkContext) -> SectionReport {
    let ranks = context.quick ? [10, 100] : [10, 50, 100, 150, 250]
    let families: [(Int) -> Int] = [{ _ in 784 }, { _ in 500 }, { 2 * $0 }]
    var table = Table(
      title: "Float, median ms per call over interleaved rounds (fastest in the JSON report)",
      columns: [
        Column("shape", key: "shape", width: 7), Column("r", key: "r", width: 3),
        Column("orthonormalized", key: "orthonormalized_ms"),
        Column("", key: "orthonormalized_min_ms", printed: false),
        Column("qr", key: "qr_ms", width: 7), Column("", key: "qr_min_ms", printed: false),
        Column("LAPACKE geqrf+orgqr", key: "lapacke_qr_ms"),
        Column("", key: "lapacke_qr_min_ms", printed: false),
        Column("augmentedBasis", key: "augmented_basis_ms"),
        Column("", key: "augmented_basis_min_ms", printed: false),
        Column("svd", key: "svd_ms", width: 7), Column("", key: "svd_min_ms", printed: false),
        Column("LAPACKE gesdd", key: "lapacke_svd_ms"),
        Column("", key: "lapacke_svd_min_ms", printed: false),
        Column("isFinite", key: "is_finite_ms", width: 8),
        Column("", key: "is_finite_min_ms", printed: false),
      ])
    for rows in families {
      for r in ranks {
        let (m, n) = (rows(r), 2 * r)
        var generator = SplitMix64(seed: context.seed &+ UInt64(m * 100_003 + n))
        let a = Matrix<Float>.gaussian(rows: m, columns: n, using: &generator)
        let u0 = Matrix<Float>.randomOrthonormal(rows: m, columns: r, using: &generator)
        let k =
          u0 * Matrix<Float>.gaussian(rows: r, columns: r, using: &generator)
          + Matrix<Float>.gaussian(rows: m, columns: r, standardDeviation: 1e-3, using: &generator)
        // A Gaussian matrix is finite and LAPACK does not fail on it: `try?` keeps error
        // handling out of the timed closures, and each result is checked once before timing.
        let operations: [() -> Any?] = [
          { try? a.orthonormalized() }, { try? a.qr() }, { directQR(a) },
          { try? u0.augmentedBasis(with: k) }, { try? a.svd() }, { directSVD(a) },
          { a.isFinite ? true : nil },
        ]
        guard operations.allSatisfy({ $0() != nil }) else {
          print("factorizations: LAPACK failed on the \(m)×\(n) Gaussian matrix; row skipped")
          continue
        }
        let timed = operations.map { operation in { blackHole(operation()) } }
        let timings =
          context.quick
          ? measureInterleaved(
            minimumTime: 0.05, minimumRounds: 3, maximumRounds: 20, batchTime: 0.002, timed)
          : measureInterleaved(
            minimumTime: 0.5, minimumRounds: 7, maximumRounds: 200, batchTime: 0.01, timed)
        var cells: [Cell] = [.text("\(m)×\(n)"), .integer(r)]
        for t in timings {
          cells += [.number(t.median * 1e3, decimals: 3), .number(t.minimum * 1e3, decimals: 3)]
        }
        table.append(cells)
      }
    }
    return SectionReport(name: name, tables: [table], passed: nil, summary: nil)
  }
}

/// Q of the thin QR of `a` (m ≥ n) by `LAPACKE_sgeqrf` + `LAPACKE_sorgqr` on a copy of its
/// entries, as column-major m×n entries; `nil` if LAPACK reports an error.
private func directQR(_ a: Matrix<Float>) -> [Float]? {
  let (m, n) = (Int32(a.rows), Int32(a.columns))
  var q = a.elements
  var tau = [Float](repeating: 0, count: a.columns)
  let info = q.withUnsafeMutableBufferPointer { pq in
    tau.withUnsafeMutableBufferPointer { pt in
      let info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, m, n, pq.baseAddress, m, pt.baseAddress)
      return info != 0 ? info : LAPACKE_sorgqr(LAPACK_COL_MAJOR, m, n, n, pq.baseAddress, m, pt.baseAddress)
    }
  }
  return info == 0 ? q : nil
}

/// Singular values of `a` (m ≥ n) by `LAPACKE_sgesdd` with thin U and Vᵀ (jobz S) on a copy
/// of its entries; `nil` if LAPACK reports an error.
private func directSVD(_ a: Matrix<Float>) -> [Float]? {
  let (m, n) = (Int32(a.rows), Int32(a.columns))
  var entries = a.elements
  var s = [Float](repeating: 0, count: a.columns)
  var u = [Float](repeating: 0, count: a.rows * a.columns)
  var vt = [Float](repeating: 0, count: a.columns * a.columns)
  let info = LAPACKE_sgesdd(
    LAPACK_COL_MAJOR, CChar(UInt8(ascii: "S")), m, n, &entries, m, &s, &u, m, &vt, n)
  return info == 0 ? s : nil
}
