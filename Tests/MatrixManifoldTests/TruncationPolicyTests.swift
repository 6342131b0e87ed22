import MatrixManifold
import TestSupport
import Testing

@Suite struct TruncationPolicyTests {
  let sigma: [Double] = [4, 3, 2, 1, 0.5]  // ‖σ‖₂² = 16+9+4+1+0.25 = 30.25, ‖σ‖₂ = 5.5

  @Test func relativeRuleOnHandMadeValues() throws {
    // Tails: r=5 → 0; r=4 → 0.5; r=3 → √1.25 ≈ 1.118; r=2 → √5.25 ≈ 2.291; r=1 → √14.25 ≈ 3.775.
    #expect(try TruncationPolicy.relative(0).rank(for: sigma) == 5)
    #expect(try TruncationPolicy.relative(0.5 / 5.5).rank(for: sigma) == 4)  // tail 0.5 ≤ ϑ exactly
    #expect(try TruncationPolicy.relative(0.1).rank(for: sigma) == 4)  // ϑ = 0.55
    #expect(try TruncationPolicy.relative(0.21).rank(for: sigma) == 3)  // ϑ = 1.155
    // ϑ = 2.75: tail(2) = 2.291 fits, tail(1) = 3.775 does not.
    #expect(try TruncationPolicy.relative(0.5).rank(for: sigma) == 2)
  }

  @Test func absoluteRuleAndClamping() throws {
    #expect(try TruncationPolicy.absolute(1.2).rank(for: sigma) == 3)
    #expect(try TruncationPolicy.absolute(100).rank(for: sigma) == 1)  // minRank 1
    #expect(try TruncationPolicy.absolute(100, minRank: 0).rank(for: sigma) == 0)
    #expect(try TruncationPolicy.absolute(0, maxRank: 2).rank(for: sigma) == 2)
    #expect(try TruncationPolicy.absolute(100, minRank: 3).rank(for: sigma) == 3)
    #expect(try TruncationPolicy.absolute(100, minRank: 9).rank(for: sigma) == 5)  // only 5 values
    #expect(try TruncationPolicy.fixedRank(2).rank(for: sigma) == 2)
    #expect(try TruncationPolicy.fixedRank(9).rank(for: sigma) == 5)
    #expect(try TruncationPolicy.relative(0.1).rank(for: [Double]()) == 0)
    #expect(try TruncationPolicy.relative(0.1).rank(for: [0.0, 0, 0]) == 1)
  }

  /// A per-block ceiling lowers the largest rank, and the smallest where it was above the ceiling.
  @Test func cappedPolicies() throws {
    let policy = try TruncationPolicy.relative(0, minRank: 3, maxRank: 10)
    #expect(policy.capped(at: 20) == policy)
    #expect(policy.capped(at: 4).rank(for: sigma) == 4)  // τ = 0 keeps all 5 without the ceiling
    let low = policy.capped(at: 2)
    #expect((low.minRank, low.maxRank) == (2, 2))
    #expect(try TruncationPolicy.absolute(100, minRank: 2).capped(at: 4).rank(for: sigma) == 2)
    #expect(try TruncationPolicy.absolute(100).capped(at: 0).rank(for: sigma) == 0)
  }

  @Test func invalidPoliciesThrow() {
    #expect(throws: MatrixError.self) { try TruncationPolicy.relative(-1) }
    #expect(throws: MatrixError.self) { try TruncationPolicy.relative(.nan) }
    #expect(throws: MatrixError.self) { try TruncationPolicy.absolute(.infinity) }
    #expect(throws: MatrixError.self) { try TruncationPolicy.fixedRank(0) }
    #expect(throws: MatrixError.self) { try TruncationPolicy.relative(0.1, minRank: 5, maxRank: 2) }
  }

  /// The rule keeps the smallest rank whose tail is within ϑ: checked against brute force.
  @Test func matchesBruteForceOnRandomSpectra() throws {
    var g = testGenerator(20)
    for trial in 0..<200 {
      let count = Int.random(in: 1...12, using: &g)
      let values = (0..<count).map { _ in Double.random(in: 0...2, using: &g) }.sorted(by: >)
      let tau = Double.random(in: 0...0.8, using: &g)
      let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let brute = (0...count).first { r in
        values[r...].reduce(0) { $0 + $1 * $1 }.squareRoot() <= tau * norm
      }!
      let expected = Swift.max(1, brute)
      #expect(try TruncationPolicy.relative(tau).rank(for: values) == expected, "trial \(trial)")
    }
  }
}
