// The perplexity of a model on a text: every token predicted from the tokens before it, with a sliding window
// for texts longer than the context (Hugging Face's "perplexity of fixed-length models" strided evaluation).
import Foundation
import LanguageModels
import TensorCore

/// The mean next-token negative log-likelihood of a text and its exponential.
public struct PerplexityResult: Codable, Equatable, Sendable {
    /// Mean over `tokenCount` predictions of `−log p(xₜ | x₍ₜ₋ₖ₎ … xₜ₋₁)`, in nats.
    public var meanNegativeLogLikelihood: Double
    /// `exp(meanNegativeLogLikelihood)`.
    public var perplexity: Double
    /// Tokens predicted: every token of the text but the first, which has nothing before it.
    public var tokenCount: Int
    /// Forward passes used (1 when the text fits in the context).
    public var windowCount: Int
    /// New tokens scored per window after the first, or the token count when one window covers the text.
    public var stride: Int

    enum CodingKeys: String, CodingKey {
        case meanNegativeLogLikelihood = "mean_nll", perplexity, tokenCount = "tokens", windowCount = "windows", stride
    }
}

extension GPT {
    /// The perplexity of `tokens` under this model.
    ///
    /// Token t (t ≥ 1) is predicted from the tokens before it. When the text is longer than the context
    /// window W = `contextLength`, it is scored with a sliding window: the first window is tokens `0..<W` and
    /// scores all its W − 1 predictions; each later window scores the next `stride` tokens and ends at the last
    /// of them, so every token is scored exactly once and, after the first window, with at least W − `stride`
    /// tokens of context. `stride` = W − 1 is the fastest (almost disjoint chunks, the least context); the
    /// default W / 2 is the usual compromise (Hugging Face's "perplexity of fixed-length models"); 1 gives
    /// every token the full window. Scores are accumulated in Double.
    ///
    /// - Parameters:
    ///   - tokens: the text's ids, `[n]`, n ≥ 2.
    ///   - stride: new tokens scored per window after the first, in 1...W − 1; nil means W / 2 (at least 1).
    /// - Returns: the mean negative log-likelihood, the perplexity and the counts.
    /// - Throws: `LanguageModelError.invalid` for fewer than 2 tokens or a bad stride;
    ///   `.tokenOutOfRange` for ids the model does not know.
    public func perplexity(of tokens: [Int32], stride: Int? = nil) throws -> PerplexityResult {
        let W = config.contextLength, V = config.vocabularySize
        let step = stride ?? max(W / 2, 1)
        guard tokens.count >= 2 else {
            throw LanguageModelError.invalid(.invalidValue(field: "text", value: "\(tokens.count) token(s)",
                                                           requirement: "perplexity needs at least 2 tokens (the first is only context)"))
        }
        guard step >= 1 && step < max(W, 2) else {
            throw LanguageModelError.invalid(.invalidValue(field: "stride", value: "\(step)",
                                                           requirement: "it must be in 1...\(max(W - 1, 1)) (below the context length \(W))"))
        }
        var total = 0.0
        var windows = 0
        var reached = 1  // the first token that still needs a score
        while reached < tokens.count {
            let end = windows == 0 ? min(W, tokens.count) : min(reached + step, tokens.count)
            let begin = max(0, end - W)
            let window = Array(tokens[begin..<end])
            let logits = try withoutGradients {
                try forward(TokenBatch(tokens: window, batchSize: 1, length: window.count)).logits.value  // [1, end − begin, V]
            }
            logits.withUnsafeBufferPointer { l in
                // Row p − begin − 1 of the window predicts token p.
                for p in reached..<end {
                    let row = l.baseAddress! + (p - begin - 1) * V
                    var maximum = -Float.infinity
                    for v in 0..<V { maximum = max(maximum, row[v]) }
                    var sum = 0.0
                    for v in 0..<V { sum += Foundation.exp(Double(row[v] - maximum)) }
                    total += Foundation.log(sum) + Double(maximum) - Double(row[Int(tokens[p])])
                }
            }
            reached = end
            windows += 1
        }
        let scored = tokens.count - 1
        let mean = total / Double(scored)
        return PerplexityResult(meanNegativeLogLikelihood: mean, perplexity: Foundation.exp(mean), tokenCount: scored,
                                windowCount: windows, stride: windows == 1 ? scored : step)
    }
}
