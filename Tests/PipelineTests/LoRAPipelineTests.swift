import Foundation
import LanguageModels
import Pipeline
import TensorCore
import XCTest

/// The pipeline with LoRA (`loraRank` > 0): every stage after pretraining trains adapters over frozen weights and
/// saves its model with the adapters merged.
final class LoRAPipelineTests: XCTestCase {
    func testEveryStageTrainsOnlyItsAdaptersAndSavesAPlainModel() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-lora-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        var config = PipelineConfig()
        (config.maximumSteps, config.evaluationPrompts, config.bootstrapResamples, config.ppoBatchSize) = (3, 8, 20, 8)
        (config.layers, config.width, config.heads, config.bestOfN) = (1, 32, 2, [1])
        (config.loraRank, config.loraTargets) = (4, "c_attn,c_fc")
        config.methods = ["dpo", "grpo"]
        let result = try InstructGPTPipeline(config: config, output: out).runAll()
        XCTAssertEqual(result.rows.map(\.system), ["base", "SFT", "best-of-1", "PPO", "PPO-ptx", "DPO", "GRPO"])

        func load(_ name: String) throws -> [String: Tensor] {
            let model = try GPT.load(from: out.appendingPathComponent("models/\(name)")).model
            XCTAssertNil(model.lora, "\(name) is saved merged")
            return model.stateDictionary()
        }
        let base = try load("base"), sft = try load("sft")
        // Only the adapted projections changed: c_attn and c_fc moved, everything else is the base model's.
        for (name, value) in base {
            if name.hasSuffix("attention.qkv.weight") || name.hasSuffix("mlp.hidden.weight") {
                XCTAssertNotEqual(sft[name], value, name)
            } else {
                XCTAssertEqual(sft[name], value, name)
            }
        }
        for policy in ["ppo", "ppo-ptx", "dpo", "grpo"] {
            let trained = try load(policy)
            XCTAssertEqual(trained["positionEmbedding.weight"], sft["positionEmbedding.weight"], policy)
            XCTAssertEqual(trained["blocks.0.attention.output.weight"], sft["blocks.0.attention.output.weight"], policy)
            XCTAssertNotEqual(trained["blocks.0.attention.qkv.weight"], sft["blocks.0.attention.qkv.weight"], policy)
        }
    }

    func testABadLoRASettingIsRejectedBeforeWork() {
        var config = PipelineConfig()
        (config.loraRank, config.loraTargets) = (4, "q_proj")
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("c_attn"), "\($0)") }
        config.loraTargets = "c_attn"
        config.loraDropout = 1
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("dropout"), "\($0)") }
    }
}
