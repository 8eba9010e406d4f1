// Phases 1–2 of an on-policy iteration (see the Rollouts article): sample responses with the KV-cache sampler,
// recompute log-probabilities and reference log-probabilities with the training forward pass, and score the episodes.
// No critic: PPO reads its shared value head on the same pass through `reading:` and adds its values on top.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore

/// Collects rollouts: generation with the current policy, then scoring under `withoutGradients`.
public final class RolloutCollector {
    /// The policy that samples and is scored (its trainer updates it in place).
    public let policy: GPT
    /// The frozen reference π_ref whose log-probabilities the KL terms use.
    public let reference: GPT
    /// Where each episode's sequence score comes from.
    public let reward: RolloutReward
    /// The token ids that frame a rollout: padding and stop tokens.
    public let tokens: TokenConventions
    /// Turns text prompts into ids and responses back into text; needed for text prompts and `.function` rewards.
    public let tokenizer: (any Tokenizer)?
    /// Sampling options (stop and pad tokens come from `tokens`).
    public var options: GenerationOptions
    /// Added to the score of episodes without a stop token (≤ 0).
    public var missingStopPenalty: Float
    /// Seconds spent sampling and scoring by the last `collect`.
    public private(set) var lastTimings: (generation: Double, scoring: Double) = (0, 0)

    public init(policy: GPT, reference: GPT, reward: RolloutReward, tokenizer: (any Tokenizer)?,
                tokens: TokenConventions, options: GenerationOptions, missingStopPenalty: Float) {
        self.policy = policy
        self.reference = reference
        self.reward = reward
        self.tokenizer = tokenizer
        self.tokens = tokens
        self.options = options
        self.options.stopTokens = tokens.stopTokens
        self.options.padToken = tokens.padToken
        self.missingStopPenalty = missingStopPenalty
    }

