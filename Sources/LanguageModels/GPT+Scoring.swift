// Teacher-forced scoring of responses (the function every RL algorithm calls) and the language-modelling
// loss. Conventions (the LanguageModels article): prompts left-padded to width P, responses right-padded to
// width R; response token t (0-based) is predicted by the logits at position P + t − 1 of [prompt | response].
import Foundation
import TensorCore
import Validation

/// Per-token scores of a batch of responses.
public struct ResponseScores {
    /// `log softmax(ℓ/τ)[r_t]`, `[B, R]`, differentiable; 0 (and no gradient) at padded response positions.
    public let logProbabilities: Variable
    /// Entropy of `softmax(ℓ/τ)` at each response position, `[B, R]` (0 at padding), or nil when not asked.
    public let entropies: Tensor?
    /// Value-head outputs at the same positions, `[B, R]`, when a value head was given.
    public let values: Variable?
}

extension GPT {
    /// Teacher-forced log-probabilities (and entropies, and values) of `responses` given `prompts`.
    ///
    /// Runs one forward pass over `[prompts | responses]`, keeps the hidden states at positions
    /// `P − 1 ..< P + R − 1` (the states that predict each response token), and applies the tied vocabulary
    /// projection to those rows only. Logits are divided by `temperature` before the log-softmax, for the
    /// policy and the reference alike (lm-human-preferences `policy.py`; TRL).
    ///
    /// - Parameters:
    ///   - prompts: `[B, P]`, left-padded, with at least one column.
    ///   - responses: `[B, R]`, right-padded; masked positions are not scored.
    ///   - temperature: τ > 0, the rollout temperature.
    ///   - valueHead: when given, its outputs at the same positions are returned as `values`.
    ///   - computeEntropies: whether to compute `entropies` (one extra pass over the logits, no graph).
    ///   - minimumNewTokens: the sampler's minimum length (`GenerationOptions.minimumNewTokens`): at response
    ///     positions before it, `stopTokens` are taken out of the softmax, as the sampler masked them, so that the
    ///     scores are those of the distribution the responses came from (PPO's ratios and KL penalty are then
    ///     unbiased). Default 0: no mask.
    ///   - stopTokens: the sampler's stop tokens.
    /// - Throws: `LanguageModelError` for bad ids, over-long rows, an empty prompt width or a bad temperature.
    public func scoreResponses(prompts: TokenBatch, responses: TokenBatch, temperature: Float = 1,
                               valueHead: ScalarHead? = nil, computeEntropies: Bool = true,
                               minimumNewTokens: Int = 0, stopTokens: [Int32] = []) throws -> ResponseScores {
        guard prompts.length >= 1 else {
            throw LanguageModelError.invalid(.invalidValue(field: "prompts.length", value: "0", requirement: "each row needs at least one prompt token (e.g. a BOS token) to predict the first response token"))
        }
        guard temperature > 0, temperature.isFinite else {
            throw LanguageModelError.invalid(.invalidValue(field: "temperature", value: "\(temperature)", requirement: "it must be positive, such as 1.0"))
        }
        guard prompts.batchSize == responses.batchSize else {
            throw LanguageModelError.invalid(.shapeMismatch(what: "responses", expected: [prompts.batchSize, responses.length],
                                                            found: [responses.batchSize, responses.length]))
        }
        let P = prompts.length, R = responses.length
        let hidden = try hiddenStates(prompts.concatenated(with: responses))       // [B, P+R, C]
        let predicting = hidden.slice(axis: 1, (P - 1)..<(P + R - 1))              // [B, R, C]
        var targets = responses.tokens
        responses.mask.withUnsafeBufferPointer { m in for i in 0..<targets.count where m[i] == 0 { targets[i] = -1 } }
        // Fused tied projection [B, R, C] → [B, R, V] → log-probabilities (and entropies) in one pass over the
        // logits (see TiedLogProbabilities.swift): no logits Variable, no second exponential in the backward.
        // The sampler's minimum-length mask: before `minimumNewTokens` response tokens, the stop tokens are out of
        // the distribution, so the scores are those of the distribution the tokens were sampled from.
        let excludedRows = minimumNewTokens > 0 && !stopTokens.isEmpty
            ? (0..<(responses.batchSize * R)).map { $0 % R < minimumNewTokens } : []
        let (logProbabilities, entropies) = Variable.tiedProjectionLogProbabilities(
            hidden: predicting, table: tokenTable, targets: targets, temperature: temperature,
            computeEntropies: computeEntropies, excludedTokens: stopTokens, excludedRows: excludedRows)
        return ResponseScores(logProbabilities: logProbabilities, entropies: entropies,
                              values: valueHead.map { $0(predicting) })
    }

