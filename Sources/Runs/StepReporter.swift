// One plain progress line per interval from a trainer's step reports: what a log file (nohup, CI) needs from a
// long run, where an in-place terminal line leaves nothing.
import Foundation

/// Formats step reports (`label step/total | rate | eta | metrics`) and says when one is due: at the first step,
/// at the last, and otherwise at most once per `interval` seconds. Shared by `ProgressPrinter` and the
/// multi-stage runners, which hand the lines to their log.
public final class StepReporter {
    private let interval: TimeInterval
    private let keys: [String]?
    /// When each label's first report came, and its step then: rates count the steps since.
    private var start: [String: (time: Date, step: Int)] = [:]
    private var lastLine = Date.distantPast

    /// - Parameters:
    ///   - interval: the longest silence between two lines, in seconds.
    ///   - keys: the metrics to show, in order; nil shows up to three whose names end in `loss`, `accuracy` or
    ///     `reward` or that are `objective/raw_score`.
    public init(interval: TimeInterval = 10, keys: [String]? = nil) {
        self.interval = interval
        self.keys = keys
    }

    /// The line for step `step` of `total` of `label`, formatted whether or not one is due.
    public func line(_ label: String, step: Int, total: Int?, metrics: [String: Double]) -> String {
        let first = start[label] ?? (Date(), step)
        if start[label] == nil { start[label] = first }
        let elapsed = Date().timeIntervalSince(first.time)
        var parts = ["\(label) \(step)\(total.map { "/\($0)" } ?? "")"]
        // No rate until a step has been timed (a resumed run starts counting at its first step).
        if step > first.step, elapsed > 0 {
            let rate = Double(step - first.step) / elapsed
            parts.append(String(format: "%.2f it/s", rate))
            if let total { parts.append("eta \(StepReporter.duration(Double(max(0, total - step)) / rate))") }
        }
        let shown = keys ?? metrics.keys.sorted().filter {
            $0.hasSuffix("loss") || $0.hasSuffix("accuracy") || $0.hasSuffix("reward") || $0 == "objective/raw_score"
        }.prefix(3).map { $0 }
        for key in shown { if let v = metrics[key] { parts.append("\(key) \(StepReporter.format(v))") } }
        return parts.joined(separator: " | ")
    }

    /// The line for this step when one is due (first or last step, or `interval` seconds since the last line).
    public func dueLine(_ label: String, step: Int, total: Int?, metrics: [String: Double]) -> String? {
        let first = start[label] == nil
        let last = total.map { step >= $0 } ?? false
        guard first || last || Date().timeIntervalSince(lastLine) >= interval else { return nil }
        lastLine = Date()
        return line(label, step: step, total: total, metrics: metrics)   // also records the label's first step
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
