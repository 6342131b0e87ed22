import Foundation

/// Where datasets live: the root directory holding `mnist/`, `fashion-mnist/`, ….
public enum DataDirectory {
  /// The environment variable naming the data directory when no explicit path is given.
  public static let environmentVariable = "DLRT_DATA"
  /// The directory used when neither an explicit path nor the environment variable is set,
  /// relative to the current directory (where `make data` puts the files).
  public static let defaultPath = "data"

  /// The data directory: `explicit` (e.g. `--data-dir`) if given, else `$DLRT_DATA`, else `data/`.
  ///
  /// Empty strings count as not given; a leading `~` is expanded.
  /// - Parameters:
  ///   - explicit: the directory given on the command line, if any.
  ///   - environment: the process environment; tests pass their own.
  public static func resolve(
    explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    let chosen =
      [explicit, environment[environmentVariable]].compactMap { $0 }.first { !$0.isEmpty } ?? defaultPath
    return URL(fileURLWithPath: NSString(string: chosen).expandingTildeInPath, isDirectory: true)
  }
}
