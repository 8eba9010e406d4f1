// PPORollout: the plain data of one PPO iteration's rollout (phases 1–2 in the PPO article), and the row/column
// helpers the update uses to cut it into minibatches. Shapes: B episodes, P prompt width, R response width.
import Foundation
import LanguageModels
import TensorCore

/// Everything the update needs from a rollout, as plain values with no graph.
///
/// `RolloutCollector.collect` builds one under `withoutGradients`; tests can build one by hand. Log-probabilities
/// and values come from the same teacher-forced forward pass the update uses, so the first minibatch of an
/// iteration has ratio exactly 1.
public struct PPORollout {
    /// `[B, P]`, left-padded prompts.
    public var prompts: TokenBatch
    /// `[B, R]`, right-padded responses; each row ends at (and includes) its stop token when it has one.
    public var responses: TokenBatch
    /// log π_old(rₜ) at the rollout temperature, `[B, R]` (0 at padding).
    public var logProbabilities: Tensor
    /// log π_ref(rₜ) at the rollout temperature, `[B, R]` (0 at padding).
    public var referenceLogProbabilities: Tensor
    /// V_old(sₜ), the value of the state before each response token, `[B, R]` (0 at padding).
    public var values: Tensor
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
                values: Tensor, scores: [Float], entropies: Tensor? = nil, rawScores: [Float]? = nil, stopped: [Bool]? = nil,
                promptTexts: [String] = [], completionTexts: [String] = []) {
        let shape = [responses.batchSize, responses.length]
        precondition(prompts.batchSize == responses.batchSize, "PPORollout: \(prompts.batchSize) prompts for \(responses.batchSize) responses")
        precondition(logProbabilities.shape == shape && referenceLogProbabilities.shape == shape && values.shape == shape,
                     "PPORollout: log-probabilities \(logProbabilities.shape), reference \(referenceLogProbabilities.shape) and values \(values.shape) must be \(shape)")
        precondition(scores.count == shape[0], "PPORollout: \(scores.count) scores for \(shape[0]) episodes")
        self.prompts = prompts
        self.responses = responses
        self.logProbabilities = logProbabilities
        self.referenceLogProbabilities = referenceLogProbabilities
        self.values = values
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

extension PPORollout {
    /// The episodes `indices`, with the padding columns they all share removed (left of the prompts, right of
    /// the responses), so a minibatch of short episodes costs less. Padding never changes the loss (tested).
    /// The number of real response tokens of episode `row`.
    public func responseTokenCount(row: Int) -> Double {
        mask.withUnsafeBufferPointer { m in
            let r = responses.length
            return (0..<r).reduce(0.0) { $0 + Double(m[row * r + $1]) }
        }
    }

    public func episodes(_ indices: [Int]) -> PPORollout {
        let p = prompts.rows(indices).withoutSharedLeftPadding()
        var r = responses.rows(indices)
        let width = r.widthWithoutSharedRightPadding
        func cut(_ t: Tensor) -> Tensor {
            let rows = t.rows(indices)
            return width == r.length ? rows : rows.slice(axis: 1, 0..<width)
        }
        let lp = cut(logProbabilities), ref = cut(referenceLogProbabilities), v = cut(values), h = cut(entropies)
        if width != r.length { r = r.columns(0..<width) }
        return PPORollout(prompts: p, responses: r, logProbabilities: lp, referenceLogProbabilities: ref, values: v,
                          scores: indices.map { scores[$0] }, entropies: h, rawScores: indices.map { rawScores[$0] },
                          stopped: indices.map { stopped[$0] },
                          promptTexts: promptTexts.isEmpty ? [] : indices.map { promptTexts[$0] },
                          completionTexts: completionTexts.isEmpty ? [] : indices.map { completionTexts[$0] })
    }
}
