// SFT with a pretraining mix (the PPO-ptx term of arXiv 2203.02155 eq. 2 added to SFT): it keeps the language
// modelling that plain SFT forgets, still learns the demonstrations, and resumes exactly.
import Foundation
import LanguageModels
import NeuralNetworks
import SFT
import TensorCore
import TrainingCore
import XCTest

final class SFTPretrainingMixTests: XCTestCase {
    let pad: Int32 = 39
    /// "Pretraining text": counting runs 1 2 3 … from varied starts.
    let blocks: [[Int32]] = (0..<24).map { start in (0..<12).map { Int32(1 + (start + $0) % 30) } }
    /// Demonstrations that answer every prompt with the same tokens, which plain SFT over-learns.
    let examples: [SFTExample] = (0..<16).map { i in
        SFTExample(promptTokens: [Int32(1 + i), Int32(2 + i)], completionTokens: [35, 36, 37, 38])
    }

    /// A model that learned the counting text, then SFT on the demonstrations with mix weight `gamma`.
    func fineTuned(gamma: Double, steps: Int = 60) throws -> (trainer: SFTTrainer, lmLoss: Float) {
        var rng = SeededGenerator(seed: 3)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16, vocabularySize: 40), using: &rng)
        let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: 1e-2, weightDecay: 0)
        let text = TokenBatch(rightPadding: blocks, padToken: pad)
        for _ in 0..<150 {
            optimizer.zeroGradients()
            try model.languageModelLoss(text).backward()
            optimizer.step()
        }
        var config = SFTConfig()
        (config.steps, config.batchSize, config.learningRate, config.validationFraction) = (steps, 8, 1e-2, 0)
        (config.ptxCoefficient, config.ptxBatchSize) = (gamma, 8)
        let trainer = try SFTTrainer(model: model, config: config, padToken: pad, training: examples,
                                     pretraining: gamma > 0 ? PretrainingBlocks(blocks: blocks, padToken: pad) : nil)
        try trainer.train()
        return (trainer, try withoutGradients { try model.languageModelLoss(text) }.value.item)
    }

    func testTheMixKeepsLanguageModellingAndStillLearnsTheDemonstrations() throws {
        let plain = try fineTuned(gamma: 0), mixed = try fineTuned(gamma: 1)
        XCTAssertGreaterThan(plain.lmLoss, 2 * mixed.lmLoss, "plain SFT forgets the text (\(plain.lmLoss)), the mix keeps it (\(mixed.lmLoss))")
        XCTAssertLessThan(mixed.trainer.lastTrainingLoss!, 0.1, "the demonstrations are still learned")
    }

    func testResumeWithTheMixContinuesTheSameBlocks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sft-mix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = SeededGenerator(seed: 3)
        func fresh() throws -> SFTTrainer {
            let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16, vocabularySize: 40), using: &rng)
            var config = SFTConfig()
            (config.steps, config.batchSize, config.learningRate, config.validationFraction) = (10, 8, 1e-2, 0)
            (config.ptxCoefficient, config.ptxBatchSize) = (1, 5)
            return try SFTTrainer(model: model, config: config, padToken: pad, training: examples,
                                  pretraining: PretrainingBlocks(blocks: blocks, padToken: pad))
        }
        let uninterrupted = try fresh()
        try uninterrupted.train()
        rng = SeededGenerator(seed: 3)
        let stopped = try fresh()
        _ = try stopped.train(checkpointDirectory: directory, checkpointEvery: 3, keepCheckpoints: 1) { event in
            if case .step(let step, _, _) = event, step == 6 { return .stop }
            return .continue
        }
        rng = SeededGenerator(seed: 3)
        let resumed = try fresh()
        XCTAssertEqual(try resumed.resume(from: directory), 6)
        XCTAssertEqual(resumed.pretraining?.position, 6 * 5)
        try resumed.train()
        XCTAssertEqual(resumed.model.stateDictionary(), uninterrupted.model.stateDictionary())
    }

    func testAMixWithoutPretrainingTextIsRefused() throws {
        var rng = SeededGenerator(seed: 1)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40), using: &rng)
        var config = SFTConfig()
        config.ptxCoefficient = 1
        XCTAssertThrowsError(try SFTTrainer(model: model, config: config, padToken: pad, training: examples)) {
            XCTAssertTrue("\($0)".contains("--ptx-data"), "\($0)")
        }
        XCTAssertThrowsError(try PretrainingBlocks(blocks: [[1]], padToken: pad))
    }
}
