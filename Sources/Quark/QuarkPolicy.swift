// The policy side of Quark: reward tokens added to the vocabulary (Lu et al. 2022, arXiv 2205.13636; QK `policy.py`),
// prompts prefixed with a reward token, conditional sampling, and the teacher-forced logits the learning loss needs.
import Foundation
import LanguageModels
import TensorCore

/// A language model grown by K reward tokens r_0 (best) … r_{K−1}, with ids `V ..< V + K`.
///
/// The new embedding rows are drawn per dimension from N(mean, std) of the existing rows
/// (`GPT.addTokens(count:using:)`, as QK's `policy.py`); GPT-2 ties the output projection, so the output layer
/// gains the same rows. The model is conditioned by prepending `r_k` to the prompt: `[r_k] ‖ x ‖ y`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let policy = try QuarkPolicy(base: base.copy(), quantileCount: 5, using: &rng)
/// let prompts = policy.prompts([[5, 6, 7]], conditionedOn: 0, padToken: 0)   // [[V, 5, 6, 7]]
/// ```
public final class QuarkPolicy {
    /// The model with the extended vocabulary (trained in place).
    public let model: GPT
    /// V, the vocabulary size before the reward tokens.
    public let originalVocabularySize: Int
    /// K.
    public let quantileCount: Int

    /// Grows `base` by `quantileCount` reward tokens: in place without `lora`; with `lora`, a model that shares
    /// `base`'s weights frozen, trains `lora`'s adapters, and trains the reward tokens' embedding rows in full
    /// (`GPT.withLoRA(_:addingTokens:using:)`), since the base model has never seen them. `base` is then not
    /// changed.
    ///
    /// - Throws: `LanguageModelError` for a bad size or LoRA configuration.
    public init<G: RandomNumberGenerator>(base: GPT, quantileCount: Int, lora: LoRAConfig? = nil, using generator: inout G) throws {
        originalVocabularySize = base.config.vocabularySize
        self.quantileCount = quantileCount
        if let lora {
            model = try base.withLoRA(lora, addingTokens: quantileCount, using: &generator)
        } else {
            try base.addTokens(count: quantileCount, using: &generator)
            model = base
        }
    }

    /// Wraps a model that already has the reward tokens (for example one loaded from a checkpoint).
    public init(model: GPT, originalVocabularySize: Int, quantileCount: Int) {
        precondition(model.config.vocabularySize == originalVocabularySize + quantileCount,
                     "QuarkPolicy: the model has \(model.config.vocabularySize) tokens, not \(originalVocabularySize) + \(quantileCount)")
        self.model = model
        self.originalVocabularySize = originalVocabularySize
        self.quantileCount = quantileCount
    }

    /// The id of reward token r_i.
    public func rewardToken(_ quantile: Int) -> Int32 {
        precondition(quantile >= 0 && quantile < quantileCount, "quantile \(quantile) outside 0..<\(quantileCount)")
        return Int32(originalVocabularySize + quantile)
    }

    /// Left-padded prompts, each prefixed with r_quantile (or not, when `quantile` is nil).
    public func prompts(_ rows: [[Int32]], conditionedOn quantile: Int?, padToken: Int32) -> TokenBatch {
        let prefixed = quantile.map { q in rows.map { [rewardToken(q)] + $0 } } ?? rows
        return TokenBatch(leftPadding: prefixed, padToken: padToken)
    }

    /// Samples responses conditioned on r_quantile (r_0, the best, at inference).
    ///
    /// Reward tokens are not text, so only the original vocabulary is sampled (`sampledVocabularySize` = V):
    /// otherwise the entropy bonus, which spreads mass over all V + K ids, lets a reward token end a response
    /// early, and Quark would look less toxic by being shorter.
    public func generate<G: RandomNumberGenerator>(prompts rows: [[Int32]], conditionedOn quantile: Int?,
                                                   options: GenerationOptions, using generator: inout G) throws -> [[Int32]] {
        let batch = prompts(rows, conditionedOn: quantile, padToken: options.padToken)
        var textOnly = options
        textOnly.sampledVocabularySize = min(options.sampledVocabularySize ?? originalVocabularySize, originalVocabularySize)
        let result = try model.generate(prompts: batch, options: textOnly, using: &generator)
        return truncatedAtRewardTokens(result.responses)
    }

    /// The real tokens of each response row, cut before the first id ≥ V (a reward token).
    public func truncatedAtRewardTokens(_ responses: TokenBatch) -> [[Int32]] {
        (0..<responses.batchSize).map { b in
            let row = responses.realTokens(row: b)
            let cut = row.firstIndex { Int($0) >= originalVocabularySize } ?? row.count
            return Array(row[..<cut])
        }
    }

    /// Policy logits `[B, R, V + K]` at the positions that predict each response token, for `[r_k ‖ x ‖ y]`.
    public func responseLogits(prompts: TokenBatch, responses: TokenBatch) throws -> Variable {
        try QuarkPolicy.responseLogits(model: model, prompts: prompts, responses: responses)
    }

    /// Logits `[B, R, V]` of `model` at the positions that predict each response token of `[prompts ‖ responses]`
    /// (the LanguageModels article's convention: response token t is predicted at position P + t − 1).
    public static func responseLogits(model: GPT, prompts: TokenBatch, responses: TokenBatch) throws -> Variable {
        let P = prompts.length, R = responses.length
        let hidden = try model.hiddenStates(prompts.concatenated(with: responses))   // [B, P+R, C]
        return model.logits(hidden.slice(axis: 1, (P - 1)..<(P + R - 1)))          // [B, R, V]
    }
}
