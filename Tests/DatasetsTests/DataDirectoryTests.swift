import Foundation
import Testing

@testable import Datasets

@Suite struct DataDirectoryTests {
  @Test func explicitPathWins() {
    let url = DataDirectory.resolve(explicit: "/tmp/explicit", environment: ["DLRT_DATA": "/tmp/env"])
    #expect(url.path == "/tmp/explicit")
  }

  @Test func environmentComesNext() {
    #expect(DataDirectory.resolve(explicit: nil, environment: ["DLRT_DATA": "/tmp/env"]).path == "/tmp/env")
    #expect(DataDirectory.resolve(explicit: "", environment: ["DLRT_DATA": "/tmp/env"]).path == "/tmp/env")
  }

  @Test func defaultIsDataInTheCurrentDirectory() {
    let url = DataDirectory.resolve(explicit: nil, environment: ["DLRT_DATA": ""])
    let expected = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
      "data")
    #expect(url.standardizedFileURL.path == expected.standardizedFileURL.path)
  }

  @Test func tildeIsExpanded() {
    let url = DataDirectory.resolve(explicit: "~/datasets", environment: [:])
    #expect(!url.path.contains("~") && url.path.hasSuffix("/datasets"))
  }
}
