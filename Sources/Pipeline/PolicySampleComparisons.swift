// Comparisons of the SFT model's own samples: InstructGPT's labellers ranked outputs of the models being trained,
// so the reward model learns on the distribution it will judge. Without them a reward model trained only on the
// task's fixed candidate mix ranks the SFT model's typical mistakes badly, and best-of-n and PPO exploit it.
import Foundation
import LanguageModels
import Tasks
import TensorCore
import Tokenizers
import TrainingData

extension InstructGPTPipeline {
    /// Samples two completions per prompt from `policy` (temperature 1) and has the task's training annotators
    /// label each pair (identical pairs are skipped).
    func labelledSamplePairs(task: InstructionTask, policy: TextPolicy, prompts: [String], seed: UInt64) throws
        -> [PreferenceRecord] {
        guard !prompts.isEmpty else { return [] }
        var rng = SeededGenerator(seed: seed)
        let options = policy.options(temperature: 1, maximumNewTokens: config.maximumNewTokens)
        let first = try policy.complete(prompts, options: options, using: &rng)
        let second = try policy.complete(prompts, options: options, using: &rng)
        // A sample that is the end-of-text token alone decodes to "": such a pair has nothing to score on one side
        // (the reward model reads a completion's reward at its last token), so it is left out.
        return try task.labelPairs(prompts: prompts, first: first, second: second, using: &rng)
            .filter { !$0.chosen.isEmpty && !$0.rejected.isEmpty }
    }

    /// `count` prompts taken in order from `prompts`, cycling when there are fewer.
    func cycled(_ prompts: [String], count: Int) -> [String] {
        guard !prompts.isEmpty else { return [] }
        return (0..<count).map { prompts[$0 % prompts.count] }
    }
}
