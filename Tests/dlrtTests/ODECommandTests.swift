import ArgumentParser
import Foundation
import TestSupport
import Testing

@testable import dlrt

@Suite struct ODECommandTests {
  @Test func runWritesResultFiles() throws {
    let dir = try temporaryDirectory("dlrt-cli")
    defer { try? FileManager.default.removeItem(at: dir) }
    let prefix = dir.appendingPathComponent("sub/heat").path
    var command = try DLRT.parseAsRoot([
      "ode", "run", "--problem", "heat", "--size", "16", "--rank", "3", "--integrator", "bug-adaptive",
      "--tol", "1e-8", "--steps", "5", "--out", prefix,
    ])
    try command.run()
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: prefix + ".json")))
    let record = try #require(json as? [String: Any])
    let history = try #require(record["history"] as? [[String: Any]])
    #expect(history.count == 6)  // the initial state and five steps
    let config = try #require(record["config"] as? [String: String])
    #expect(config["integrator"] == "bug-adaptive" && config["seed"] == "2007")
    let csv = try String(contentsOfFile: prefix + ".csv", encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 7)  // header + 6 rows
    // The final error is small: the heat problem at rank ≤ 50 with τ = 1e-8.
    let last = try #require(history.last?["error"] as? Double)
    #expect(last < 1e-3)
  }

  @Test func convergenceUpdatesMarkedRegion() throws {
    let dir = try temporaryDirectory("dlrt-cli")
    defer { try? FileManager.default.removeItem(at: dir) }
    let doc = dir.appendingPathComponent("doc.md").path
    try "before\n<!-- BEGIN t -->\nold\n<!-- END t -->\nafter\n".write(
      toFile: doc, atomically: true, encoding: .utf8)
    var command = try DLRT.parseAsRoot([
      "ode", "convergence", "--problem", "linear-factors", "--size", "12", "--rank", "2",
      "--integrators", "bug", "ksl", "--steps", "2", "4", "--update-doc", doc, "--marker", "t",
      "--plot", dir.appendingPathComponent("p.svg").path,
    ])
    try command.run()
    let text = try String(contentsOfFile: doc, encoding: .utf8)
    #expect(text.hasPrefix("before\n<!-- BEGIN t -->\n") && text.hasSuffix("<!-- END t -->\nafter\n"))
    #expect(!text.contains("old") && text.contains("| bug |") && text.contains("| ksl |"))
    let svg = try String(contentsOfFile: dir.appendingPathComponent("p.svg").path, encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
  }

  @Test func missingMarkerIsAClearErrorAndLeavesTheFile() throws {
    let dir = try temporaryDirectory("dlrt-cli")
    defer { try? FileManager.default.removeItem(at: dir) }
    let doc = dir.appendingPathComponent("doc.md").path
    try "no markers here\n".write(toFile: doc, atomically: true, encoding: .utf8)
    var command = try DLRT.parseAsRoot([
      "ode", "convergence", "--problem", "linear-factors", "--size", "8", "--rank", "2", "--integrators",
      "bug",
      "--steps", "2", "--update-doc", doc,
    ])
    #expect(throws: CLIError.self) { try command.run() }
    #expect(try String(contentsOfFile: doc, encoding: .utf8) == "no markers here\n")
  }

  @Test func invalidOptionsAreRejectedBeforeRunning() {
    for arguments in [
      ["ode", "run", "--steps", "0"], ["ode", "run", "--rank", "0"],
      ["ode", "run", "--size", "4", "--rank", "9"],
      ["ode", "run", "--tol", "-1"], ["ode", "run", "--integrator", "euler"], ["ode", "run", "--bogus"],
      ["ode", "convergence", "--steps", "0"],
    ] {
      #expect(throws: (any Error).self, "\(arguments)") { _ = try DLRT.parseAsRoot(arguments) }
    }
  }
}
