// Result tables: printed as Markdown while rows arrive, encoded as JSON at the end.

/// One entry of a result table.
enum Cell: Sendable, Encodable {
  /// Free text, left-aligned (a shape, a type name, PASS/FAIL).
  case text(String)
  /// An integer, right-aligned.
  case integer(Int)
  /// A real number printed with `decimals` digits after the point; JSON keeps full precision.
  case number(Double, decimals: Int)

  /// The entry as printed.
  var formatted: String {
    switch self {
    case .text(let s): s
    case .integer(let i): String(i)
    case .number(let x, let decimals): format(x, decimals: decimals)
    }
  }

  /// Whether the entry is printed right-aligned.
  var isNumeric: Bool {
    if case .text = self { false } else { true }
  }

  /// Encodes text as a string, numbers as JSON numbers (`null` when not finite).
  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .text(let s): try container.encode(s)
    case .integer(let i): try container.encode(i)
    case .number(let x, _): x.isFinite ? try container.encode(x) : try container.encodeNil()
    }
  }
}

/// `x` with exactly `decimals` digits after the point ("nan"/"inf" when not finite).
func format(_ x: Double, decimals: Int) -> String {
  guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
  guard abs(x) < 1e15 else { return String(x) }
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let rounded = (abs(x) * scale).rounded()
  let digits = String(Int(rounded))
  let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
  let sign = x < 0 && rounded > 0 ? "-" : ""
  guard decimals > 0 else { return sign + padded }
  return sign + padded.dropLast(decimals) + "." + padded.suffix(decimals)
}

/// A column of a ``Table``.
struct Column: Sendable, Encodable {
  /// The printed header, e.g. `ours GFLOP/s`.
  var title: String
  /// The JSON key of this column in each row object, e.g. `ours_gflops`.
  var key: String
  /// The printed width in characters (at least the title's).
  var width: Int
  /// Whether the column is printed; hidden columns appear only in the JSON report.
  var isPrinted: Bool

  /// A column titled `title`, stored under `key` in JSON, padded to `width` characters;
  /// with `printed: false` it goes to JSON only.
  init(_ title: String, key: String, width: Int = 0, printed: Bool = true) {
    self.title = title
    self.key = key
    self.width = max(width, title.count)
    self.isPrinted = printed
  }

  private enum CodingKeys: String, CodingKey { case title, key }
}

/// A table of results that prints each row as soon as it is appended, in Markdown so that the
/// output can be pasted into Docs/Benchmarks.md unchanged.
struct Table: Sendable, Encodable {
  /// A heading printed above the table.
  var title: String
  /// The columns, in print order.
  var columns: [Column]
  /// The rows appended so far, each with one cell per column.
  private(set) var rows: [[Cell]] = []

  /// An empty table; nothing is printed until the first row arrives.
  init(title: String, columns: [Column]) {
    self.title = title
    self.columns = columns
  }

  /// Adds a row and prints it (with the title and header first, for the first row).
  mutating func append(_ row: [Cell]) {
    precondition(row.count == columns.count, "row of \(row.count) cells for \(columns.count) columns")
    if rows.isEmpty {
      print("\n\(title)\n")
      print(line(columns.map { .text($0.title) }))
      // Markdown alignment follows the first row: numbers right, text left.
      let rules = zip(row, columns).filter(\.1.isPrinted).map { cell, column in
        String(repeating: "-", count: column.width + 1) + (cell.isNumeric ? ":" : "-")
      }
      print("|" + rules.joined(separator: "|") + "|")
    }
    rows.append(row)
    print(line(row))
  }

  private func line(_ cells: [Cell]) -> String {
    var out = "|"
    for (cell, column) in zip(cells, columns) where column.isPrinted {
      let s = cell.formatted
      let pad = String(repeating: " ", count: max(0, column.width - s.count))
      out += " " + (cell.isNumeric ? pad + s : s + pad) + " |"
    }
    return out
  }

  private enum CodingKeys: String, CodingKey { case title, columns, rows }

  /// Encodes the title, the column titles, and each row as an object keyed by ``Column/key``.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(title, forKey: .title)
    try container.encode(columns, forKey: .columns)
    let objects = rows.map { row in
      Dictionary(uniqueKeysWithValues: zip(columns.map(\.key), row))
    }
    try container.encode(objects, forKey: .rows)
  }
}
