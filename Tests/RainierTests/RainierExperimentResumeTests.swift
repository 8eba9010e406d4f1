// Ctrl-C and `--resume` of the Rainier experiment: stopped inside the QA model's training and inside stage II, then
// resumed, the run ends with the tables, samples, metrics and models of a run that was never stopped.
import Foundation
import Rainier
import RainierExperiments
import Runs
import XCTest
import TestSupport

final class RainierExperimentResumeTests: XCTestCase {

    func testStoppedTwiceAndResumedMatchesUninterruptedRun() throws {
        var config = RainierExperimentConfig()
        (config.entitiesPerCategory, config.trainingVariants, config.testVariants) = (3, 2, 1)
        (config.qaSteps, config.imitationSteps, config.ppoIterations, config.ppoBatchSize) = (6, 5, 3, 8)
        config.pretrainingSteps = 4
        (config.knowledgeSamples, config.bootstrapResamples, config.width, config.threads) = (2, 20, 32, 1)
        let fm = FileManager.default
        let straight = fm.temporaryDirectory.appendingPathComponent("rainier-straight-\(UUID())")
        let stopped = fm.temporaryDirectory.appendingPathComponent("rainier-stopped-\(UUID())")
        defer { try? fm.removeItem(at: straight); try? fm.removeItem(at: stopped) }
        let expected = try RainierExperiment(config: config, output: straight).runAll()

        var lines: [String] = []
        let stages = interruptedStages(stoppingAt: [3, 24]) { resuming, shouldStop in
            let experiment = try RainierExperiment(config: config, output: stopped, resuming: resuming) { lines.append($0) }
            experiment.shouldStop = shouldStop
            _ = try experiment.runAll()
        }
        XCTAssertEqual(stages, ["QA model", "stage II"])
        let resumed = try RainierExperiment(config: config, output: stopped, resuming: true) { lines.append($0) }.runAll()
        XCTAssertTrue(lines.contains { $0.hasPrefix("qa: continuing from the checkpoint of step") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("stage2: continuing from the checkpoint of step") }, "\(lines)")

        XCTAssertEqual(resumed.accuracyTable, expected.accuracyTable)
        XCTAssertEqual(resumed.differenceTable, expected.differenceTable)
        XCTAssertEqual(resumed.knowledgeTable, expected.knowledgeTable)
        XCTAssertEqual(resumed.aggregationTable, expected.aggregationTable)
        XCTAssertEqual(try String(contentsOf: stopped.appendingPathComponent("samples.jsonl"), encoding: .utf8),
                       try String(contentsOf: straight.appendingPathComponent("samples.jsonl"), encoding: .utf8))
        for file in ["models/qa/model.safetensors", "models/base/model.safetensors", "models/stage1/model.safetensors", "models/stage2/model.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: stopped.appendingPathComponent(file)), try Data(contentsOf: straight.appendingPathComponent(file)), file)
        }
        let (a, b) = (try metricsWithoutTimings(stopped), try metricsWithoutTimings(straight))
        XCTAssertEqual(a, b, "only after resuming: \(Set(a).subtracting(b).sorted()); only uninterrupted: \(Set(b).subtracting(a).sorted())")
    }
}
