// The terminal side of progress: an in-place status line on a TTY, plain lines at least every 10 s otherwise.
import Foundation

/// Formats `TrainingEvent`-style step reports for people. The library never prints; tools use this.
public final class ProgressPrinter {
    /// Set by `--quiet`: step lines are not printed (full lines, such as results, still are).
    nonisolated(unsafe) public static var quiet = false

    private let isTerminal: Bool
    private let reporter: StepReporter
    private var lineOpen = false

    /// - Parameters:
    ///   - keys: the metric keys to show, in order (others are omitted from the line).
    ///   - interval: the longest silence between plain log lines when the output is not a terminal.
    public init(keys: [String], interval: TimeInterval = 10) {
        isTerminal = isatty(STDOUT_FILENO) != 0
        reporter = StepReporter(interval: interval, keys: keys)
    }

    /// Reports step `step` of `total` with `metrics`: in place on a terminal, otherwise a plain line at the first
    /// and last step and at most every `interval` seconds.
    public func step(_ label: String, step: Int, total: Int?, metrics: [String: Double]) {
        if ProgressPrinter.quiet { return }
        let isLast = total.map { step >= $0 } ?? false
        if isTerminal {
            let line = reporter.line(label, step: step, total: total, metrics: metrics)
            print("\r\u{1B}[K" + line, terminator: isLast ? "\n" : "")
            lineOpen = !isLast
            fflush(stdout)
        } else if let line = reporter.dueLine(label, step: step, total: total, metrics: metrics) {
            print(line)
            fflush(stdout)
        }
    }

    /// Prints a full line (closing an in-place line first).
    public func line(_ text: String) {
        if lineOpen { print(""); lineOpen = false }
        print(text)
        fflush(stdout)
    }
}
