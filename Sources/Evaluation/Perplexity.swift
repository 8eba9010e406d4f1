// Perplexity and Quark's conditional perplexity, computed from per-token log-probabilities.
import Foundation

/// The perplexity of a sequence: `exp(−mean log p)` over its tokens.
///
/// `logProbabilities[t]` is the natural-log probability the evaluator model assigned to token `t` given the
/// tokens before it. The perplexity is `exp((−Σ_t logProbabilities[t]) / T)`; for example tokens with
/// probabilities ½ and ⅛ give `exp((log 2 + log 8) / 2) = exp(log 4) = 4`.
///
/// - Parameter logProbabilities: Per-token log-probabilities (natural log), shape `[time]`.
/// - Returns: The perplexity, ≥ 1 when every log-probability is ≤ 0.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` for no tokens, ``EvaluationError/nonFiniteValue(metric:index:)``
///   for a NaN or infinite entry.
public func perplexity<T: BinaryFloatingPoint>(logProbabilities: [T]) throws(EvaluationError) -> Double {
    try perplexity(sequences: [logProbabilities])
}

/// The token-weighted perplexity of several sequences: `exp` of the mean negative log-probability over all their
/// tokens pooled (the usual corpus perplexity; longer sequences weigh more).
///
/// - Parameter sequences: One array of per-token log-probabilities per sequence, shapes `[time_i]`.
/// - Returns: `exp(−Σ_i Σ_t log p_{i,t} / Σ_i T_i)`.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` when there are no tokens at all,
///   ``EvaluationError/nonFiniteValue(metric:index:)`` for a NaN or infinite entry (index counts pooled tokens).
public func perplexity<T: BinaryFloatingPoint>(sequences: [[T]]) throws(EvaluationError) -> Double {
    var total = 0.0
    var count = 0
    for sequence in sequences {
        for value in sequence {
            let x = Double(value)
            guard x.isFinite else { throw .nonFiniteValue(metric: "perplexity", index: count) }
            total -= x
            count += 1
        }
    }
    guard count > 0 else { throw .emptyInput(metric: "perplexity") }
    return exp(total / Double(count))
}

/// The conditional perplexity of a generation given its prompt, as Quark measures fluency.
///
/// Quark (`perplexity.py`) scores `prompt ‖ generation` with a larger evaluator LM and computes
/// `exp((NLL(prompt ‖ generation) − NLL(prompt)) / (#tokens(prompt ‖ generation) − #tokens(prompt)))`.
/// For a causal LM the prompt's tokens have the same log-probabilities in both passes, so this equals the
/// perplexity of the generation's tokens alone, each conditioned on the prompt and the earlier generated
/// tokens. Pass exactly those: the log-probabilities of the completion tokens from a forward pass over
/// `prompt ‖ generation`.
///
/// - Parameter completionLogProbabilities: Log-probabilities of the generated tokens only, shape `[time]`.
/// - Returns: `exp(−mean log p)` over the generated tokens.
/// - Throws: As ``perplexity(logProbabilities:)``.
public func conditionalPerplexity<T: BinaryFloatingPoint>(completionLogProbabilities: [T]) throws(EvaluationError)
    -> Double {
    do {
        return try perplexity(sequences: [completionLogProbabilities])
    } catch .emptyInput {
        throw .emptyInput(metric: "conditionalPerplexity")
    } catch .nonFiniteValue(_, let index) {
        throw .nonFiniteValue(metric: "conditionalPerplexity", index: index)
    } catch {
        throw error
    }
}

/// The conditional perplexity computed from log-probabilities of the whole `prompt ‖ generation` sequence,
/// the form Quark writes down.
///
/// - Parameters:
///   - sequenceLogProbabilities: Log-probabilities of every scored token of `prompt ‖ generation`, shape `[time]`.
///   - promptTokenCount: How many leading entries belong to the prompt.
/// - Returns: `exp((NLL(all) − NLL(prompt)) / (T − promptTokenCount))`.
/// - Throws: ``EvaluationError/invalid(_:)`` when `promptTokenCount` is negative or leaves
///   no generated token; otherwise as ``perplexity(logProbabilities:)``.
public func conditionalPerplexity<T: BinaryFloatingPoint>(sequenceLogProbabilities: [T], promptTokenCount: Int)
    throws(EvaluationError) -> Double {
    guard promptTokenCount >= 0, promptTokenCount < sequenceLogProbabilities.count else {
        throw .invalid(.invalidValue(field: "promptTokenCount", value: "\(promptTokenCount)",
                                                     requirement: "must be in 0..<\(sequenceLogProbabilities.count) so that at "
                                                         + "least one generated token remains"))
    }
    return try conditionalPerplexity(completionLogProbabilities: Array(sequenceLogProbabilities[promptTokenCount...]))
}

/// The mean conditional perplexity over many generations, with Quark's outlier filter.
///
/// Quark averages the per-generation conditional perplexities and discards generations whose perplexity is
/// `≥ 1e4` (degenerate samples) before averaging.
///
/// - Parameters:
///   - generations: Per generation, the log-probabilities of its completion tokens.
///   - discardThreshold: Generations with perplexity ≥ this are left out. Default `1e4` (Quark).
/// - Returns: The mean over kept generations, and how many were discarded.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` if no generation is kept (or a generation has no tokens).
public func meanConditionalPerplexity<T: BinaryFloatingPoint>(generations: [[T]], discardThreshold: Double = 1e4)
    throws(EvaluationError) -> (mean: Double, discarded: Int) {
    var kept: [Double] = []
    for generation in generations {
        let value = try conditionalPerplexity(completionLogProbabilities: generation)
        if value < discardThreshold { kept.append(value) }
    }
    guard !kept.isEmpty else { throw .emptyInput(metric: "meanConditionalPerplexity") }
    return (kept.reduce(0, +) / Double(kept.count), generations.count - kept.count)
}
