// Section `integrators`: cost of one BUG and one rank-adaptive BUG step against the matrix size.
import Foundation
import LowRankIntegrators
import MatrixManifold

/// Seconds per step of ``BUG`` and ``AdaptiveBUG`` (explicit Euler substeps, Double) on the
/// structured field `F(Y) = L·Y + Y·L + P·Qᵀ` with a tridiagonal L, rank r = 20, for square
/// n×n problems with n from 1000 to 16000. Every product is applied to factors, so the time
/// must grow linearly in n (ratio per doubling ≤ 2.3) and the memory must stay far below one
/// dense n×n matrix (8·n² bytes; 2 GB at n = 16000). The peak resident memory of each row is
/// measured from a reset high-water mark (`/proc/self/clear_refs`), so earlier sections do not
/// count.
struct IntegratorsSection: BenchmarkSection {
  /// The command-line name.
  let name = "integrators"
  /// The `--help` line.
  let summary = "s per BUG / adaptive-BUG step vs n (structured field, r = 20), growth per doubling, peak RSS"

  /// Measures every size, printing the table as rows complete.
  func run(_ context: BenchmarkContext) -> SectionReport {
    let sizes = context.quick ? [1000, 2000, 4000] : [1000, 2000, 4000, 8000, 16000]
    let rank = 20
    var table = Table(
      title: "Double, explicit Euler substeps, r = \(rank); median seconds per step; peak RSS of the row",
      columns: [
        Column("n", key: "n", width: 6), Column("BUG s", key: "bug_s", width: 9),
        Column("adaptive s", key: "adaptive_s", width: 10),
        Column("BUG ×/doubling", key: "bug_growth"), Column("adaptive ×/doubling", key: "adaptive_growth"),
        Column("peak RSS MB", key: "peak_rss_mb"), Column("dense n×n MB", key: "dense_mb"),
      ])
    var previous: (bug: Double, adaptive: Double)?
    var passed = true
    var worstGrowth = 0.0
    for n in sizes {
      resetPeakResidentMemory()
      var generator = SplitMix64(seed: context.seed &+ UInt64(n))
      let laplacian = TridiagonalOperator<Double>.laplacian(n, scale: 0.25)
      let source = (
        p: Matrix<Double>.gaussian(rows: n, columns: 2, using: &generator),
        q: Matrix<Double>.gaussian(rows: n, columns: 2, using: &generator)
      )
      let field = StructuredMatrixField(left: laplacian, right: laplacian, source: { _ in source })
      let y0 = try! LowRankMatrix(
        u: .randomOrthonormal(rows: n, columns: rank, using: &generator),
        s: .diagonal((0..<rank).map { pow(0.7, Double($0)) }),
        v: .randomOrthonormal(rows: n, columns: rank, using: &generator))
      let policy = try! TruncationPolicy.relative(1e-6, maxRank: 2 * rank)
      let repetitions = context.quick ? 2 : 5
      let bug = measure(minimumTime: 0, maximumRepetitions: repetitions, minimumRepetitions: repetitions) {
        var integrator = BUG(solver: ExplicitEuler<Double>())
        var f = field
        var state = LowRankState(y0)
        blackHole(try! integrator.step(&state, field: &f, from: 0, by: 0.01))
      }.median
      let adaptive = measure(minimumTime: 0, maximumRepetitions: repetitions, minimumRepetitions: repetitions)
      {
        var integrator = AdaptiveBUG(solver: ExplicitEuler<Double>(), truncation: policy)
        var f = field
        var state = LowRankState(y0)
        blackHole(try! integrator.step(&state, field: &f, from: 0, by: 0.01))
      }.median
      let peak = peakResidentMemoryMB()
      var cells: [Cell] = [.integer(n), .number(bug, decimals: 4), .number(adaptive, decimals: 4)]
      if let previous {
        let (gb, ga) = (bug / previous.bug, adaptive / previous.adaptive)
        worstGrowth = max(worstGrowth, gb, ga)
        if n >= 2000 && max(gb, ga) > 2.3 { passed = false }
        cells += [.number(gb, decimals: 2), .number(ga, decimals: 2)]
      } else {
        cells += [.text("-"), .text("-")]
      }
      cells += [
        peak.map { .number($0, decimals: 1) } ?? .text("n/a"),
        .number(8 * Double(n) * Double(n) / 1e6, decimals: 0),
      ]
      table.append(cells)
      previous = (bug, adaptive)
    }
    let summary =
      "integrators: worst growth per doubling \(format(worstGrowth, decimals: 2)) (limit 2.3): \(passed ? "PASS" : "FAIL")"
    return SectionReport(name: name, tables: [table], passed: passed, summary: summary)
  }
}

/// Resets the kernel's peak-RSS counter of this process (Linux `clear_refs`, value 5).
private func resetPeakResidentMemory() {
  try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// The peak resident memory since the last reset, in MB (`VmHWM` of `/proc/self/status`).
private func peakResidentMemoryMB() -> Double? {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
    let kB = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
  else { return nil }
  return kB / 1000
}
