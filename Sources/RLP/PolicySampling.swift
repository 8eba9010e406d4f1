// RLP's policy-sample set P: n responses per unlabelled prompt, and gold-labelled pairs of them for measuring how
// well a reward model judges the policy's own outputs.
import Foundation
import LanguageModels
import Evaluation
import RewardModeling
import TensorCore
import TrainingCore
import TrainingData

/// Samples `n` responses per prompt from a policy (Lang et al. 2024, arXiv 2403.19279, Algorithm 1; n = 10 in §5.3).
///
/// - Parameters:
///   - policy: The policy with its tokenizer and stop tokens.
///   - prompts: The unlabelled prompts U.
///   - n: Responses per prompt (RLP: 10).
///   - temperature: Sampling temperature (RLP: 1.0).
///   - maximumNewTokens: The most tokens per response.
///   - batchSize: Sequences per generation call. Default 128.
///   - generator: The sampling randomness.
/// - Returns: One group per prompt, in order.
public func samplePolicy<G: RandomNumberGenerator>(_ policy: TextPolicy, prompts: [String], n: Int, temperature: Double = 1,
                                                   maximumNewTokens: Int, batchSize: Int = 128,
                                                   using generator: inout G) throws -> [PolicySampleGroup] {
    guard !prompts.isEmpty else { throw TrainingError.emptyData(what: "the unlabelled prompts to sample the policy on") }
    try require(n >= 1, "n", n, "it must be at least 1 response per prompt")
    let repeated = prompts.flatMap { Array(repeating: $0, count: n) }
    let options = policy.options(temperature: Float(temperature), maximumNewTokens: maximumNewTokens)
    let flat = try policy.complete(repeated, options: options, batchSize: batchSize, using: &generator)
    return prompts.indices.map { PolicySampleGroup(prompt: prompts[$0], responses: Array(flat[($0 * n)..<(($0 + 1) * n)])) }
}

/// Gold-labelled comparisons between a prompt's policy samples: every pair of responses whose gold scores differ by
/// more than `minimumGap`, the higher-scoring one chosen (at most `maximumPairsPerPrompt` per prompt, in index order).
///
/// - Parameters:
///   - groups: Policy samples.
///   - gold: The gold score of a completion for a prompt.
/// - Returns: The comparisons.
public func goldLabelledPairs(_ groups: [PolicySampleGroup], minimumGap: Double = 1e-9, maximumPairsPerPrompt: Int = .max,
                              gold: (_ prompt: String, _ completion: String) throws -> Double) rethrows -> [PreferenceRecord] {
    var pairs: [PreferenceRecord] = []
    for group in groups {
        let scores = try group.responses.map { try gold(group.prompt, $0) }
        var count = 0
        search: for i in group.responses.indices {
            for j in (i + 1)..<group.responses.count where abs(scores[i] - scores[j]) > minimumGap {
                let (w, l) = scores[i] > scores[j] ? (i, j) : (j, i)
                pairs.append(PreferenceRecord(prompt: group.prompt, chosen: group.responses[w], rejected: group.responses[l]))
                count += 1
                if count >= maximumPairsPerPrompt { break search }
            }
        }
    }
    return pairs
}

/// The pairwise accuracy `mean 1[r(chosen) > r(rejected)]` of a reward function on comparisons (ties count 0).
///
/// - Throws: `TrainingError.emptyData` for no comparisons, or what the reward function throws.
public func pairwiseAccuracy(of reward: any RewardFunction, on pairs: [PreferenceRecord]) throws -> Double {
    guard !pairs.isEmpty else { throw TrainingError.emptyData(what: "the comparisons to measure accuracy on") }
    let prompts = pairs.map(\.prompt)
    let chosen = try reward.scores(prompts: prompts, completions: pairs.map(\.chosen))
    let rejected = try reward.scores(prompts: prompts, completions: pairs.map(\.rejected))
    return Double(zip(chosen, rejected).filter { $0 > $1 }.count) / Double(pairs.count)
}
