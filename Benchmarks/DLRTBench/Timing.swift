// Timing helpers shared by every section: a monotonic clock, repeated and interleaved runs.

/// Timings of one operation, in seconds per call, over several repetitions.
struct Timing: Sendable, Encodable {
  /// Seconds per call of each repetition (or of each round's batch, divided by its size).
  var samples: [Double]
  /// Calls per sample: 1 for ``measure(minimumTime:maximumRepetitions:minimumRepetitions:_:)``,
  /// the calibrated batch size for
  /// ``measureInterleaved(minimumTime:minimumRounds:maximumRounds:batchTime:_:)``.
  var batch: Int

  /// The median seconds per call; the statistic that sections compare and print.
  var median: Double { dlrt_bench.median(samples) }

  /// The fastest seconds per call: the run least disturbed by the rest of the machine.
  var minimum: Double { samples.min() ?? .nan }

  private enum CodingKeys: String, CodingKey { case medianSeconds, minimumSeconds, samples, batch }

  /// Encodes the median and fastest seconds per call, the sample count and the batch size.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(median, forKey: .medianSeconds)
    try container.encode(minimum, forKey: .minimumSeconds)
    try container.encode(samples.count, forKey: .samples)
    try container.encode(batch, forKey: .batch)
  }
}

/// The median of `values` (the mean of the middle two for an even count; NaN when empty).
func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return .nan }
  let mid = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// Seconds taken by `body`, read from the monotonic `ContinuousClock`.
func elapsedSeconds(_ body: () -> Void) -> Double {
  let duration = ContinuousClock().measure(body)
  let (seconds, attoseconds) = duration.components
  return Double(seconds) + Double(attoseconds) * 1e-18
}

/// Keeps a value alive so the optimiser cannot drop the computation that produced it.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// Times `body` once per repetition after one untimed warm-up call.
///
/// Repeats at least `minimumRepetitions` times, then until the timed calls add up to
/// `minimumTime` seconds or `maximumRepetitions` is reached, whichever comes first.
/// - Returns: one sample per call; read ``Timing/median`` and ``Timing/minimum``.
func measure(
  minimumTime: Double, maximumRepetitions: Int, minimumRepetitions: Int = 3, _ body: () -> Void
) -> Timing {
  body()
  var samples: [Double] = []
  var total = 0.0
  while samples.count < maximumRepetitions
    && (samples.count < minimumRepetitions || total < minimumTime)
  {
    let t = elapsedSeconds(body)
    samples.append(t)
    total += t
  }
  return Timing(samples: samples, batch: 1)
}

/// Times several operations in interleaved rounds so that machine noise (other processes,
/// frequency changes, thermal drift) falls on all of them alike.
///
/// One untimed call of each calibrates a batch size so that a batch of calls of the slowest
/// operation takes about `batchTime` seconds. Each round then times one batch of every
/// operation, starting one operation later each round (for two: A B, B A, A B, …) so that none
/// always runs first or on a cache warmed by the same neighbour. Rounds continue until both
/// `minimumRounds` are done and the timed batches add up to `minimumTime` seconds, or
/// `maximumRounds` is reached.
/// - Returns: per-call timings of each operation, in the order given, one sample per round.
func measureInterleaved(
  minimumTime: Double, minimumRounds: Int, maximumRounds: Int, batchTime: Double,
  _ operations: [() -> Void]
) -> [Timing] {
  let slowest = operations.map { elapsedSeconds($0) }.reduce(1e-9, max)
  let batch = max(1, Int(batchTime / slowest))
  var samples = [[Double]](repeating: [], count: operations.count)
  var total = 0.0
  var round = 0
  while round < maximumRounds && (round < minimumRounds || total < minimumTime) {
    for step in operations.indices {
      let index = (round + step) % operations.count
      let seconds = elapsedSeconds { for _ in 0..<batch { operations[index]() } }
      samples[index].append(seconds / Double(batch))
      total += seconds
    }
    round += 1
  }
  return samples.map { Timing(samples: $0, batch: batch) }
}