    /// The seeded generator of one episode: from the run's seed, the iteration and the episode's index in the
    /// iteration's batch, so that its sampled tokens do not depend on the rank that samples it.
    public static func episodeGenerator(seed: UInt64, iteration: Int, index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed, step: iteration, example: index)
    }

    /// Encodes text prompts, left-padded.
    ///
    /// - Throws: `ConfigurationError` without a tokenizer or for an empty prompt.
    public func encode(prompts: [String]) throws -> TokenBatch {
        guard let tokenizer else { throw ConfigurationError.missing(what: "the tokenizer", fix: "text prompts need one; pass one to the trainer") }
        let ids = try prompts.map { try tokenizer.encode($0) }
        if let empty = ids.firstIndex(where: \.isEmpty) {
            throw ConfigurationError.emptyInput(what: "the encoding of prompt \(empty)", fix: "every prompt needs at least one token")
        }
        return TokenBatch(leftPadding: ids, padToken: tokens.padToken)
    }

    /// Samples one response per text prompt and scores the episodes.
    public func collect<G: RandomNumberGenerator>(prompts: [String], using generator: inout G) throws -> Rollout {
        try collect(promptTokens: encode(prompts: prompts), promptTexts: prompts, using: &generator)
    }

    /// Samples one response per prompt `[B, P]` (left-padded) and scores the episodes.
    ///
    /// - Parameter promptTexts: the prompts as text for a `.function` reward (decoded from the ids when empty).
    public func collect<G: RandomNumberGenerator>(promptTokens: TokenBatch, promptTexts: [String] = [],
                                                  using generator: inout G) throws -> Rollout {
        try collect(promptTokens: promptTokens, promptTexts: promptTexts, reading: nil, using: &generator).rollout
    }

    /// `collect`, also reading `head` on the policy's scoring pass (see ``score(prompts:responses:promptTexts:reading:)``).
    public func collect<G: RandomNumberGenerator>(promptTokens: TokenBatch, promptTexts: [String] = [], reading head: ScalarHead?,
                                                  using generator: inout G) throws -> (rollout: Rollout, readings: Tensor?) {
        try timed(promptTokens: promptTokens, promptTexts: promptTexts, head: head) {
            try policy.generate(prompts: promptTokens, options: options, using: &generator)
        }
    }

    /// `collect` with one generator per prompt row (see `GPT.generate(prompts:options:rowGenerators:)`).
    public func collect(promptTokens: TokenBatch, promptTexts: [String] = [],
                        rowGenerators: inout [SeededGenerator]) throws -> Rollout {
        try collect(promptTokens: promptTokens, promptTexts: promptTexts, reading: nil, rowGenerators: &rowGenerators).rollout
    }

    /// `collect` with one generator per prompt row, also reading `head` on the policy's scoring pass.
    public func collect(promptTokens: TokenBatch, promptTexts: [String] = [], reading head: ScalarHead?,
                        rowGenerators: inout [SeededGenerator]) throws -> (rollout: Rollout, readings: Tensor?) {
        try timed(promptTokens: promptTokens, promptTexts: promptTexts, head: head) {
            try policy.generate(prompts: promptTokens, options: options, rowGenerators: &rowGenerators)
        }
    }

    /// Generates with `generate`, scores the responses, and records both durations in `lastTimings`.
    private func timed(promptTokens: TokenBatch, promptTexts: [String], head: ScalarHead?,
                       _ generate: () throws -> GenerationResult) throws -> (rollout: Rollout, readings: Tensor?) {
        let start = DispatchTime.now().uptimeNanoseconds
        let generated = try generate()
        let middle = DispatchTime.now().uptimeNanoseconds
        let scored = try score(prompts: promptTokens, responses: generated.responses, promptTexts: promptTexts, reading: head)
        let end = DispatchTime.now().uptimeNanoseconds
        lastTimings = (Double(middle - start) / 1e9, Double(end - middle) / 1e9)
        return scored
    }

    /// Step 2 for given responses (see ``score(prompts:responses:promptTexts:reading:)``).
    public func score(prompts: TokenBatch, responses: TokenBatch, promptTexts: [String] = []) throws -> Rollout {
        try score(prompts: prompts, responses: responses, promptTexts: promptTexts, reading: nil).rollout
    }

    /// Step 2 for given responses: teacher-forced log-probabilities of the policy and the reference, entropies,
    /// and scores with the missing-stop penalty.
    ///
    /// - Parameters:
    ///   - prompts: `[B, P]`, left-padded.
    ///   - responses: `[B, R]`, right-padded; a row stopped when its last real token is a stop token.
    ///   - promptTexts: prompts as text for a `.function` reward (decoded from the ids when empty).
    ///   - head: a scalar head read on the policy's own scoring pass at the state before each response token
    ///     (PPO's shared value head: its values then cost no second forward pass); nil reads none.
    /// - Returns: the rollout, and the head's readings `[B, R]` (0 at padding) when `head` is given.
    /// - Throws: `LanguageModelError` for bad ids; `ConfigurationError` when the reward function returns
    ///   the wrong number of scores; whatever the reward function throws.
    public func score(prompts: TokenBatch, responses: TokenBatch, promptTexts: [String] = [],
                      reading head: ScalarHead?) throws -> (rollout: Rollout, readings: Tensor?) {
        let temperature = options.temperature
        return try withoutGradients {
            // Both under the sampler's minimum-length mask: the distribution the responses were drawn from.
            let policyScores = try policy.scoreResponses(prompts: prompts, responses: responses, temperature: temperature,
                                                         valueHead: head, computeEntropies: true,
                                                         minimumNewTokens: options.minimumNewTokens, stopTokens: options.stopTokens)
            let referenceScores = try reference.scoreResponses(prompts: prompts, responses: responses,
                                                               temperature: temperature, computeEntropies: false,
                                                               minimumNewTokens: options.minimumNewTokens, stopTokens: options.stopTokens)
            let lastIndices = try responses.lastRealIndices()
            let stop = Set(tokens.stopTokens)
            let stopped = lastIndices.enumerated().map { stop.contains(responses.tokens[$0.offset * responses.length + $0.element]) }
            var promptTexts = promptTexts
            var completions: [String] = []
            if let tokenizer {
                if promptTexts.isEmpty {
                    promptTexts = try (0..<prompts.batchSize).map { try tokenizer.decode(prompts.realTokens(row: $0), skipSpecialTokens: true) }
                }
                completions = try (0..<responses.batchSize).map { try tokenizer.decode(responses.realTokens(row: $0), skipSpecialTokens: true) }
            }
            let raw: [Float]
            switch reward {
            case .function(let function):
                guard tokenizer != nil else {
                    throw ConfigurationError.missing(what: "the tokenizer", fix: "a text reward function needs one to decode completions; pass one to the trainer")
                }
                raw = try function.scores(prompts: promptTexts, completions: completions)
            case .rewardModel(let model):
                raw = try model.rewards(prompts.concatenated(with: responses)).value.scalars
            }
            guard raw.count == responses.batchSize else {
                throw ConfigurationError.countMismatch(what: "scores from the reward function", expected: responses.batchSize, found: raw.count,
                                                       fix: "it must return one per episode")
            }
            let rollout = Rollout(
                prompts: prompts, responses: responses,
                logProbabilities: policyScores.logProbabilities.value,
                referenceLogProbabilities: referenceScores.logProbabilities.value,
                scores: penalizedScores(raw, stopped: stopped, penalty: tokens.stopTokens.isEmpty ? 0 : missingStopPenalty),
                entropies: policyScores.entropies, rawScores: raw, stopped: stopped,
                promptTexts: promptTexts, completionTexts: completions)
            // Zero any reading at padding so that tensors of hand-built and collected rollouts agree.
            return (rollout, head == nil ? nil : policyScores.values!.value * responses.mask)
        }
    }
}
