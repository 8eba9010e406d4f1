import Foundation
import Runs
import XCTest

/// The ledger of finished stages: what `--resume` skips, and stops between stages.
final class StageLedgerTests: XCTestCase {
    func testResumedClockRestoresFinishedStagesAndRunsTheRest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try RunDirectory(directory)

        // First run: stage "a" finishes, then a stop is requested before "b".
        var stop = false
        let first = StageClock()
        first.ledger = try StageLedger(run: run, resuming: false)
        first.shouldStop = { stop }
        first.directory = directory.path
        let a = try first.resumable("a", restore: { _ in -1 }, values: { ["a": Double($0)] }) { () -> Int in stop = true; return 7 }
        XCTAssertEqual(a, 7)
        XCTAssertThrowsError(try first.resumable("b", restore: { _ in -1 }) { 8 }) { error in
            XCTAssertEqual((error as? RunInterrupted)?.stage, "b")
        }

        // Resumed: "a" is restored from its record (its body does not run again), "b" runs.
        let second = StageClock()
        second.ledger = try StageLedger(run: run, resuming: true)
        var ranA = false
        let restored = try second.resumable("a", restore: { Int($0.values["a"]!) }) { () -> Int in ranA = true; return 0 }
        let b = try second.resumable("b", restore: { _ in -1 }) { 8 }
        XCTAssertEqual([restored, b], [7, 8])
        XCTAssertFalse(ranA)
        XCTAssertEqual(second.stages.map(\.0), ["a", "b"])
        XCTAssertEqual(try StageLedger(run: run, resuming: true).records.map(\.name), ["a", "b"])

        // A new run in the same directory forgets the old ledger.
        XCTAssertEqual(try StageLedger(run: run, resuming: false).records.count, 0)
    }

    func testResumingADirectoryWithoutLedgerNamesTheProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-none-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try StageLedger(run: RunDirectory(directory), resuming: true)) { error in
            XCTAssertTrue("\(error)".contains("stages.json"), "\(error)")
            XCTAssertTrue("\(error)".contains("start a new run with --out"), "\(error)")
        }
    }

    func testRemoveMetricsKeepsTheOtherRecordsAndAppendingContinues() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try RunDirectory(directory)
        for step in 1...3 { try run.appendMetrics(step: step, phase: "x", ["v": Double(step)]) }
        try run.removeMetrics { ($0["step"] as? Int ?? 0) > 1 }
        try run.appendMetrics(step: 2, phase: "x", ["v": 20])
        XCTAssertEqual(try run.readMetrics().compactMap { $0["v"] as? Double }, [1, 20])
    }
}
