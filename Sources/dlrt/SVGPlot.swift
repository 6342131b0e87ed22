import Foundation

/// A minimal line plot written as SVG by the project itself (no plotting dependency).
struct SVGPlot {
  struct Series {
    var label: String
    var points: [(x: Double, y: Double)]
  }

  var title: String
  var xLabel: String
  var yLabel: String
  var logX = false
  var logY = false
  var series: [Series] = []

  private static let palette = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
  ]

  /// A tick step of 1, 2 or 5 times a power of ten giving about five intervals over `span`.
  static func niceStep(_ span: Double) -> Double {
    let raw = span / 5
    let decade = pow(10, floor(log10(raw)))
    let mantissa = raw / decade
    return decade * (mantissa < 1.5 ? 1 : mantissa < 3.5 ? 2 : mantissa < 7.5 ? 5 : 10)
  }

  /// The SVG document.
  func render(width: Double = 640, height: Double = 420) -> String {
    let (left, right, top, bottom) = (70.0, 170.0, 40.0, 50.0)
    let plotW = width - left - right, plotH = height - top - bottom
    func tx(_ v: Double) -> Double { logX ? log10(v) : v }
    func ty(_ v: Double) -> Double { logY ? log10(v) : v }
    let finite = series.flatMap(\.points).filter {
      $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0)
    }
    guard !finite.isEmpty else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>" }
    var (x0, x1) = (finite.map { tx($0.x) }.min()!, finite.map { tx($0.x) }.max()!)
    var (y0, y1) = (finite.map { ty($0.y) }.min()!, finite.map { ty($0.y) }.max()!)
    if x1 == x0 { (x0, x1) = (x0 - 1, x1 + 1) }
    if y1 == y0 { (y0, y1) = (y0 - 1, y1 + 1) }
    // Log axes span whole decades; linear ones widen to multiples of a 1-2-5 tick step.
    let xStep = logX ? 1 : Self.niceStep(x1 - x0)
    let yStep = logY ? 1 : Self.niceStep(y1 - y0)
    (x0, x1) = (floor(x0 / xStep) * xStep, ceil(x1 / xStep) * xStep)
    (y0, y1) = (floor(y0 / yStep) * yStep, ceil(y1 / yStep) * yStep)
    func px(_ v: Double) -> Double { left + (tx(v) - x0) / (x1 - x0) * plotW }
    func py(_ v: Double) -> Double { top + (1 - (ty(v) - y0) / (y1 - y0)) * plotH }
    func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(fmt(left + plotW / 2))" y="22" text-anchor="middle" font-size="14">\(esc(title))</text>
      <rect x="\(fmt(left))" y="\(fmt(top))" width="\(fmt(plotW))" height="\(fmt(plotH))" fill="none" stroke="#333"/>

      """
    // Ticks: decades on log axes, multiples of the step on linear ones.
    func ticks(_ a: Double, _ b: Double, log: Bool, step: Double) -> [Double] {
      if log { return stride(from: ceil(a), through: floor(b), by: 1).map { pow(10, $0) } }
      return stride(from: a, through: b + step / 2, by: step).map { $0 }
    }
    func label(_ v: Double, log: Bool) -> String {
      log ? "1e\(Int(log10(v).rounded()))" : String(format: "%.3g", v)
    }
    for v in ticks(x0, x1, log: logX, step: xStep) {
      let x = px(v)
      svg +=
        "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + plotH))\" stroke=\"#ddd\"/>"
      svg +=
        "<text x=\"\(fmt(x))\" y=\"\(fmt(top + plotH + 16))\" text-anchor=\"middle\">\(label(v, log: logX))</text>\n"
    }
    for v in ticks(y0, y1, log: logY, step: yStep) {
      let y = py(v)
      svg +=
        "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + plotW))\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>"
      svg +=
        "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(label(v, log: logY))</text>\n"
    }
    svg +=
      "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
    svg +=
      "<text transform=\"translate(16 \(fmt(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
    for (i, s) in series.enumerated() {
      let color = Self.palette[i % Self.palette.count]
      let pts = s.points.filter {
        $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0)
      }
      let path = pts.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
      svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
      for p in pts {
        svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>"
      }
      let ly = top + 14 + Double(i) * 18
      svg +=
        "\n<line x1=\"\(fmt(left + plotW + 12))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(left + plotW + 32))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
      svg += "<text x=\"\(fmt(left + plotW + 38))\" y=\"\(fmt(ly))\">\(esc(s.label))</text>\n"
    }
    return svg + "</svg>\n"
  }
}
