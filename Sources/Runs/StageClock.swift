// Wall-clock timing of the named stages of a multi-stage run (a pipeline, an experiment), shared by every runner
// that reports where its time went.
import Foundation

/// Times named stages, logging when each starts and how long it took.
///
/// ```swift
/// let clock = StageClock { print($0) }
/// let model = try clock.time("supervised fine-tuning") { try trainSFT() }
/// print(StageClock.markdownTable(clock.stages).joined(separator: "\n"))
/// ```
public final class StageClock {
    /// Each finished stage and its wall-clock seconds, in order.
    public private(set) var stages: [(String, Double)] = []
    private let log: (String) -> Void

    /// - Parameter log: receives "name…" when a stage starts and "name done in N s" when it ends.
    public init(log: @escaping (String) -> Void = { _ in }) {
        self.log = log
    }

    /// Runs `body` as the stage `name` and records its duration (a stage that throws is not recorded).
    public func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        log("\(name)…")
        let value = try body()
        let seconds = Date().timeIntervalSince(start)
        stages.append((name, seconds))
        log(String(format: "%@ done in %.1f s", name, seconds))
        return value
    }

    /// The stages as Markdown table lines (`| stage | seconds |`) with a total row.
    public static func markdownTable(_ stages: [(String, Double)]) -> [String] {
        ["| stage | seconds |", "| :-- | --: |"]
            + stages.map { String(format: "| %@ | %.1f |", $0.0, $0.1) }
            + [String(format: "| total | %.1f |", stages.reduce(0) { $0 + $1.1 })]
    }
}
