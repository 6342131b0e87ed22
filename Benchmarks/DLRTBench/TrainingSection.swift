// Section `training`: where the time of one DLRT training step goes, on MNIST-shaped data.
internal import CLapack
import LowRankIntegrators
import LowRankNN
import MatrixManifold

/// Milliseconds per batch of 256 for the network 784-500-500-500-500-10 (Float, random data of
/// MNIST's shape): one dense SGD step, one adaptive DLRT step at rank r, and the pieces of the
/// DLRT step — the K/L pass (one forward/backward at rank r), the S pass (one forward/backward
/// at the same rank-r point with `F·V̂` in the 2r-column augmented basis, as the two-pass step
/// evaluates it), the eight basis augmentations (`U₀.augmentedBasis(with: K₁)`, n×2r, as the step
/// does, timed interleaved with the Householder QR of `[U₀, K₁]` that earlier versions used), and
/// the four SVD truncations. A second table compares LAPACK's SVD drivers on the 2r×2r core.
struct TrainingSection: BenchmarkSection {
  /// The command-line name.
  let name = "training"
  /// The `--help` line.
  let summary = "ms per batch: dense SGD step, DLRT step at rank r and its passes, QR and SVD"

  /// Measures each rank, printing the table as rows complete.
  func run(_ context: BenchmarkContext) -> SectionReport {
    let ranks = context.quick ? [20] : [10, 20, 40, 80, 150]
    let batch = 256
    let widths = [784, 500, 500, 500, 500, 10]
    var generator = SplitMix64(seed: context.seed)
    let x = Matrix<Float>.uniform(rows: 784, columns: batch, in: 0...1, using: &generator)
    let labels = (0..<batch).map { _ in Int.random(in: 0..<10, using: &generator) }
    var table = Table(
      title: "Float, batch \(batch), \(widths.map(String.init).joined(separator: "-")); median ms per batch",
      columns: [
        Column("r", key: "r", width: 4), Column("dense step", key: "dense_ms"),
        Column("DLRT step", key: "dlrt_ms"), Column("K/L pass", key: "kl_pass_ms"),
        Column("S pass (V̂: 2r)", key: "s_pass_ms"), Column("augment ×8", key: "augment_ms"),
        Column("QR [U₀,K₁] ×8", key: "qr_augment_ms"), Column("SVD ×4", key: "svd_ms"),
        Column("DLRT/dense", key: "ratio"),
      ])
    var svdTable = Table(
      title: "Float, SVD of the 2r×2r core with the singular vectors a truncation needs; median ms per call",
      columns: [
        Column("r", key: "r", width: 4), Column("gesdd", key: "gesdd_ms", width: 6),
        Column("gesvd", key: "gesvd_ms", width: 6),
        Column("gesvdx (r of 2r)", key: "gesvdx_ms"), Column("gesdd values only", key: "gesdd_values_ms"),
      ])
    var svdRows: [[Cell]] = []
    let reps = context.quick ? 3 : 10
    var denseConfig = TrainingConfiguration()
    denseConfig.mode = .dense
    var denseTrainer = try! Trainer<Float>(configuration: denseConfig)
    let dense = measure(minimumTime: 0.3, maximumRepetitions: reps * 3, minimumRepetitions: reps) {
      blackHole(try! denseTrainer.step(features: x, labels: labels))
    }.median
    for r in ranks {
      var config = TrainingConfiguration()
      // Adaptive with τ = 0 and max rank r: the full adaptive step (augmentation to 2r, S pass with
      // F·V̂ at 2r, truncation), with the rank held at r so every repetition measures the same sizes.
      (config.mode, config.tau, config.startRank, config.maxRank) = (.adaptive, 0, r, r)
      var trainer = try! Trainer<Float>(configuration: config)
      let step = measure(minimumTime: 0.3, maximumRepetitions: reps * 3, minimumRepetitions: reps) {
        blackHole(try! trainer.step(features: x, labels: labels))
      }.median
      // The same work as an adaptive step, piece by piece, on the trainer's current weights.
      var network = trainer.network
      try! network.setBatch(features: x, labels: labels)
      let state = trainer.state
      let klPass = measure(minimumTime: 0.3, maximumRepetitions: reps * 3, minimumRepetitions: reps) {
        var e = FieldEvaluation(
          time: 0,
          blocks: state.blocks.map { .init(a: $0.u * $0.s, b: $0.v, rightBasis: $0.v, leftBasis: $0.u) },
          dense: state.dense, wantsDenseRates: true)
        try! network.evaluate(&e)
        blackHole(e)
      }.median
      let augmented = state.blocks.map { y in
        (
          u: try! Matrix.concatenated(y.u, y.u * y.s).orthonormalized(),
          v: try! Matrix.concatenated(y.v, y.v * y.s).orthonormalized(),
          s: Matrix<Float>.gaussian(rows: 2 * r, columns: 2 * r, using: &generator)
        )
      }
      // The Galerkin step evaluates at Y₀'s own factors (K₀ = U₀S₀, formed by the basis update).
      let initialFactors = state.blocks.map { ($0.u * $0.s, $0.v) }
      let sPass = measure(minimumTime: 0.3, maximumRepetitions: reps * 3, minimumRepetitions: reps) {
        var e = FieldEvaluation(
          time: 0,
          blocks: zip(initialFactors, augmented).map {
            .init(a: $0.0, b: $0.1, rightBasis: $1.v, leftBasis: nil)
          },
          dense: state.dense)
        try! network.evaluate(&e)
        blackHole(e)
      }.median
      // K₁ and L₁ as a step would produce them: the old factors plus a small random update.
      let updates = state.blocks.map { y in
        (
          k: y.u * y.s + 0.01 * Matrix<Float>.gaussian(rows: y.u.rows, columns: r, using: &generator),
          l: y.v * y.s + 0.01 * Matrix<Float>.gaussian(rows: y.v.rows, columns: r, using: &generator)
        )
      }
      let augmentations = measureInterleaved(
        minimumTime: 0.3, minimumRounds: reps, maximumRounds: reps * 10, batchTime: 0.01,
        [
          {
            for (y, update) in zip(state.blocks, updates) {
              blackHole(try! y.u.augmentedBasis(with: update.k).basis)
              blackHole(try! y.v.augmentedBasis(with: update.l).basis)
            }
          },
          {
            for (y, update) in zip(state.blocks, updates) {
              blackHole(try! Matrix.concatenated(y.u, update.k).orthonormalized())
              blackHole(try! Matrix.concatenated(y.v, update.l).orthonormalized())
            }
          },
        ])
      let svd = measure(minimumTime: 0.3, maximumRepetitions: reps * 3, minimumRepetitions: reps) {
        for a in augmented {
          blackHole(try! LowRankMatrix.truncate(basisU: a.u, core: a.s, basisV: a.v, policy: .relative(0.1)))
        }
      }.median
      table.append([
        .integer(r), .number(dense * 1e3, decimals: 2), .number(step * 1e3, decimals: 2),
        .number(klPass * 1e3, decimals: 2), .number(sPass * 1e3, decimals: 2),
        .number(augmentations[0].median * 1e3, decimals: 2),
        .number(augmentations[1].median * 1e3, decimals: 2),
        .number(svd * 1e3, decimals: 2), .number(step / dense, decimals: 2),
      ])
      let core = augmented[0].s
      let drivers = measureInterleaved(
        minimumTime: 0.3, minimumRounds: reps, maximumRounds: reps * 10, batchTime: 0.01,
        SVDDriver.allCases.map { driver in { blackHole(driver.run(core)) } })
      svdRows.append([.integer(r)] + drivers.map { .number($0.median * 1e3, decimals: 3) })
    }
    // Printed after the step table so that the two do not interleave.
    for row in svdRows { svdTable.append(row) }
    return SectionReport(name: name, tables: [table, svdTable], passed: nil, summary: nil)
  }
}

