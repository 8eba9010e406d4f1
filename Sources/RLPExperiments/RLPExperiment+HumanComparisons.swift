// The first reward model's human comparisons D. RLP's reward model learns from human preferences over the SFT
// policy's outputs (arXiv 2403.19279, §5.1, on AlpacaFarm), so it is good where the policy starts and degrades as
// RL moves the policy away; the task's fixed candidate mix is kept as the alternative.
import Foundation
import LanguageModels
import RLP
import Tasks
import TensorCore
import TrainingData

extension RLPExperiment {
    /// `config.comparisonCount` comparisons for one seed, from `config.humanComparisons`.
    ///
    /// - `sftSamples`: comparison-split prompts (never an evaluation or RL prompt) in a seeded order, two SFT
    ///   samples at temperature 1 each, one label of the training annotators per pair; pairs of identical samples
    ///   carry no preference and are skipped, so up to four times as many prompts are sampled as comparisons kept.
    /// - `taskCandidates`: a seeded subset of the task's own comparisons.
    func humanComparisons(seed: UInt64, _ s: Shared, policy: TextPolicy) throws -> [PreferenceRecord] {
        var rng = SeededGenerator(seed: seed &+ 0xA11CE)
        switch config.humanComparisons {
        case .taskCandidates:
            return Array(s.task.comparisons.shuffled(using: &rng).prefix(config.comparisonCount))
        case .sftSamples:
            let prompts = Array(s.task.splits.comparison.map(\.prompt).shuffled(using: &rng).prefix(4 * config.comparisonCount))
            let groups = try samplePolicy(policy, prompts: prompts, n: 2, maximumNewTokens: config.maximumNewTokens, using: &rng)
            let labelled = try s.task.labelPairs(prompts: prompts, first: groups.map { $0.responses[0] },
                                                 second: groups.map { $0.responses[1] }, using: &rng)
            if labelled.count < config.comparisonCount {
                log("warning: only \(labelled.count) of \(prompts.count) pairs of SFT samples differ; training on \(labelled.count) comparisons, not comparisonCount = \(config.comparisonCount)")
            }
            return Array(labelled.prefix(config.comparisonCount))
        }
    }
}
