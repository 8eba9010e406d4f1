// A smoke run of the whole RLP experiment at toy size: every stage runs and the run directory has its files.
import XCTest
import RLPExperiments

final class RLPExperimentTests: XCTestCase {
    func testSmokeRunWritesTableReportSamplesAndMetrics() throws {
        var c = RLPExperimentConfig()
        (c.seeds, c.layers, c.width, c.heads, c.sftSteps) = ([0], 1, 16, 2, 3)
        (c.comparisonCount, c.rewardEpochs, c.ppoIterations, c.ppoBatchSize) = (8, 1, 1, 8)
        c.rewardSteps = 0
        (c.unlabeledPrompts, c.samplesPerPrompt, c.accuracyPrompts, c.evaluationPrompts, c.maximumNewTokens) = (4, 3, 4, 8, 4)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rlp-smoke-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try RLPExperiment(config: c, output: out).runAll()
        XCTAssertEqual(Set(result.results.map(\.system)), ["SFT", "best-of-3", "PPO", "RLP-UML", "RLP-SPG"])
        for system in ["| SFT", "| best-of-3", "| PPO", "| RLP-UML", "| RLP-SPG"] { XCTAssertTrue(result.table.contains(system), system) }
        XCTAssertNotNil(result.results.first { $0.system == "RLP-SPG" }?.keptFraction)
        for column in ["RM accuracy on SFT samples", "RM accuracy on policy samples", "SPG synthetic-pair accuracy"] {
            XCTAssertTrue(result.table.contains(column), column)
        }
        // Every reward model's comparisons: the human pairs of SFT samples (PPO, UML), plus the synthetic ones (SPG).
        let human = try XCTUnwrap(result.results.first { $0.system == "PPO" }?.rewardModelComparisons)
        XCTAssertGreaterThan(human, 0)
        XCTAssertLessThanOrEqual(human, c.comparisonCount)
        XCTAssertEqual(result.results.first { $0.system == "RLP-UML" }?.rewardModelComparisons, human)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.results.first { $0.system == "RLP-SPG" }?.rewardModelComparisons), human)
        XCTAssertTrue(result.results.allSatisfy { $0.goldScores.count == 8 && $0.heldOutWinCredits.count == 8 })
        for system in ["| SFT", "| best-of-3", "| RLP-UML", "| RLP-SPG"] { XCTAssertTrue(result.differenceTable.contains(system), system) }
        XCTAssertFalse(result.differenceTable.contains("| PPO "), "PPO is the baseline of the differences")
        XCTAssertEqual(result.claims.count, 6)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("Paper shape (RLP") && report.contains(result.claims[0].line), report)
        XCTAssertTrue(report.contains("Reward-model budget"), report)
        for file in ["config.json", "report.md", "samples.jsonl", "metrics.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let samples = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        XCTAssertTrue(samples.contains("\"method\":\"RLP-SPG\"") || samples.contains("\"method\" : \"RLP-SPG\""))
        // The validation figures (training annotators on held-out RL prompts, never gold) exist for every trained policy.
        for system in ["SFT", "PPO", "RLP-UML", "RLP-SPG"] {
            let rate = try XCTUnwrap(result.results.first { $0.system == system }?.validationWinRate, system)
            XCTAssertTrue((0...1).contains(rate), "\(system): \(rate)")
        }
        XCTAssertNil(result.results.first { $0.system == "best-of-3" }?.validationWinRate)
        XCTAssertTrue(result.table.contains("validation win-rate"), result.table)
        XCTAssertThrowsError(try RLPExperiment(config: { var bad = c; bad.samplesPerPrompt = 1; return bad }(), output: out))
        XCTAssertThrowsError(try RLPExperiment(config: { var bad = c; bad.ppoTemperature = 0; return bad }(), output: out))
        XCTAssertThrowsError(try RLPExperiment(config: { var bad = c; bad.rlpVariants = [.uml, .uml]; return bad }(), output: out))
    }

    /// A PPO-only run (no RLP variants), as the sweep of PPO's settings uses: SFT, best-of-n and PPO rows only.
    func testPPOOnlyRunHasNoRLPRows() throws {
        var c = RLPExperimentConfig()
        (c.seeds, c.layers, c.width, c.heads, c.sftSteps) = ([0], 1, 16, 2, 3)
        (c.comparisonCount, c.rewardEpochs, c.ppoIterations, c.ppoBatchSize, c.rewardSteps) = (8, 1, 1, 8, 0)
        (c.unlabeledPrompts, c.samplesPerPrompt, c.accuracyPrompts, c.evaluationPrompts, c.maximumNewTokens) = (4, 3, 4, 8, 4)
        (c.rlpVariants, c.ppoTemperature) = ([], 0.7)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rlp-ppo-only-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try RLPExperiment(config: c, output: out).runAll()
        XCTAssertEqual(Set(result.results.map(\.system)), ["SFT", "best-of-3", "PPO"])
        XCTAssertFalse(result.table.contains("RLP-"), result.table)
    }
}
