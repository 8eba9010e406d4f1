import XCTest
import TestSupport
import Foundation
import Pipeline
import Runs

/// Ctrl-C and `--resume` of the main job: a run stopped inside a stage twice and resumed each time ends with the
/// same table, metrics and models as a run that was never stopped.
final class PipelineResumeTests: XCTestCase {
    func smokeConfig() -> PipelineConfig {
        var config = PipelineConfig()
        (config.maximumSteps, config.evaluationPrompts, config.bootstrapResamples, config.ppoBatchSize) = (6, 8, 20, 8)
        (config.layers, config.width, config.heads, config.bestOfN, config.threads) = (1, 32, 2, [1, 2], 1)
        // The stops below count polls (one per training step), so the reward model's step count is pinned here.
        (config.rewardEpochs, config.moreComparisons) = (3, 0)
        return config
    }


    func testInterruptedTwiceAndResumedMatchesUninterruptedRun() throws {
        let fm = FileManager.default
        let straight = fm.temporaryDirectory.appendingPathComponent("pipeline-straight-\(UUID())")
        let stopped = fm.temporaryDirectory.appendingPathComponent("pipeline-stopped-\(UUID())")
        defer { try? fm.removeItem(at: straight); try? fm.removeItem(at: stopped) }
        let config = smokeConfig()
        let expected = try InstructGPTPipeline(config: config, output: straight).runAll()

        // First stop: inside supervised fine-tuning; second: inside PPO-ptx (polls are counted per process run).
        var lines: [String] = []
        let stages = interruptedStages(stoppingAt: [12, 33]) { resuming, shouldStop in
            let pipeline = try InstructGPTPipeline(config: config, output: stopped, resuming: resuming) { lines.append($0) }
            pipeline.shouldStop = shouldStop
            _ = try pipeline.runAll()
        }
        XCTAssertEqual(stages, ["supervised fine-tuning", "PPO-ptx"])
        let resumed = try InstructGPTPipeline(config: config, output: stopped, resuming: true) { lines.append($0) }.runAll()
        // Both stopped stages continued from their checkpoints; finished stages were loaded, not trained again.
        XCTAssertTrue(lines.contains { $0.hasPrefix("sft: continuing from the checkpoint of step") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PPO-ptx: continuing from the checkpoint of step") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PPO: finished in the interrupted run") }, "\(lines)")

        XCTAssertEqual(resumed.rows.map(\.system), expected.rows.map(\.system))
        for (a, b) in zip(resumed.rows, expected.rows) {
            XCTAssertEqual(a.gold, b.gold, a.system)
            XCTAssertEqual(a.winRateTraining, b.winRateTraining, a.system)
            XCTAssertEqual(a.winRateHeldOut, b.winRateHeldOut, a.system)
            XCTAssertEqual(a.klFromSFT, b.klFromSFT, a.system)
            XCTAssertEqual(a.rewardModelScore, b.rewardModelScore, a.system)
            XCTAssertEqual(a.heldOutLanguageModelLoss, b.heldOutLanguageModelLoss, a.system)
        }
        XCTAssertEqual(resumed.rewardModel.heldOutAccuracy, expected.rewardModel.heldOutAccuracy)
        for model in ["base", "sft", "reward", "ppo", "ppo-ptx"] {
            let file = "models/\(model)/model.safetensors"
            XCTAssertEqual(try Data(contentsOf: stopped.appendingPathComponent(file)),
                           try Data(contentsOf: straight.appendingPathComponent(file)), file)
        }
        XCTAssertEqual(try metricsWithoutTimings(stopped), try metricsWithoutTimings(straight))
        XCTAssertEqual(try String(contentsOf: stopped.appendingPathComponent("samples.jsonl"), encoding: .utf8),
                       try String(contentsOf: straight.appendingPathComponent("samples.jsonl"), encoding: .utf8))
    }

    func testResumingADirectoryWithoutARunIsAnError() {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-empty-\(UUID())")
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertThrowsError(try InstructGPTPipeline(config: smokeConfig(), output: empty, resuming: true)) { error in
            XCTAssertTrue("\(error)".contains("cannot be resumed"), "\(error)")
        }
    }

}
