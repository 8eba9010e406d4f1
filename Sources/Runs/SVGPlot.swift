// Line charts as standalone SVG files that open in any browser (no plotting library needed).
import Foundation

/// One named series of (x, y) points.
public struct PlotSeries {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public init(name: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.points = points
    }
}

/// Renders series as an SVG line chart with axes, tick labels and a legend.
public func svgLineChart(title: String, xLabel: String, yLabel: String, series: [PlotSeries],
                         width: Int = 640, height: Int = 400) -> String {
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
    let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
    var xMin = all.map(\.x).min() ?? 0, xMax = all.map(\.x).max() ?? 1
    var yMin = all.map(\.y).min() ?? 0, yMax = all.map(\.y).max() ?? 1
    if xMax == xMin { xMin -= 1; xMax += 1 }
    if yMax == yMin { yMin -= 1; yMax += 1 }
    let pad = (yMax - yMin) * 0.05
    yMin -= pad; yMax += pad
    func sx(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
    func sy(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
    func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    func tick(_ v: Double) -> String { abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2e", v) : String(format: "%.3g", v) }
    var svg = """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="12">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(Double(width) / 2)" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
    <line x1="\(left)" y1="\(top + plotH)" x2="\(left + plotW)" y2="\(top + plotH)" stroke="black"/>
    <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotH)" stroke="black"/>

    """
    for i in 0...4 {
        let fx = xMin + (xMax - xMin) * Double(i) / 4, fy = yMin + (yMax - yMin) * Double(i) / 4
        svg += "<text x=\"\(sx(fx))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(tick(fx))</text>\n"
        svg += "<text x=\"\(left - 6)\" y=\"\(sy(fy) + 4)\" text-anchor=\"end\">\(tick(fy))</text>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(sy(fy))\" x2=\"\(left + plotW)\" y2=\"\(sy(fy))\" stroke=\"#ddd\"/>\n"
    }
    svg += "<text x=\"\(left + plotW / 2)\" y=\"\(Double(height) - 10)\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
    svg += "<text x=\"16\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(top + plotH / 2))\">\(esc(yLabel))</text>\n"
    for (i, s) in series.enumerated() {
        let color = colors[i % colors.count]
        let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
        if pts.count == 1 {
            svg += "<circle cx=\"\(sx(pts[0].x))\" cy=\"\(sy(pts[0].y))\" r=\"4\" fill=\"\(color)\"/>\n"
        } else if !pts.isEmpty {
            let path = pts.map { String(format: "%.1f,%.1f", sx($0.x), sy($0.y)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(path)\"/>\n"
        }
        svg += "<rect x=\"\(left + 10)\" y=\"\(top + 8 + Double(i) * 16)\" width=\"12\" height=\"3\" fill=\"\(color)\"/>\n"
        svg += "<text x=\"\(left + 28)\" y=\"\(top + 13 + Double(i) * 16)\">\(esc(s.name))</text>\n"
    }
    svg += "</svg>\n"
    return svg
}
