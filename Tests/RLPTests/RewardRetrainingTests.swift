// Behaviour: on a seeded toy world where the human comparisons cover other prompts than the policy's, retraining the
// reward model with RLP-SPG raises its accuracy on gold-labelled pairs of policy samples; RLP-UML trains end to end.
import XCTest
import LanguageModels
import RewardModeling
import RLP
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

final class RewardRetrainingTests: XCTestCase {
    /// A copy task: the right answer to `"Q:x="` is `"x"`.
    struct World {
        let tokenizer: ByteTokenizer
        let pad: Int32
        let sft: GPT
        let human: [PreferenceRecord]
        let samples: [PolicySampleGroup]
        let heldOutPairs: [PreferenceRecord]
        let references: [[Int32]]

        init(seed: UInt64) throws {
            let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
            self.tokenizer = tokenizer
            pad = tokenizer.id(forSpecialToken: "<|pad|>")!
            var rng = SeededGenerator(seed: seed)
            sft = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16,
                                            vocabularySize: tokenizer.vocabularySize), using: &rng)
            let letters = "abcdefghijklmnopqrstuvwx".map(String.init)
            func prompt(_ x: String) -> String { "Q:\(x)=" }
            func wrong(_ x: String, _ g: inout SeededGenerator) -> String { letters.filter { $0 != x }.randomElement(using: &g)! }
            // Human comparisons: only letters a–h (the SFT distribution).
            let human = letters.prefix(8).flatMap { x in (0..<3).map { _ in PreferenceRecord(prompt: prompt(x), chosen: x, rejected: wrong(x, &rng)) } }
            // The policy answers letters i–x, right 6 times out of 10.
            let policyLetters = Array(letters.dropFirst(8))
            samples = policyLetters.map { x in
                var responses = Array(repeating: x, count: 6) + (0..<4).map { _ in wrong(x, &rng) }
                responses.shuffle(using: &rng)
                return PolicySampleGroup(prompt: prompt(x), responses: responses)
            }
            // Fresh policy samples on the same prompts, labelled by the gold rule (right beats wrong).
            let fresh = policyLetters.map { x in PolicySampleGroup(prompt: prompt(x), responses: [x] + (0..<3).map { _ in wrong(x, &rng) }) }
            heldOutPairs = goldLabelledPairs(fresh, maximumPairsPerPrompt: 3) { p, c in p == prompt(c) ? 1 : 0 }
            self.human = human
            references = try human.map { try tokenizer.encode($0.prompt) + tokenizer.encode($0.chosen) }
        }
    }

    var rewardConfig: RewardModelConfig {
        var c = RewardModelConfig()
        (c.learningRate, c.epochs, c.batchSize, c.warmupSteps, c.bootstrapResamples) = (3e-3, 30, 8, 2, 10)
        return c
    }

    func firstRewardModel(_ world: World) throws -> RewardModelFunction {
        var head = SeededGenerator(seed: rewardConfig.seed)
        let model = RewardModel(trunk: world.sft.copy(), using: &head)
        let groups = try ComparisonGroup.encode(world.human, tokenizer: world.tokenizer, contextLength: 16)
        let trainer = try RewardModelTrainer(model: model, config: rewardConfig, padToken: world.pad, training: groups)
        try trainer.train()
        return RewardModelFunction(model: model, tokenizer: world.tokenizer, normalizer: try trainer.fitNormalizer(references: world.references),
                                   padToken: world.pad)
    }

    func testSPGRetrainingRaisesRewardModelAccuracyOnPolicySamples() throws {
        for seed: UInt64 in 0..<3 {
            let world = try World(seed: seed)
            XCTAssertEqual(world.heldOutPairs.count, 48)
            let first = try firstRewardModel(world)
            let before = try pairwiseAccuracy(of: first, on: world.heldOutPairs)
            var rlp = RLPConfig()
            rlp.seed = seed
            let retrainer = try RewardRetrainer(config: rlp, rewardConfig: rewardConfig, tokenizer: world.tokenizer, padToken: world.pad)
            let spg = try retrainer.retrain(.spg, sft: world.sft, previous: first, human: world.human, policySamples: world.samples,
                                            references: world.references, equivalent: { _, a, b in a == b })
            XCTAssertEqual(spg.syntheticPairCount, 16, "every policy prompt is confident (0.6 ≥ 0.5) and has a wrong answer")
            XCTAssertEqual(spg.synthetic?.keptFraction, 1)
            XCTAssertTrue(spg.synthetic!.pairs.allSatisfy { $0.prompt == "Q:\($0.chosen)=" }, "the majority answer is chosen")
            let after = try pairwiseAccuracy(of: spg.reward, on: world.heldOutPairs)
            XCTAssertGreaterThan(after, before + 0.1, "seed \(seed): SPG accuracy on policy samples \(before) → \(after)")
            XCTAssertGreaterThan(after, 0.6, "seed \(seed): SPG accuracy on policy samples \(before) → \(after)")
        }
    }

    func testUMLRetrainingTrainsWithTheMultiViewTerm() throws {
        let world = try World(seed: 1)
        let first = try firstRewardModel(world)
        var rlp = RLPConfig()
        (rlp.encoderHiddenSize, rlp.codeSize, rlp.viewBatchSize) = (16, 4, 8)
        var config = rewardConfig
        config.epochs = 3
        let retrainer = try RewardRetrainer(config: rlp, rewardConfig: config, tokenizer: world.tokenizer, padToken: world.pad)
        var information: [Double] = [], viewPrompts: [Double] = []
        let uml = try retrainer.retrain(.uml, sft: world.sft, previous: first, human: world.human, policySamples: world.samples,
                                        references: world.references, progress: { event in
            if case .step(_, _, let m) = event, let mi = m["rlp/mutual_information"] {
                information.append(mi)
                viewPrompts.append(m["rlp/view_prompts"] ?? 0)
            }
            return .continue
        })
        XCTAssertNil(uml.synthetic)
        XCTAssertNotNil(uml.multiView)
        XCTAssertEqual(information.count, uml.training.steps, "L_M enters every step")
        let distinctPrompts = world.samples.filter { Set($0.responses).count >= 2 }.count
        XCTAssertEqual(viewPrompts, Array(repeating: Double(min(rlp.viewBatchSize, distinctPrompts)), count: uml.training.steps),
                       "every step's L_M sees a full batch of unlabelled prompts (two policy samples each)")
        XCTAssertTrue(information.allSatisfy(\.isFinite))
        XCTAssertTrue(uml.training.finalTrainingLoss.isFinite)
    }
}
