import XCTest
import Foundation
import Pipeline
import Runs

/// The main job end to end at smoke-test size: every stage runs and writes its outputs.
final class PipelineSmokeTests: XCTestCase {
    func testSmokeRunWritesTableReportCurvesAndModels() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        var config = PipelineConfig()
        (config.maximumSteps, config.evaluationPrompts, config.bootstrapResamples, config.ppoBatchSize) = (2, 8, 20, 8)
        (config.layers, config.width, config.heads, config.bestOfN) = (1, 32, 2, [1, 2])
        var lines: [String] = []
        let result = try InstructGPTPipeline(config: config, output: out) { lines.append($0) }.runAll()
        XCTAssertEqual(result.rows.map(\.system), ["base", "SFT", "best-of-1", "best-of-2", "PPO", "PPO-ptx"])
        XCTAssertTrue(result.table.contains("win-rate (held-out annotators)"))
        for row in result.rows {
            XCTAssertNotNil(row.gold, row.system)
            XCTAssertNotNil(row.heldOutLanguageModelLoss, row.system)
        }
        // Paired differences from SFT for every other system but base, and each claim printed ✓ or ✗.
        XCTAssertEqual(result.differences.map(\.system), ["best-of-1", "best-of-2", "PPO", "PPO-ptx"])
        let ppo = result.rows[4], sft = result.rows[1]
        XCTAssertEqual(result.differences[2].gold.estimate,
                       ppo.goldScores.reduce(0, +) / 8 - sft.goldScores.reduce(0, +) / 8, accuracy: 1e-12)
        XCTAssertEqual(result.claims.count, 8)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("Paper shape"))
        for claim in result.claims { XCTAssertTrue(report.contains(claim.line), claim.line) }
        // The SFT model's KL from itself is 0 up to the sampler/scorer rounding.
        XCTAssertEqual(result.rows[1].klFromSFT!.estimate, 0, accuracy: 1e-3)
        for file in ["config.json", "report.md", "reward.svg", "kl.svg", "metrics.jsonl", "samples.jsonl",
                     "models/sft/config.json", "models/ppo-ptx/model.safetensors", "models/reward", "data/sft.jsonl",
                     "data/pretrain-mix.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let phases = Set(try RunDirectory(out).readMetrics().compactMap { $0["phase"] as? String })
        XCTAssertTrue(phases.isSuperset(of: ["pretrain", "sft", "PPO", "PPO-ptx"]), "\(phases)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PPO-ptx done") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("PPO-ptx reads fresh pretraining text (pretrain-mix.jsonl") }, "\(lines)")
    }

    /// With the user's data, PPO-ptx reads `pretrain-mix.jsonl` when the directory has one, and otherwise re-reads
    /// the training split of `pretrain.jsonl`.
    func testUserDataDirectoryGivesPPOPtxItsMixFileWhenThereIsOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-data-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        var config = PipelineConfig()
        (config.maximumSteps, config.evaluationPrompts, config.bootstrapResamples, config.ppoBatchSize) = (1, 8, 20, 8)
        (config.layers, config.width, config.heads, config.bestOfN, config.moreComparisons) = (1, 32, 2, [1], 0)
        // The built-in run writes its splits and the mix to data/, as `rlft task instructions` would.
        _ = try InstructGPTPipeline(config: config, output: root.appendingPathComponent("built-in")) { _ in }.runAll()
        let data = root.appendingPathComponent("built-in/data")
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.appendingPathComponent("pretrain-mix.jsonl").path))
        config.data = data.path
        func ptxLine(_ name: String) throws -> String? {
            var lines: [String] = []
            _ = try InstructGPTPipeline(config: config, output: root.appendingPathComponent(name)) { lines.append($0) }.runAll()
            return lines.first { $0.hasPrefix("PPO-ptx re") }
        }
        XCTAssertEqual(try ptxLine("with-mix")?.hasPrefix("PPO-ptx reads fresh pretraining text"), true)
        try FileManager.default.removeItem(at: data.appendingPathComponent("pretrain-mix.jsonl"))
        XCTAssertEqual(try ptxLine("without-mix")?.hasPrefix("PPO-ptx re-reads the pretraining corpus's training split"), true)
    }

    func testBadConfigurationIsRejectedBeforeWork() {
        var config = PipelineConfig()
        config.heads = 3
        XCTAssertThrowsError(try InstructGPTPipeline(config: config, output: URL(fileURLWithPath: "/nonexistent/x"))) { error in
            XCTAssertEqual("\(error)", "`heads` is 3, but it must divide width (128); for example 4")
        }
    }
}