    /// Token-mean next-token cross-entropy over a block of text.
    ///
    /// The token at position t + 1 is the target of position t when both are real and
    /// `targetMask[t + 1] != 0` (default: the batch mask; pass a completion mask for completion-only SFT).
    /// The mean is over all kept targets of the batch (TRL's token-weighted normalisation).
    public func languageModelLoss(_ batch: TokenBatch, targetMask: Tensor? = nil) throws -> Variable {
        var unused = SeededGenerator(seed: 0)
        return try languageModelLoss(batch, targetMask: targetMask, dropout: 0, generator: &unused)
    }

    /// `languageModelLoss` in training mode (dropout drawn from `generator`).
    public func languageModelLoss<G: RandomNumberGenerator>(_ batch: TokenBatch, targetMask: Tensor? = nil,
                                                           training generator: inout G) throws -> Variable {
        try languageModelLoss(batch, targetMask: targetMask, dropout: config.dropout, generator: &generator)
    }

    func languageModelLoss<G: RandomNumberGenerator>(_ batch: TokenBatch, targetMask: Tensor?, dropout: Float,
                                                    generator: inout G) throws -> Variable {
        if let targetMask, targetMask.shape != batch.mask.shape {
            throw LanguageModelError.invalid(.shapeMismatch(what: "targetMask", expected: batch.mask.shape, found: targetMask.shape))
        }
        let hidden = try trunk(batch, dropout: dropout, generator: &generator)
        let targets = GPT.nextTokenTargets(batch, targetMask: targetMask)
        // Fused: only rows with a target are projected onto the vocabulary (see TiedCrossEntropy.swift).
        return Variable.tiedProjectionCrossEntropy(hidden: hidden, table: tokenTable, targets: targets)
    }

    /// The shifted targets of `languageModelLoss`: `[B·T]` ids with −100 where nothing is predicted.
    public static func nextTokenTargets(_ batch: TokenBatch, targetMask: Tensor? = nil) -> [Int32] {
        let T = batch.length
        var targets = [Int32](repeating: -100, count: batch.tokens.count)
        batch.mask.withUnsafeBufferPointer { m in
            (targetMask ?? batch.mask).withUnsafeBufferPointer { tm in
                for b in 0..<batch.batchSize {
                    // Both tokens real and of the same sequence (packed rows), and the target kept.
                    for t in 0..<max(T - 1, 0) where m[b * T + t] != 0 && m[b * T + t + 1] == m[b * T + t] && tm[b * T + t + 1] != 0 {
                        targets[b * T + t] = batch.tokens[b * T + t + 1]
                    }
                }
            }
        }
        return targets
    }
}

/// Graph-free kernels over logits.
public enum ScoringKernels {
    /// Entropy of `softmax(ℓ/τ)` for each row of `logits` `[..., V]`: H = logsumexp(z) − Σ softmax(z)·z with
    /// z = ℓ/τ. Rows where `mask` (same leading shape) is 0 get 0.
    public static func entropies(logits: Tensor, temperature: Float = 1, mask: Tensor? = nil) -> Tensor {
        let v = logits.shape.last ?? 1
        let rows = logits.count / max(v, 1)
        var out = Tensor(zeros: Array(logits.shape.dropLast()))
        let invT = 1 / temperature
        logits.withUnsafeBufferPointer { pl in
            let maskValues = mask?.scalars
            out.withUnsafeMutableBufferPointer { po in
                let base = pl.baseAddress!, outBase = po.baseAddress!
                Compute.parallelFor(rows, costPerItem: 6 * v) { range in
                    for row in range {
                        if let maskValues, maskValues[row] == 0 { continue }
                        let l = base + row * v
                        var m = -Float.infinity
                        for j in 0..<v where l[j] > m { m = l[j] }
                        var s: Float = 0, sz: Float = 0
                        for j in 0..<v {
                            let z = (l[j] - m) * invT
                            let e = Foundation.exp(z)
                            s += e
                            sz += e * z
                        }
                        // H = log s − (Σ e·z)/s, with z shifted by the max (the shift cancels).
                        outBase[row] = Foundation.log(s) - sz / s
                    }
                }
            }
        }
        return out
    }
}
