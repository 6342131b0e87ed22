// Section `gemm`: our `formProduct` wrapper against a direct `cblas_?gemm` call.
internal import CLapack
import MatrixManifold

/// A scalar whose BLAS `?gemm` the benchmark calls directly, bypassing MatrixManifold.
protocol DirectGEMM: BLASScalar {
  /// `C ← A·B` by `cblas_?gemm` on column-major storage: A is m×k, B is k×n, C is m×n, all
  /// packed (leading dimensions m, k, m).
  static func directGEMM(
    m: Int, n: Int, k: Int, a: UnsafePointer<Self>, b: UnsafePointer<Self>, c: UnsafeMutablePointer<Self>)
}

extension Float: DirectGEMM {
  static func directGEMM(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
  ) {
    cblas_sgemm(
      CblasColMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
      1, a, blasint(m), b, blasint(k), 0, c, blasint(m))
  }
}

extension Double: DirectGEMM {
  static func directGEMM(
    m: Int, n: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
    c: UnsafeMutablePointer<Double>
  ) {
    cblas_dgemm(
      CblasColMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
      1, a, blasint(m), b, blasint(k), 0, c, blasint(m))
  }
}

/// GFLOP/s of `c.formProduct(a, b)` against `cblas_?gemm` on the same buffers, square n×n,
/// Float and Double; the wrapper passes when its median rate is at least 98 % of the direct
/// call's for every n ≥ 512.
///
/// The two are timed in interleaved rounds (see ``measureInterleaved(minimumTime:minimumRounds:maximumRounds:batchTime:_:)``)
/// so that noise from the rest of the machine affects both alike; the ratio compares medians.
struct GEMMSection: BenchmarkSection {
  /// The command-line name.
  let name = "gemm"
  /// The `--help` line.
  let summary = "GFLOP/s of Matrix.formProduct vs direct cblas_?gemm, n = 256…2048, Float and Double"

  /// The acceptance threshold on `ours / direct` (median GFLOP/s).
  static let threshold = 0.98
  /// The smallest n the threshold applies to; smaller products are reported only.
  static let thresholdFrom = 512

  /// Measures every size, printing the table as rows complete.
  func run(_ context: BenchmarkContext) -> SectionReport {
    let sizes = context.quick ? [256, 512] : [256, 512, 1024, 2048]
    var table = Table(
      title:
        "C = A·B, n×n; GFLOP/s = 2n³/t from the median of interleaved rounds; ratio = ours/direct "
        + "GFLOP/s (the criterion); paired ratio = median over rounds of the same quotient",
      columns: [
        Column("type", key: "type", width: 6), Column("n", key: "n", width: 4),
        Column("ours GFLOP/s", key: "ours_gflops"), Column("direct GFLOP/s", key: "direct_gflops"),
        Column("ratio", key: "ratio", width: 5), Column("paired ratio", key: "paired_ratio"),
        Column("", key: "ratio_fastest", printed: false),
        Column("rounds×batch", key: "rounds_x_batch"), Column("check", key: "check"),
      ])
    var outcomes: [Outcome] = []
    for n in sizes { outcomes.append(measureSize(Float.self, n: n, context: context, into: &table)) }
    for n in sizes { outcomes.append(measureSize(Double.self, n: n, context: context, into: &table)) }
    let worst = outcomes.filter { $0.n >= Self.thresholdFrom }.min { $0.ratio < $1.ratio }
    let identical = outcomes.allSatisfy(\.identical)
    let passed = (worst?.ratio ?? .infinity) >= Self.threshold && identical
    var line =
      "gemm: \(passed ? "PASS" : "FAIL") — ours/direct ≥ \(Self.threshold) for n ≥ \(Self.thresholdFrom)"
    if let worst { line += " (lowest \(format(worst.ratio, decimals: 3)) at \(worst.type) n=\(worst.n))" }
    line += identical ? "; results bitwise identical" : "; RESULTS DIFFER between ours and direct"
    return SectionReport(name: name, tables: [table], passed: passed, summary: line)
  }

  /// The result of one type and size, for the summary line.
  private struct Outcome {
    /// `Float` or `Double`.
    var type: String
    /// The matrix size.
    var n: Int
    /// Direct over ours, median seconds per call (1 = no overhead).
    var ratio: Double
    /// Whether both calls produced bitwise identical C.
    var identical: Bool
  }

  /// Times one type and size, appends its row to `table` (which prints it) and returns the outcome.
  private func measureSize<S: DirectGEMM>(
    _: S.Type, n: Int, context: BenchmarkContext, into table: inout Table
  ) -> Outcome {
    var generator = SplitMix64(seed: context.seed &+ UInt64(n))
    let a = Matrix<S>.uniform(rows: n, columns: n, in: -1...1, using: &generator)
    let b = Matrix<S>.uniform(rows: n, columns: n, in: -1...1, using: &generator)
    var c = Matrix<S>(rows: n, columns: n)

    let ours = { c.formProduct(a, b) }
    let direct = {
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          c.withUnsafeMutableBufferPointer { pc in
            S.directGEMM(m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
          }
        }
      }
    }

    // Same inputs, same routine: the two results must agree bit for bit.
    ours()
    let fromOurs = c
    direct()
    let identical = fromOurs == c

    let timings =
      context.quick
      ? measureInterleaved(
        minimumTime: 0.1, minimumRounds: 5, maximumRounds: 15, batchTime: 0.01, [ours, direct])
      : measureInterleaved(
        minimumTime: 1.5, minimumRounds: 15, maximumRounds: 61, batchTime: 0.05, [ours, direct])
    let (tOurs, tDirect) = (timings[0], timings[1])
    let flops = 2 * Double(n) * Double(n) * Double(n)
    let ratio = tDirect.median / tOurs.median
    // Each round timed both back to back, so the per-round ratio cancels slow drifts of the
    // machine; its median is printed next to the criterion's ratio of medians.
    let paired = median(zip(tDirect.samples, tOurs.samples).map { $0 / $1 })
    let check = n < Self.thresholdFrom ? "info" : ratio >= Self.threshold ? "PASS" : "FAIL"
    let row: [Cell] = [
      .text(String(describing: S.self)), .integer(n),
      .number(flops / tOurs.median / 1e9, decimals: 1), .number(flops / tDirect.median / 1e9, decimals: 1),
      .number(ratio, decimals: 3), .number(paired, decimals: 3),
      .number(tDirect.minimum / tOurs.minimum, decimals: 3),
      .text("\(tOurs.samples.count)×\(tOurs.batch)"), .text(check),
    ]
    table.append(row)
    return Outcome(type: String(describing: S.self), n: n, ratio: ratio, identical: identical)
  }
}
