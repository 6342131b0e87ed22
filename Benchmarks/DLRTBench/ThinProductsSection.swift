// Section `thin`: the cost of products with many columns and few rows, as a network pass forms
// them, and the per-element constant of the cost model in `Network.chosenEvaluation`.
import Foundation
import MatrixManifold

/// Median time of the two product shapes of a layer's pass, Float, against the width k:
/// `C = A·X` (A k×n, X n×c: a forward product `Bᵀ·X`) and `G = D·Xᵀ` (D k×c: a rate `δ·Xᵀ`),
/// n = 500 rows and c = 4096 columns (conv2 of LeNet5 on half a batch of 128).
///
/// Each time is fitted by least squares as `t = β·(k·n·c) + α·(n + k)·c`: β per multiply-add and
/// α per element of a c-column operand read or written. `κ = α/β`, the multiply-adds one streamed
/// element costs, is the constant `Network.streamedElementCost` of the cost model that chooses
/// between a factored and a formed low-rank layer. No criterion: the section reports κ and how
/// well the two-term model fits.
struct ThinProductsSection: BenchmarkSection {
  /// The command-line name.
  let name = "thin"
  /// The `--help` line.
  let summary =
    "ms of k×n·n×c and k×c·(n×c)ᵀ products vs k (n = 500, c = 4096), Float; fitted cost per element"

  /// Measures every width, printing rows as they complete, then the fit.
  func run(_ context: BenchmarkContext) -> SectionReport {
    let (n, c) = (500, context.quick ? 1024 : 4096)
    let widths = context.quick ? [5, 25, 100] : [5, 10, 25, 50, 100, 200]
    var generator = SplitMix64(seed: context.seed)
    let x = Matrix<Float>.gaussian(rows: n, columns: c, using: &generator)
    var table = Table(
      title:
        "Float, n = \(n), c = \(c); median ms of interleaved rounds; model = fitted β·MACs + α·streamed",
      columns: [
        Column("product", key: "product", width: 8), Column("k", key: "k", width: 4),
        Column("ms", key: "ms", width: 7), Column("MMAC", key: "mmac", width: 7),
        Column("streamed M", key: "streamed_m"), Column("model ms", key: "model_ms"),
      ])
    var rows: [(product: String, k: Int, seconds: Double, macs: Double, streamed: Double)] = []
    for k in widths {
      let a = Matrix<Float>.gaussian(rows: k, columns: n, using: &generator)
      let d = Matrix<Float>.gaussian(rows: k, columns: c, using: &generator)
      var forward = Matrix<Float>(rows: k, columns: c)
      var rate = Matrix<Float>(rows: k, columns: n)
      let timings = measureInterleaved(
        minimumTime: context.quick ? 0.05 : 1, minimumRounds: 5, maximumRounds: 200, batchTime: 0.02,
        [
          { forward.formProduct(a, x) },
          { rate.formProduct(d, x, opB: .transposed) },
        ])
      blackHole((forward, rate))
      let macs = Double(k * n * c)
      let streamed = Double((n + k) * c)
      rows.append(("A·X", k, timings[0].median, macs, streamed))
      rows.append(("D·Xᵀ", k, timings[1].median, macs, streamed))
    }
    // Least squares for t = β·macs + α·streamed (normal equations of two unknowns).
    var (mm, ms, ss, tm, ts) = (0.0, 0.0, 0.0, 0.0, 0.0)
    for r in rows {
      mm += r.macs * r.macs
      ms += r.macs * r.streamed
      ss += r.streamed * r.streamed
      tm += r.seconds * r.macs
      ts += r.seconds * r.streamed
    }
    let det = mm * ss - ms * ms
    let beta = (tm * ss - ts * ms) / det
    let alpha = (mm * ts - ms * tm) / det
    for r in rows {
      table.append([
        .text(r.product), .integer(r.k), .number(r.seconds * 1e3, decimals: 3),
        .number(r.macs / 1e6, decimals: 1), .number(r.streamed / 1e6, decimals: 2),
        .number((beta * r.macs + alpha * r.streamed) * 1e3, decimals: 3),
      ])
    }
    let summary =
      "thin: β = \(format(beta * 1e12, decimals: 2)) ps per multiply-add "
      + "(\(format(1 / beta / 1e9, decimals: 1)) GMAC/s), α = \(format(alpha * 1e12, decimals: 1)) ps per "
      + "streamed element, κ = α/β = \(format(alpha / beta, decimals: 1)) multiply-adds per element"
    return SectionReport(name: name, tables: [table], passed: nil, summary: summary)
  }
}
