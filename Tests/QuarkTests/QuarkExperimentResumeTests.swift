import Foundation
import QuarkExperiments
import Runs
import TensorCore
import XCTest
import TestSupport

/// Ctrl-C and `--resume` of a Quark experiment: stopped inside PPO and inside Quark, then resumed, it ends with the
/// report, samples, metrics and models of a run that was never stopped.
final class QuarkExperimentResumeTests: XCTestCase {

    func testStoppedTwiceAndResumedMatchesUninterruptedRun() throws {
        let threads = Compute.threadCount
        Compute.threadCount = 1
        defer { Compute.threadCount = threads }
        let fm = FileManager.default
        let straight = fm.temporaryDirectory.appendingPathComponent("quark-straight-\(UUID())")
        let stopped = fm.temporaryDirectory.appendingPathComponent("quark-stopped-\(UUID())")
        defer { try? fm.removeItem(at: straight); try? fm.removeItem(at: stopped) }
        var config = QuarkExperimentTests.tinyConfig()
        config.steps = 4
        let expected = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: straight).run()

        var lines: [String] = []
        let stages = interruptedStages(stoppingAt: [6, 6]) { resuming, shouldStop in
            let experiment = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: stopped, resuming: resuming) { lines.append($0) }
            experiment.shouldStop = shouldStop
            _ = try experiment.run()
        }
        XCTAssertEqual(stages, ["PPO", "quark"])
        let report = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: stopped, resuming: true) { lines.append($0) }.run()
        XCTAssertTrue(lines.contains { $0.hasPrefix("ppo: continuing from the checkpoint of step") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("quark: continuing from the checkpoint of step") }, "\(lines)")

        func withoutTimings(_ report: String) -> String { String(report[..<report.range(of: "## Timings")!.lowerBound]) }
        XCTAssertEqual(withoutTimings(report), withoutTimings(expected))
        for file in ["samples.jsonl", "models/ppo/model.safetensors", "models/quark/model.safetensors", "models/dapt/model.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: stopped.appendingPathComponent(file)), try Data(contentsOf: straight.appendingPathComponent(file)), file)
        }
        XCTAssertEqual(try metricsWithoutTimings(stopped), try metricsWithoutTimings(straight))
    }

    func testResumingWithAnotherTaskIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-task-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = QuarkExperimentTests.tinyConfig()
        config.steps = 2
        let stopped = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: directory)
        stopped.shouldStop = { true }
        XCTAssertThrowsError(try stopped.run())
        XCTAssertThrowsError(try QuarkExperiment(task: .sentiment, config: config, outputDirectory: directory, resuming: true)) { error in
            XCTAssertTrue("\(error)".contains("cannot be resumed"), "\(error)")
        }
    }
}
