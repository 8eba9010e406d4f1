// Rollout: the plain data of one iteration's sampled and scored episodes, with no critic in it, and the row/column
// cut the updates use for minibatches. Shapes: B episodes, P prompt width, R response width.
import Foundation
import LanguageModels
import TensorCore

/// Everything an on-policy update needs from its sampled episodes, as plain values with no graph.
///
/// `RolloutCollector.collect` builds one under `withoutGradients`; tests can build one by hand. Log-probabilities
/// come from the same teacher-forced forward pass the update uses, so the first minibatch of an iteration has ratio
/// exactly 1. PPO adds its critic's values (`PPORollout`); RLOO and GRPO use it as it is.
public struct Rollout {
    /// `[B, P]`, left-padded prompts.
    public var prompts: TokenBatch
    /// `[B, R]`, right-padded responses; each row ends at (and includes) its stop token when it has one.
    public var responses: TokenBatch
    /// log π_old(rₜ) at the rollout temperature, `[B, R]` (0 at padding).
    public var logProbabilities: Tensor
    /// log π_ref(rₜ) at the rollout temperature, `[B, R]` (0 at padding).
    public var referenceLogProbabilities: Tensor
    /// Entropy of the policy at each response position, `[B, R]` (0 at padding).
    public var entropies: Tensor
    /// The sequence score of each episode after the missing-stop penalty, `[B]`.
    public var scores: [Float]
    /// The reward function's raw score of each episode, `[B]`.
    public var rawScores: [Float]
    /// Whether each response reached a stop token.
    public var stopped: [Bool]
    /// The prompts as text (empty when the rollout was built from tokens only).
    public var promptTexts: [String]
    /// The completions as text, including the stop text (empty when built from tokens only).
    public var completionTexts: [String]

    /// A rollout from its parts. Tensors must be `[B, R]` with `B == prompts.batchSize` and
    /// `R == responses.length`; `scores` has B entries. `rawScores` defaults to `scores` and `stopped` to true,
    /// entropies to zeros.
    public init(prompts: TokenBatch, responses: TokenBatch, logProbabilities: Tensor, referenceLogProbabilities: Tensor,
                scores: [Float], entropies: Tensor? = nil, rawScores: [Float]? = nil, stopped: [Bool]? = nil,
                promptTexts: [String] = [], completionTexts: [String] = []) {
        let shape = [responses.batchSize, responses.length]
        precondition(prompts.batchSize == responses.batchSize, "Rollout: \(prompts.batchSize) prompts for \(responses.batchSize) responses")
        precondition(logProbabilities.shape == shape && referenceLogProbabilities.shape == shape,
                     "Rollout: log-probabilities \(logProbabilities.shape) and reference \(referenceLogProbabilities.shape) must be \(shape)")
        precondition(scores.count == shape[0], "Rollout: \(scores.count) scores for \(shape[0]) episodes")
        self.prompts = prompts
        self.responses = responses
        self.logProbabilities = logProbabilities
        self.referenceLogProbabilities = referenceLogProbabilities
        self.entropies = entropies ?? Tensor(zeros: shape)
        self.scores = scores
        self.rawScores = rawScores ?? scores
        self.stopped = stopped ?? [Bool](repeating: true, count: shape[0])
        self.promptTexts = promptTexts
        self.completionTexts = completionTexts
    }

    /// B, the number of episodes.
    public var batchSize: Int { prompts.batchSize }
    /// `[B, R]`: 1 on real response tokens.
    public var mask: Tensor { responses.mask }
}

extension Rollout {
    /// The number of real response tokens of episode `row`.
    public func responseTokenCount(row: Int) -> Double {
        mask.withUnsafeBufferPointer { m in
            let r = responses.length
            return (0..<r).reduce(0.0) { $0 + Double(m[row * r + $1]) }
        }
    }

    /// The episodes `indices`, with the padding columns they all share removed (left of the prompts, right of
    /// the responses), so a minibatch of short episodes costs less. Padding never changes the loss (tested).
    public func episodes(_ indices: [Int]) -> Rollout {
        let (r, cut) = responseCut(indices)
        return Rollout(prompts: prompts.rows(indices).withoutSharedLeftPadding(), responses: r,
                       logProbabilities: cut(logProbabilities), referenceLogProbabilities: cut(referenceLogProbabilities),
                       scores: indices.map { scores[$0] }, entropies: cut(entropies), rawScores: indices.map { rawScores[$0] },
                       stopped: indices.map { stopped[$0] },
                       promptTexts: promptTexts.isEmpty ? [] : indices.map { promptTexts[$0] },
                       completionTexts: completionTexts.isEmpty ? [] : indices.map { completionTexts[$0] })
    }

    /// The responses of episodes `indices` without their shared right padding, and the cut that takes the same
    /// rows and columns of any `[B, R]` tensor (PPO cuts its values with it).
    public func responseCut(_ indices: [Int]) -> (responses: TokenBatch, cut: (Tensor) -> Tensor) {
        let r = responses.rows(indices)
        let width = r.widthWithoutSharedRightPadding
        let cut: (Tensor) -> Tensor = { t in
            let rows = t.rows(indices)
            return width == r.length ? rows : rows.slice(axis: 1, 0..<width)
        }
        return (width == r.length ? r : r.columns(0..<width), cut)
    }
}
