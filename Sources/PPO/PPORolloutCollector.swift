// Phases 1–2 of a PPO iteration (see the PPO article): the shared rollout layer samples and scores the episodes, and
// the critic adds V_old. A shared value head is read on the policy's own scoring pass (no second forward pass); a
// separate value model runs on the scored episodes. PPO's API takes the rollout layer's reward and token
// conventions, so `import PPO` brings in Rollouts too.
@_exported import Rollouts
import Dispatch
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore

/// Collects PPO rollouts: a ``Rollouts/RolloutCollector`` and the critic's values of the same episodes.
public final class PPORolloutCollector {
    /// Sampling and scoring, with no critic.
    public let episodes: RolloutCollector
    /// Where the values come from.
    public let critic: PPOCritic
    /// Seconds spent sampling and scoring (values included) by the last `collect`.
    public private(set) var lastTimings: (generation: Double, scoring: Double) = (0, 0)

    public init(policy: GPT, reference: GPT, critic: PPOCritic, reward: RolloutReward, tokenizer: (any Tokenizer)?,
                tokens: TokenConventions, options: GenerationOptions, missingStopPenalty: Float) {
        episodes = RolloutCollector(policy: policy, reference: reference, reward: reward, tokenizer: tokenizer, tokens: tokens,
                                    options: options, missingStopPenalty: missingStopPenalty)
        self.critic = critic
    }

    /// Sampling options (stop and pad tokens come from the token conventions).
    public var options: GenerationOptions {
        get { episodes.options }
        set { episodes.options = newValue }
    }

    /// Encodes text prompts, left-padded (see `RolloutCollector.encode(prompts:)`).
    public func encode(prompts: [String]) throws -> TokenBatch { try episodes.encode(prompts: prompts) }

    /// Samples one response per text prompt and scores the episodes.
    public func collect<G: RandomNumberGenerator>(prompts: [String], using generator: inout G) throws -> PPORollout {
        try collect(promptTokens: encode(prompts: prompts), promptTexts: prompts, using: &generator)
    }

    /// Samples one response per prompt `[B, P]` (left-padded) and scores the episodes.
    public func collect<G: RandomNumberGenerator>(promptTokens: TokenBatch, promptTexts: [String] = [],
                                                  using generator: inout G) throws -> PPORollout {
        try withValues(episodes.collect(promptTokens: promptTokens, promptTexts: promptTexts, reading: sharedHead, using: &generator),
                       timed: true)
    }

    /// `collect` with one generator per prompt row (see `GPT.generate(prompts:options:rowGenerators:)`).
    public func collect(promptTokens: TokenBatch, promptTexts: [String] = [],
                        rowGenerators: inout [SeededGenerator]) throws -> PPORollout {
        try withValues(episodes.collect(promptTokens: promptTokens, promptTexts: promptTexts, reading: sharedHead,
                                        rowGenerators: &rowGenerators),
                       timed: true)
    }

    /// Step 2 for given responses (see `RolloutCollector.score(prompts:responses:promptTexts:reading:)`), with values.
    public func score(prompts: TokenBatch, responses: TokenBatch, promptTexts: [String] = []) throws -> PPORollout {
        try withValues(episodes.score(prompts: prompts, responses: responses, promptTexts: promptTexts, reading: sharedHead),
                       timed: false)
    }

    /// The shared value head, read on the policy's scoring pass; nil for a separate value model.
    private var sharedHead: ScalarHead? {
        if case .sharedHead(let head) = critic { return head }
        return nil
    }

    /// The rollout with the shared head's readings as values, or a separate value model's values (0 at padding);
    /// `timed` records the collector's timings, the value model's time counted as scoring.
    private func withValues(_ scored: (rollout: Rollout, readings: Tensor?), timed: Bool) throws -> PPORollout {
        let start = DispatchTime.now().uptimeNanoseconds
        let rollout = scored.rollout
        let values: Tensor
        switch critic {
        case .sharedHead: values = scored.readings!
        case .separate(let model):
            values = try withoutGradients { try model.values(prompts: rollout.prompts, responses: rollout.responses).value } * rollout.mask
        }
        if timed {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            lastTimings = (episodes.lastTimings.generation, episodes.lastTimings.scoring + seconds)
        }
        return PPORollout(rollout: rollout, values: values)
    }
}
