// PPORollout: a rollout (Rollouts) plus the critic's values V_old, the one thing PPO adds to phase 2 (see the PPO
// article). Shapes: B episodes, R response width.
import Foundation
import LanguageModels
import Rollouts
import TensorCore

/// The episodes of one PPO iteration: the critic-free ``Rollouts/Rollout`` and the values of its states.
///
/// Every field of the rollout reads through (`rollout.logProbabilities` for a `PPORollout` named `rollout`).
@dynamicMemberLookup
public struct PPORollout {
    /// The sampled and scored episodes.
    public var rollout: Rollout
    /// V_old(sₜ), the value of the state before each response token, `[B, R]` (0 at padding).
    public var values: Tensor

    /// A PPO rollout from the episodes and their values, `[B, R]`.
    public init(rollout: Rollout, values: Tensor) {
        precondition(values.shape == [rollout.responses.batchSize, rollout.responses.length],
                     "PPORollout: values \(values.shape) must be \([rollout.responses.batchSize, rollout.responses.length])")
        self.rollout = rollout
        self.values = values
    }

    /// A rollout from its parts (see `Rollout.init`), with values `[B, R]`.
    public init(prompts: TokenBatch, responses: TokenBatch, logProbabilities: Tensor, referenceLogProbabilities: Tensor,
                values: Tensor, scores: [Float], entropies: Tensor? = nil, rawScores: [Float]? = nil, stopped: [Bool]? = nil,
                promptTexts: [String] = [], completionTexts: [String] = []) {
        self.init(rollout: Rollout(prompts: prompts, responses: responses, logProbabilities: logProbabilities,
                                   referenceLogProbabilities: referenceLogProbabilities, scores: scores, entropies: entropies,
                                   rawScores: rawScores, stopped: stopped, promptTexts: promptTexts,
                                   completionTexts: completionTexts),
                  values: values)
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<Rollout, T>) -> T {
        get { rollout[keyPath: path] }
        set { rollout[keyPath: path] = newValue }
    }

    public subscript<T>(dynamicMember path: KeyPath<Rollout, T>) -> T { rollout[keyPath: path] }

    /// The number of real response tokens of episode `row`.
    public func responseTokenCount(row: Int) -> Double { rollout.responseTokenCount(row: row) }

    /// The episodes `indices` and their values, without the padding columns they all share (see
    /// `Rollout.episodes(_:)`).
    public func episodes(_ indices: [Int]) -> PPORollout {
        PPORollout(rollout: rollout.episodes(indices), values: rollout.responseCut(indices).cut(values))
    }
}
