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
    /// Receives the clock's lines (stage starts, ends, restores).
    public let log: (String) -> Void

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

    /// The ledger of finished stages, for runs that can be resumed (nil: every stage runs).
    public var ledger: StageLedger?
    /// Asked before each stage (and by stage bodies after a trainer returns): true stops the run with
    /// `RunInterrupted`. Set it to read a Ctrl-C flag.
    public var shouldStop: () -> Bool = { false }
    /// The run directory named in `RunInterrupted`.
    public var directory = ""

    /// Runs the stage `name` unless the ledger records it as finished, in which case `restore` rebuilds its
    /// product from what the stage saved and the recorded seconds count as its time.
    ///
    /// `body` must save whatever `restore` reads before it returns; the stage is then recorded as finished with
    /// the figures `values` picks from the product.
    ///
    /// - Throws: `RunInterrupted` when a stop is requested before the stage starts; whatever the closures throw.
    public func resumable<T>(_ name: String, restore: (StageLedger.Record) throws -> T,
                             values: (T) -> [String: Double] = { _ in [:] }, _ body: () throws -> T) throws -> T {
        if let record = ledger?.finished(name) {
            let product = try restore(record)
            stages.append((name, record.seconds))
            log(String(format: "%@: finished in the interrupted run (%.1f s), loaded", name, record.seconds))
            return product
        }
        try stopIfRequested(during: name)
        let product = try time(name, body)
        try ledger?.markFinished(name, seconds: stages.last?.1 ?? 0, values: values(product))
        return product
    }

    /// Throws `RunInterrupted` naming `stage` when a stop has been requested.
    public func stopIfRequested(during stage: String) throws {
        if shouldStop() { throw RunInterrupted(stage: stage, directory: directory) }
    }

    /// The stages as Markdown table lines (`| stage | seconds |`) with a total row.
    public static func markdownTable(_ stages: [(String, Double)]) -> [String] {
        ["| stage | seconds |", "| :-- | --: |"]
            + stages.map { String(format: "| %@ | %.1f |", $0.0, $0.1) }
            + [String(format: "| total | %.1f |", stages.reduce(0) { $0 + $1.1 })]
    }
}
