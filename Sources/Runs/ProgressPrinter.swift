// The terminal side of progress: an in-place status line on a TTY, plain periodic lines otherwise.
import Foundation

/// Formats `TrainingEvent`-style step reports for people. The library never prints; tools use this.
public final class ProgressPrinter {
    private let isTerminal: Bool
    private let startTime = Date()
    private var lastPrint = Date.distantPast
    private let interval: TimeInterval
    private let keys: [String]
    private var lineOpen = false

    /// - Parameters:
    ///   - keys: the metric keys to show, in order (others are omitted from the line).
    ///   - interval: minimum seconds between plain log lines when the output is not a terminal.
    public init(keys: [String], interval: TimeInterval = 5) {
        isTerminal = isatty(STDOUT_FILENO) != 0
        self.keys = keys
        self.interval = interval
    }

    /// Reports step `step` of `total` with `metrics`.
    public func step(_ label: String, step: Int, total: Int?, metrics: [String: Double]) {
        let elapsed = Date().timeIntervalSince(startTime)
        let rate = elapsed > 0 ? Double(step) / elapsed : 0
        var parts = ["\(label) \(step)\(total.map { "/\($0)" } ?? "")", String(format: "%.2f it/s", rate)]
        if let total, rate > 0 {
            parts.append("eta \(ProgressPrinter.duration(Double(total - step) / rate))")
        }
        for key in keys { if let v = metrics[key] { parts.append("\(key) \(ProgressPrinter.format(v))") } }
        let line = parts.joined(separator: " | ")
        let isLast = total.map { step >= $0 } ?? false
        if isTerminal {
            print("\r\u{1B}[K" + line, terminator: isLast ? "\n" : "")
            lineOpen = !isLast
            fflush(stdout)
        } else if isLast || Date().timeIntervalSince(lastPrint) >= interval || step == 1 {
            print(line)
            fflush(stdout)
            lastPrint = Date()
        }
    }

    /// Prints a full line (closing an in-place line first).
    public func line(_ text: String) {
        if lineOpen { print(""); lineOpen = false }
        print(text)
        fflush(stdout)
    }

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1000 || abs(v) < 0.001 { return String(format: "%.3e", v) }
        return String(format: "%.4f", v)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\((s % 3600) / 60)m" : (s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s")
    }
}
