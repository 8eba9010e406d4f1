// Ctrl-C and `--resume` of the RLP experiment: stopped inside PPO and inside a later stage, then resumed, the run
// ends with the table, samples, metrics and models of a run that was never stopped.
import XCTest
import TestSupport
import Foundation
import RLPExperiments
import Runs

final class RLPExperimentResumeTests: XCTestCase {

    func testStoppedTwiceAndResumedMatchesUninterruptedRun() throws {
        var c = RLPExperimentConfig()
        (c.seeds, c.layers, c.width, c.heads, c.sftSteps, c.pretrainSteps, c.threads) = ([0], 1, 16, 2, 3, 3, 1)
        (c.comparisonCount, c.rewardEpochs, c.ppoIterations, c.ppoBatchSize) = (8, 1, 3, 8)
        c.rewardSteps = 0
        (c.unlabeledPrompts, c.samplesPerPrompt, c.accuracyPrompts, c.evaluationPrompts, c.maximumNewTokens) = (4, 3, 4, 8, 4)
        let fm = FileManager.default
        let straight = fm.temporaryDirectory.appendingPathComponent("rlp-straight-\(UUID())")
        let stopped = fm.temporaryDirectory.appendingPathComponent("rlp-stopped-\(UUID())")
        defer { try? fm.removeItem(at: straight); try? fm.removeItem(at: stopped) }
        let expected = try RLPExperiment(config: c, output: straight).runAll()

        var lines: [String] = []
        let stages = interruptedStages(stoppingAt: [23, 23]) { resuming, shouldStop in
            let experiment = try RLPExperiment(config: c, output: stopped, resuming: resuming) { lines.append($0) }
            experiment.shouldStop = shouldStop
            _ = try experiment.runAll()
        }
        XCTAssertEqual(stages, ["seed0 PPO", "seed0 RLP-SPG PPO"])
        let resumed = try RLPExperiment(config: c, output: stopped, resuming: true) { lines.append($0) }.runAll()
        XCTAssertTrue(lines.contains { $0.hasPrefix("seed0/PPO: continuing from the checkpoint of step") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("seed0/RLP-SPG PPO: continuing from the checkpoint of step") }, "\(lines)")

        XCTAssertEqual(resumed.table, expected.table)
        XCTAssertEqual(try String(contentsOf: stopped.appendingPathComponent("samples.jsonl"), encoding: .utf8),
                       try String(contentsOf: straight.appendingPathComponent("samples.jsonl"), encoding: .utf8))
        for file in ["models/sft/model.safetensors", "models/seed0/ppo/model.safetensors", "models/seed0/rlp-spg-reward/model.safetensors",
                     "models/seed0/rlp-spg-ppo/model.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: stopped.appendingPathComponent(file)), try Data(contentsOf: straight.appendingPathComponent(file)), file)
        }
        let (a, b) = (try metricsWithoutTimings(stopped), try metricsWithoutTimings(straight))
        XCTAssertEqual(a, b, "only after resuming: \(Set(a).subtracting(b).sorted()); only uninterrupted: \(Set(b).subtracting(a).sorted())")
    }
}
