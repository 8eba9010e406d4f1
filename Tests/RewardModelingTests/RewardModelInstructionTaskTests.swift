// Behaviour on the built-in instruction task: held-out pairwise accuracy approaches the annotators' noise ceiling.
import Evaluation
import LanguageModels
import RewardModeling
import Tasks
import TensorCore
import Tokenizers
import XCTest

final class RewardModelInstructionTaskTests: XCTestCase {
    func testHeldOutAccuracyApproachesTheNoiseCeiling() throws {
        var taskConfig = InstructionTaskConfig()
        taskConfig.comparisonCount = 2000
        taskConfig.heldOutComparisonCount = 300
        taskConfig.pretrainingCharacterCount = 1000
        let task = try InstructionTask(config: taskConfig)
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 0)
        let trunk = try GPT(config: GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 64, contextLength: 96,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        let model = RewardModel(trunk: trunk, using: &rng)
        var config = RewardModelConfig()
        config.learningRate = Double(ProcessInfo.processInfo.environment["RM_LR"] ?? "1e-3")!
        config.epochs = Int(ProcessInfo.processInfo.environment["RM_EPOCHS"] ?? "1")!
        config.bootstrapResamples = 200
        let training = try ComparisonGroup.encode(task.comparisons, tokenizer: tokenizer, contextLength: 96)
        let heldOut = try ComparisonGroup.encode(task.heldOutComparisons, tokenizer: tokenizer, contextLength: 96)
        let start = Date()
        let result = try RewardModelTrainer(model: model, config: config, padToken: 257, training: training, validation: heldOut).train()
        let ceiling = try task.noiseCeiling(of: task.heldOutComparisons)
        let accuracy = result.evaluation!.accuracy
        print("RM \(result.steps) steps in \(Date().timeIntervalSince(start))s: held-out accuracy \(accuracy), ceiling \(ceiling)")
        XCTAssertGreaterThan(accuracy.estimate, ceiling - 0.10)
    }
}
