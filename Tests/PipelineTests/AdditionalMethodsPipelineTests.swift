import XCTest
import Foundation
import Pipeline
import Runs

/// The optional stages beyond the papers (`methods`): each method gets a timed stage, a saved model and a row.
final class AdditionalMethodsPipelineTests: XCTestCase {
    func testSmokeRunWithEveryAdditionalMethod() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-methods-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        var config = PipelineConfig()
        (config.maximumSteps, config.evaluationPrompts, config.bootstrapResamples, config.ppoBatchSize) = (2, 8, 20, 8)
        (config.layers, config.width, config.heads, config.bestOfN) = (1, 32, 2, [1])
        config.methods = ["grpo", "dpo", "ipo", "kto", "orpo", "rloo"]
        let result = try InstructGPTPipeline(config: config, output: out).runAll()
        XCTAssertEqual(result.rows.map(\.system), ["base", "SFT", "best-of-1", "PPO", "PPO-ptx", "DPO", "IPO", "KTO", "ORPO", "RLOO", "GRPO"])
        for row in result.rows.suffix(8) { XCTAssertNotNil(row.trainingSeconds, row.system) }
        XCTAssertNil(result.rows[1].trainingSeconds)
        XCTAssertTrue(result.table.contains("training time (s)"))
        for name in ["dpo", "ipo", "kto", "orpo", "rloo", "grpo"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("models/\(name)/model.safetensors").path), name)
        }
        let phases = Set(try RunDirectory(out).readMetrics().compactMap { $0["phase"] as? String })
        XCTAssertTrue(phases.isSuperset(of: ["DPO", "IPO", "KTO", "ORPO", "RLOO", "GRPO"]), "\(phases)")
    }

    func testUnknownMethodIsRejected() {
        var config = PipelineConfig()
        config.methods = ["dpo", "simpo"]
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual("\(error)", "`methods` is simpo, but each entry must be one of dpo, ipo, kto, orpo, rloo, grpo")
        }
    }
}
