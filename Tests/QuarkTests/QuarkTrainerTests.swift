import Foundation
import LanguageModels
import Quark
import TensorCore
import TrainingCore
import XCTest

final class QuarkTrainerTests: XCTestCase {
    // A toy world of 8 tokens: 0 PAD, 1 BOS, 2…7 words. Reward = the share of token 2 in an 8-token response.
    static let target: Int32 = 2
    static func reward(_ prompts: [[Int32]], _ responses: [[Int32]]) -> [Float] {
        responses.map { r in Float(r.filter { $0 == target }.count) / 8 }
    }

    func makeTrainer(steps: Int, interval: Int, seed: UInt64 = 0, lora: LoRAConfig? = nil, base: GPT? = nil) throws -> QuarkTrainer {
        var rng = SeededGenerator(seed: 11)
        let base = try base ?? GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16, vocabularySize: 8), using: &rng)
        var config = QuarkConfig()
        config.seed = seed
        config.totalSteps = steps
        config.sampleInterval = interval
        config.batchSize = 32
        config.learningRate = lora == nil ? 3e-3 : 1e-2
        config.warmupSteps = 0
        config.maximumNewTokens = 8
        config.minimumNewTokens = 0
        let prompts: [[Int32]] = (0..<32).map { [1, Int32(2 + $0 % 6)] }
        return try QuarkTrainer(config: config, base: base, reward: .tokens(QuarkTrainerTests.reward), prompts: prompts,
                                tokenizer: nil, padToken: 0, stopTokens: [], lora: lora)
    }

    func meanReward(_ trainer: QuarkTrainer, quantile: Int) throws -> Double {
        var rng = SeededGenerator(seed: 99)
        let prompts = Array(repeating: trainer.prompts, count: 4).flatMap { $0 }
        let options = GenerationOptions(maximumNewTokens: 8, padToken: 0)
        let responses = try trainer.policy.generate(prompts: prompts, conditionedOn: quantile, options: options, using: &rng)
        let r = QuarkTrainerTests.reward(prompts, responses)
        return Double(r.reduce(0, +)) / Double(r.count)
    }

    func testConditioningIsMonotoneAfterTrainingOnAToyReward() throws {
        let trainer = try makeTrainer(steps: 120, interval: 20)
        var first: Double?, last = [String: Double]()
        try trainer.train { event in
            if case .step(_, _, let m) = event {
                if first == nil { first = m["explore/reward"] }
                last = m
            }
            return .continue
        }
        XCTAssertEqual(trainer.pool.count, 32 * 6)
        let r0 = try meanReward(trainer, quantile: 0), r2 = try meanReward(trainer, quantile: 2), r4 = try meanReward(trainer, quantile: 4)
        // The base samples ≈ 1/8 of each word; r_0 must be far above r_2, which must be above r_4.
        XCTAssertGreaterThan(r0, r2 + 0.1, "r0 \(r0) r2 \(r2) r4 \(r4)")
        XCTAssertGreaterThan(r2, r4 + 0.02, "r0 \(r0) r2 \(r2) r4 \(r4)")
        XCTAssertGreaterThan(r0, 2 * first!, "best-token samples \(r0) vs base exploration \(first!)")
        XCTAssertNotNil(last["loss/nll"])
    }

    /// With LoRA only the adapters and the reward tokens' rows train (arXiv 2106.09685; the rows as PEFT's
    /// trainable tokens), the reference is the base model itself, and conditioning on r_0 still works.
    func testWithLoRAOnlyAdaptersAndRewardTokensTrainAndConditioningStillWorks() throws {
        var rng = SeededGenerator(seed: 11)
        let base = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16, vocabularySize: 8), using: &rng)
        // The tied output layer stays frozen under LoRA, and at GPT-2's initial scale (std 0.02) its rows are too
        // short for any change of the hidden state to move the logits (the loss stays at ln 8); a trained model's
        // rows are far longer. Five times longer rows (std 0.1) make a base that LoRA can steer.
        base.tokenEmbedding.value = base.tokenEmbedding.value * 5
        let before = base.stateDictionary()
        let lora = LoRAConfig(rank: 4, alpha: 8, targets: LoRATarget.allCases)
        let trainer = try makeTrainer(steps: 120, interval: 20, lora: lora, base: base)
        XCTAssertTrue(trainer.reference === base, "the reference is the base model, not a copy")
        XCTAssertEqual(trainer.policy.model.lora?.config.trainableTokenIndices, [8, 9, 10, 11, 12])
        XCTAssertEqual(trainer.policy.model.namedParameters().filter(\.1.requiresGrad).map(\.0).last,
                       "lora.tokenEmbedding.trainable_tokens_delta")
        var first: Double?
        try trainer.train { event in
            if case .step(_, _, let m) = event, first == nil { first = m["explore/reward"] }
            return .continue
        }
        XCTAssertEqual(base.stateDictionary(), before, "the base model's weights never change")
        let r0 = try meanReward(trainer, quantile: 0), r4 = try meanReward(trainer, quantile: 4)
        XCTAssertGreaterThan(r0, r4 + 0.1, "r0 \(r0) r4 \(r4)")
        XCTAssertGreaterThan(r0, 2 * first!, "best-token samples \(r0) vs base exploration \(first!)")
    }

    func testResumeAfterKStepsEqualsAnUninterruptedRun() throws {
        // Full fine-tuning, and LoRA (adapters and reward-token rows in the checkpoint, rebuilt from the seed).
        for lora in [nil, LoRAConfig(rank: 2, alpha: 4, targets: [.attention, .mlpOutput])] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-resume-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let straight = try makeTrainer(steps: 7, interval: 3, lora: lora)
            try straight.train()

            let first = try makeTrainer(steps: 7, interval: 3, lora: lora)
            try first.train(checkpointDirectory: directory, checkpointEvery: 4) { event in
                if case .step(let step, _, _) = event, step == 4 { return .stop }
                return .continue
            }
            XCTAssertEqual(first.step, 4)
            let resumed = try makeTrainer(steps: 7, interval: 3, lora: lora)
            XCTAssertEqual(try resumed.resume(from: directory), 4)
            try resumed.train()
            XCTAssertEqual(resumed.step, 7)
            XCTAssertEqual(resumed.pool, straight.pool)
            for ((name, a), (_, b)) in zip(resumed.policy.model.namedParameters(), straight.policy.model.namedParameters()) {
                XCTAssertEqual(a.value, b.value, name)
            }
            XCTAssertEqual(resumed.generator, straight.generator)
        }
    }

    func testAdaptiveControllersMoveTowardsTheirTargets() throws {
        // QK's AdaptiveController: β rises when the KL is above target; α falls when the entropy is above target.
        var entropy = EntropyController(coefficient: 0.06, target: 40, horizon: 2500)
        entropy.update(currentEntropy: 80, samples: 100)
        XCTAssertEqual(entropy.coefficient, 0.06 * (1 - 0.2 * 100 / 2500), accuracy: 1e-12)
        entropy.update(currentEntropy: 20, samples: 100)
        XCTAssertGreaterThan(entropy.coefficient, 0.06 * (1 - 0.2 * 100 / 2500))
        var fixed = EntropyController(coefficient: 0.06, target: nil, horizon: 2500)
        fixed.update(currentEntropy: 80, samples: 100)
        XCTAssertEqual(fixed.coefficient, 0.06)

        let trainer = try makeTrainer(steps: 3, interval: 3)
        XCTAssertEqual(trainer.klController.coefficient, 0.05, "adaptive control is off by default")
        XCTAssertNil(trainer.klController.target)
        XCTAssertNil(trainer.entropyController.target)
    }

    func testBadSettingsThrowNamedErrors() throws {
        var config = QuarkConfig()
        config.quantileCount = 1
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "quantileCount")
        }
        var rng = SeededGenerator(seed: 1)
        let base = try GPT(config: GPTConfig(layerCount: 1, headCount: 1, embeddingSize: 8, contextLength: 8, vocabularySize: 8), using: &rng)
        XCTAssertThrowsError(try QuarkTrainer(config: QuarkConfig(), base: base, reward: .tokens(QuarkTrainerTests.reward),
                                              prompts: [[1]], tokenizer: nil, padToken: 0, stopTokens: [])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "maximumNewTokens", "12 new tokens do not fit a context of 8")
        }
    }
}
