// Behaviour on the built-in instruction task: a short SFT run beats the base model on gold score and win-rate.
import Evaluation
import LanguageModels
import SFT
import Tasks
import TensorCore
import Tokenizers
import XCTest

final class SFTInstructionTaskTests: XCTestCase {
    func testFineTunedModelBeatsTheBaseModelOnGoldScoreAndWinRate() throws {
        var taskConfig = InstructionTaskConfig()
        taskConfig.demonstrationCount = 800
        taskConfig.evaluationCount = 64
        taskConfig.pretrainingCharacterCount = 1000
        let task = try InstructionTask(config: taskConfig)
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 0)
        let base = try GPT(config: GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 64, contextLength: 96,
                                             vocabularySize: tokenizer.vocabularySize), using: &rng)
        let model = base.copy()
        var config = SFTConfig()
        config.steps = 150
        config.learningRate = 3e-3
        config.evaluationInterval = 50
        let examples = try SFTExample.encode(task.demonstrations, tokenizer: tokenizer, contextLength: 96)
        let start = Date()
        let result = try SFTTrainer(model: model, config: config, padToken: 257, training: examples).train()
        let trained = Date().timeIntervalSince(start)

        let prompts = task.evaluation.map(\.prompt)
        let judge = InstructionTaskJudge(task: task)
        var sampling = SeededGenerator(seed: 1)
        func evaluate(_ model: GPT) throws -> PolicyScore {
            let policy = TextPolicy(model: model, tokenizer: tokenizer)
            let completions = try policy.complete(prompts, options: policy.options(greedy: true), using: &sampling)
            var bootstrap = SeededGenerator(seed: 0)
            return try scoreCompletions(prompts: prompts, completions: completions, judge: judge, resamples: 200, using: &bootstrap)
        }
        let before = try evaluate(base), after = try evaluate(model)
        print("SFT \(config.steps) steps in \(trained)s; loss \(result.finalTrainingLoss), val \(result.bestValidationLoss ?? .nan); gold \(before.gold.estimate) → \(after.gold.estimate) \(after.gold); win-rate \(before.winRate.estimate) → \(after.winRate.estimate)")
        // The 95 % bootstrap intervals over prompts do not overlap.
        XCTAssertGreaterThan(after.gold.lower, before.gold.upper)
        XCTAssertGreaterThan(after.winRate.lower, before.winRate.upper)
    }
}
