// A Markdown table renderer for result tables: rows of text and numbers, numbers with ± or [lo, hi].
import Foundation

/// One cell of a ``ResultTable``.
public enum ResultCell: Equatable, Sendable, ExpressibleByStringLiteral {
    /// Text, shown as is (pipes escaped).
    case text(String)
    /// A number with a fixed number of decimals: `0.512`.
    case number(Double, decimals: Int = 3)
    /// A mean and standard deviation (for example over seeds): `0.51 ± 0.03`.
    case meanAndDeviation(Double, Double, decimals: Int = 3)
    /// An estimate with a confidence interval: `0.512 [0.470, 0.553]`.
    case interval(ConfidenceInterval, decimals: Int = 3)
    /// No value: `—`.
    case missing

    public init(stringLiteral value: String) { self = .text(value) }

    /// The cell's text.
    public var rendered: String {
        switch self {
        case .text(let s): return s.replacingOccurrences(of: "|", with: "\\|")
        case .number(let x, let d): return ResultCell.format(x, d)
        case .meanAndDeviation(let m, let s, let d): return "\(ResultCell.format(m, d)) ± \(ResultCell.format(s, d))"
        case .interval(let ci, let d):
            return "\(ResultCell.format(ci.estimate, d)) [\(ResultCell.format(ci.lower, d)), \(ResultCell.format(ci.upper, d))]"
        case .missing: return "—"
        }
    }

    var isNumeric: Bool {
        switch self {
        case .text, .missing: return false
        default: return true
        }
    }

    static func format(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let s = String(format: "%.\(max(0, decimals))f", x)
        // Avoid printing "-0.000".
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(s.dropFirst()) }
        return s
    }
}

/// A table of results rendered as GitHub-flavoured Markdown.
///
/// Columns holding numbers are right-aligned, others left-aligned, and cells are padded so the source reads as
/// a table too:
///
/// ```swift
/// var table = ResultTable(columns: ["policy", "gold score", "win-rate"])
/// try table.addRow(["SFT", .number(0.61), .interval(ConfidenceInterval(estimate: 0.5, lower: 0.43, upper: 0.57))])
/// print(table.markdown())
/// // | policy | gold score |             win-rate |
/// // | :----- | ---------: | -------------------: |
/// // | SFT    |      0.610 | 0.500 [0.430, 0.570] |
/// ```
public struct ResultTable: Equatable, Sendable {
    /// The column headers.
    public var columns: [String]
    /// The rows, each with one cell per column.
    public private(set) var rows: [[ResultCell]]

    /// Creates an empty table.
    ///
    /// - Parameter columns: The headers, at least one.
    public init(columns: [String]) {
        self.columns = columns
        self.rows = []
    }

    /// Appends a row.
    ///
    /// - Parameter cells: One cell per column.
    /// - Throws: ``EvaluationError/lengthMismatch(metric:expected:found:)`` if the count differs from the columns'.
    public mutating func addRow(_ cells: [ResultCell]) throws(EvaluationError) {
        guard cells.count == columns.count else {
            throw .lengthMismatch(metric: "ResultTable.addRow", expected: columns.count, found: cells.count)
        }
        rows.append(cells)
    }

    /// The table as Markdown: a header row, an alignment row and one line per row, each ending in `\n`.
    ///
    /// - Returns: The Markdown text.
    public func markdown() -> String {
        let headers = columns.map { ResultCell.text($0).rendered }
        let body = rows.map { $0.map(\.rendered) }
        let numeric = columns.indices.map { c in rows.contains { $0[c].isNumeric } }
        let widths = columns.indices.map { c in
            max(3, ([headers[c]] + body.map { $0[c] }).map(\.count).max() ?? 3)
        }
        func pad(_ s: String, _ c: Int) -> String {
            let fill = String(repeating: " ", count: widths[c] - s.count)
            return numeric[c] ? fill + s : s + fill
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { pad($0.element, $0.offset) }.joined(separator: " | ") + " |\n"
        }
        var out = line(headers)
        out += "| " + columns.indices.map { c in
            numeric[c] ? String(repeating: "-", count: widths[c] - 1) + ":" : ":" + String(repeating: "-", count: widths[c] - 1)
        }.joined(separator: " | ") + " |\n"
        for row in body { out += line(row) }
        return out
    }
}
