// The whole experiment end to end at a tiny size: the table has every family and both averages, and the run
// directory holds config, metrics, samples (one per statement used) and the report.
import Foundation
import Rainier
import RainierExperiments
import XCTest

final class RainierExperimentSmokeTests: XCTestCase {
    func testTinyExperimentWritesTheTableSamplesAndReport() throws {
        var config = RainierExperimentConfig()
        config.entitiesPerCategory = 3
        config.trainingVariants = 2
        config.testVariants = 1
        config.qaSteps = 5
        config.pretrainingSteps = 5
        config.imitationSteps = 5
        config.ppoIterations = 1
        config.ppoBatchSize = 8
        config.knowledgeSamples = 2
        config.bootstrapResamples = 20
        config.width = 32
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rainier-smoke-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: out) }
        var lines: [String] = []
        let result = try RainierExperiment(config: config, output: out) { lines.append($0) }.runAll()
        for family in ["habitat", "ability", "material", "taste", "find-place", "colour", "seen average", "unseen average"] {
            XCTAssertTrue(result.accuracyTable.contains("| \(family) "), family)
            XCTAssertTrue(result.differenceTable.contains("| \(family) "), family)
        }
        XCTAssertEqual(result.claims.count, 4)
        XCTAssertEqual(Set(result.baseRecall.keys), ["training entities", "test entities", "unasked relation"])
        XCTAssertTrue(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("Paper shape"))
        XCTAssertEqual(Set(result.accuracy.keys), Set(rainierMethods))
        for aggregation in ["max", "mean", "product", "majority"] { XCTAssertTrue(result.aggregationTable.contains("| \(aggregation) "), aggregation) }
        let samples = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n")
        // 2 of 3 entities per category held out, one test question per fact and family: 6 × 2 = 12 questions;
        // three knowledge sources (silver, stage I, Rainier) × M = 2 statements each.
        XCTAssertEqual(samples.count, 12 * 3 * config.knowledgeSamples)
        for name in ["config.json", "metrics.jsonl", "report.md", "reward.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        XCTAssertTrue(lines.contains { $0.contains("stage II") })
    }

    /// A context too short for the questions with their knowledge is refused right after the tokenizer is trained,
    /// naming the tokens needed, instead of failing after the models have trained.
    func testAContextTooShortForTheQuestionsIsRefusedBeforeTraining() throws {
        var config = RainierExperimentConfig()
        config.entitiesPerCategory = 3
        config.contextLength = 40
        var lines: [String] = []
        let start = Date()
        XCTAssertThrowsError(try RainierExperiment(config: config, output: nil) { lines.append($0) }.runAll()) { error in
            XCTAssertTrue("\(error)".contains("raise contextLength to"), "\(error)")
        }
        XCTAssertFalse(lines.contains { $0.contains("QA model:") }, "nothing trained: \(lines)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }
}
