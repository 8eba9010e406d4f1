// Phases 1–2 of a PPO iteration (see the PPO article): sample responses with the KV-cache sampler, recompute
// log-probabilities, reference log-probabilities and values with the training forward pass, and score the episodes.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore

/// Where the sequence score of an episode comes from.
public enum PPOReward {
    /// Any reward function on text: prompts and decoded completions (a rule, a gold score, a reward model
    /// behind its own tokenizer).
    case function(any RewardFunction)
    /// A reward model that shares the policy's tokenizer, read on `[prompt | response]` token ids directly
    /// (no decoding and re-encoding).
    case rewardModel(RewardModel)
}

/// The token ids that frame a rollout.
public struct PPOTokenConventions: Equatable, Sendable {
    /// Written at padded positions (mask 0); must differ from every stop token.
    public var padToken: Int32
    /// Tokens that end a response; the stop token itself is scored.
    public var stopTokens: [Int32]

    public init(padToken: Int32, stopTokens: [Int32]) {
        self.padToken = padToken
        self.stopTokens = stopTokens
    }

    /// The built-in instruction task's conventions with `ByteTokenizer(specialTokens: ["<|endoftext|>",
    /// "<|pad|>"])`: PAD 257; responses stop at "\n" (10) or EOS (256).
    public static let instructionTask = PPOTokenConventions(padToken: 257, stopTokens: [10, 256])
}

/// Collects rollouts: generation with the current policy, then scoring under `withoutGradients`.
public final class RolloutCollector {
    public let policy: GPT
    public let reference: GPT
    /// Where the rollouts' values come from; nil for critic-free methods (RLOO, GRPO), whose rollouts carry
    /// zero values and no value head is evaluated.
    public let critic: PPOCritic?
    public let reward: PPOReward
    /// Turns text prompts into ids and responses back into text; needed for text prompts and `.function` rewards.
    public let tokenizer: (any Tokenizer)?
    public let tokens: PPOTokenConventions
    /// Sampling options (stop and pad tokens come from `tokens`).
    public var options: GenerationOptions
    /// Added to the score of episodes without a stop token (≤ 0).
    public var missingStopPenalty: Float
    /// Seconds spent sampling and scoring by the last `collect`.
    public private(set) var lastTimings: (generation: Double, scoring: Double) = (0, 0)

    public init(policy: GPT, reference: GPT, critic: PPOCritic?, reward: PPOReward, tokenizer: (any Tokenizer)?,
                tokens: PPOTokenConventions, options: GenerationOptions, missingStopPenalty: Float) {
        self.policy = policy
        self.reference = reference
        self.critic = critic
        self.reward = reward
        self.tokenizer = tokenizer
        self.tokens = tokens
        self.options = options
        self.options.stopTokens = tokens.stopTokens
        self.options.padToken = tokens.padToken
        self.missingStopPenalty = missingStopPenalty
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
    public func collect<G: RandomNumberGenerator>(prompts: [String], using generator: inout G) throws -> PPORollout {
        try collect(promptTokens: encode(prompts: prompts), promptTexts: prompts, using: &generator)
    }

    /// Samples one response per prompt `[B, P]` (left-padded) and scores the episodes.
    ///
    /// - Parameter promptTexts: the prompts as text for a `.function` reward (decoded from the ids when empty).
    public func collect<G: RandomNumberGenerator>(promptTokens: TokenBatch, promptTexts: [String] = [],
                                                  using generator: inout G) throws -> PPORollout {
        try timed(promptTokens: promptTokens, promptTexts: promptTexts) {
            try policy.generate(prompts: promptTokens, options: options, using: &generator)
        }
    }

    /// `collect` with one generator per prompt row (see `GPT.generate(prompts:options:rowGenerators:)`).
    public func collect(promptTokens: TokenBatch, promptTexts: [String] = [],
                        rowGenerators: inout [SeededGenerator]) throws -> PPORollout {
        try timed(promptTokens: promptTokens, promptTexts: promptTexts) {
            try policy.generate(prompts: promptTokens, options: options, rowGenerators: &rowGenerators)
        }
    }

    /// Generates with `generate`, scores the responses, and records both durations in `lastTimings`.
    private func timed(promptTokens: TokenBatch, promptTexts: [String],
                       _ generate: () throws -> GenerationResult) throws -> PPORollout {
        let start = DispatchTime.now().uptimeNanoseconds
        let generated = try generate()
        let middle = DispatchTime.now().uptimeNanoseconds
        let rollout = try score(prompts: promptTokens, responses: generated.responses, promptTexts: promptTexts)
        let end = DispatchTime.now().uptimeNanoseconds
        lastTimings = (Double(middle - start) / 1e9, Double(end - middle) / 1e9)
        return rollout
    }

    /// Step 2 for given responses: teacher-forced log-probabilities of the policy and the reference, values,
    /// entropies, and scores with the missing-stop penalty.
    ///
    /// - Parameters:
    ///   - prompts: `[B, P]`, left-padded.
    ///   - responses: `[B, R]`, right-padded; a row stopped when its last real token is a stop token.
    ///   - promptTexts: prompts as text for a `.function` reward (decoded from the ids when empty).
    /// - Throws: `LanguageModelError` for bad ids; `ConfigurationError` when the reward function returns
    ///   the wrong number of scores; whatever the reward function throws.
    public func score(prompts: TokenBatch, responses: TokenBatch, promptTexts: [String] = []) throws -> PPORollout {
        let temperature = options.temperature
        return try withoutGradients {
            let sharedHead: ScalarHead?
            if case .sharedHead(let head)? = critic { sharedHead = head } else { sharedHead = nil }
            // Both under the sampler's minimum-length mask: the distribution the responses were drawn from.
            let policyScores = try policy.scoreResponses(prompts: prompts, responses: responses, temperature: temperature,
                                                         valueHead: sharedHead, computeEntropies: true,
                                                         minimumNewTokens: options.minimumNewTokens, stopTokens: options.stopTokens)
            let referenceScores = try reference.scoreResponses(prompts: prompts, responses: responses,
                                                               temperature: temperature, computeEntropies: false,
                                                               minimumNewTokens: options.minimumNewTokens, stopTokens: options.stopTokens)
            let values: Tensor
            switch critic {
            case .sharedHead?: values = policyScores.values!.value
            case .separate(let model)?: values = try model.values(prompts: prompts, responses: responses).value
            case nil: values = Tensor(zeros: [responses.batchSize, responses.length])
            }
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
            let mask = responses.mask
            // Zero any value at padding so that tensors of hand-built and collected rollouts agree.
            let maskedValues = values * mask
            return PPORollout(
                prompts: prompts, responses: responses,
                logProbabilities: policyScores.logProbabilities.value,
                referenceLogProbabilities: referenceScores.logProbabilities.value,
                values: maskedValues, scores: penalizedScores(raw, stopped: stopped, penalty: tokens.stopTokens.isEmpty ? 0 : missingStopPenalty),
                entropies: policyScores.entropies, rawScores: raw, stopped: stopped,
                promptTexts: promptTexts, completionTexts: completions)
        }
    }
}