/// LAPACK's SVD drivers on a square core, each on a copy: `gesdd` (divide and conquer, what
/// `Matrix.svd()` calls), `gesvd` (QR iteration), `gesvdx` computing only the leading half of the
/// singular vectors (bisection and inverse iteration; a truncation keeps about r of 2r), and
/// `gesdd` without vectors, the lower bound of any driver.
private enum SVDDriver: CaseIterable {
  case gesdd, gesvd, gesvdx, gesddValues

  /// The singular values; the vectors are computed into scratch and dropped.
  func run(_ a: Matrix<Float>) -> [Float] {
    let n = a.rows
    let n32 = Int32(n)
    var entries = a.elements
    var s = [Float](repeating: 0, count: n)
    var u = [Float](repeating: 0, count: n * n)
    var vt = [Float](repeating: 0, count: n * n)
    let (jobS, jobN, jobV, rangeI) = (
      CChar(UInt8(ascii: "S")), CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I"))
    )
    switch self {
    case .gesdd:
      _ = LAPACKE_sgesdd(LAPACK_COL_MAJOR, jobS, n32, n32, &entries, n32, &s, &u, n32, &vt, n32)
    case .gesvd:
      var work = [Float](repeating: 0, count: max(1, n - 1))
      _ = LAPACKE_sgesvd(LAPACK_COL_MAJOR, jobS, jobS, n32, n32, &entries, n32, &s, &u, n32, &vt, n32, &work)
    case .gesvdx:
      var found: Int32 = 0
      var iwork = [Int32](repeating: 0, count: 12 * n)
      _ = LAPACKE_sgesvdx(
        LAPACK_COL_MAJOR, jobV, jobV, rangeI, n32, n32, &entries, n32, 0, 0, 1, max(1, n32 / 2), &found, &s,
        &u, n32, &vt, n32, &iwork)
    case .gesddValues:
      _ = LAPACKE_sgesdd(LAPACK_COL_MAJOR, jobN, n32, n32, &entries, n32, &s, &u, n32, &vt, n32)
    }
    return s
  }
}
