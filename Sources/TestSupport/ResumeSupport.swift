// Helpers of the stop-and-resume tests of the multi-stage runs: a stop flag that trips after a number of polls,
// and a run's metrics without the wall-clock keys that differ between runs.
import Foundation
import Runs

/// A `shouldStop` closure's state: true from the `at`-th poll on (polls are the steps and stage boundaries a run
/// checks), so a test stops a run at a reproducible point.
public final class StopAfterPolls {
    public private(set) var polls = 0
    public let at: Int

    public init(at: Int) { self.at = at }

    /// Counts a poll; true once `at` polls have been made.
    public func poll() -> Bool {
        polls += 1
        return polls >= at
    }
}

/// The records of `directory/metrics.jsonl` as sorted, key-sorted JSON lines, without timing keys (`timing/…`,
/// `…_per_second`), for comparing a resumed run with an uninterrupted one.
public func metricsWithoutTimings(_ directory: URL) throws -> [String] {
    try RunDirectory(directory).readMetrics().map { record in
        let kept = record.filter { !$0.key.contains("timing/") && !$0.key.hasSuffix("_per_second") }
        return String(decoding: try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]), as: UTF8.self)
    }.sorted()
}

/// Starts a multi-stage run once per entry of `stops` — a new run first, then resumed ones — each stopped after that
/// many polls, and returns the stage each run names in its `RunInterrupted` ("not stopped" for a run that finished,
/// the error's text for any other failure), for a test to compare with the stages it meant to stop in.
///
/// - Parameter start: starts the run with `resuming` and the `shouldStop` closure to poll.
public func interruptedStages(stoppingAt stops: [Int], _ start: (_ resuming: Bool, _ shouldStop: @escaping () -> Bool) throws -> Void) -> [String] {
    stops.enumerated().map { index, at in
        let stopper = StopAfterPolls(at: at)
        do {
            try start(index > 0, stopper.poll)
            return "not stopped"
        } catch let stop as RunInterrupted {
            return stop.stage
        } catch {
            return "\(error)"
        }
    }
}
