// Sequence log-likelihoods of completions given prompts: the scores of DPO-style losses and of zero-shot
// multiple-choice evaluation, in one teacher-forced pass per batch.
import Foundation
import TensorCore

/// `Σ_t log π(y_t | x)` over the completion tokens of each (prompt, completion) row, in one teacher-forced forward
/// pass (prompts left-padded, completions right-padded), at temperature 1.
///
/// - Returns: the sums `[N]` (differentiable when gradients are recorded) and the completion lengths.
/// - Throws: `LanguageModelError` for bad ids or rows longer than the context.
public func sequenceLogProbabilities(_ model: GPT, prompts: [[Int32]], completions: [[Int32]],
                                     padToken: Int32) throws -> (sums: Variable, lengths: [Int]) {
    precondition(prompts.count == completions.count && !prompts.isEmpty, "sequenceLogProbabilities: need as many prompts as completions")
    let promptBatch = TokenBatch(leftPadding: prompts, padToken: padToken)
    let completionBatch = TokenBatch(rightPadding: completions, padToken: padToken)
    let scores = try model.scoreResponses(prompts: promptBatch, responses: completionBatch, temperature: 1,
                                          computeEntropies: false)
    return (scores.logProbabilities.sum(axis: 1), completions.map(\.count))
}

/// `sequenceLogProbabilities` without gradients, in chunks of `chunkSize` rows (for reference log-probabilities
/// precomputed once, and for evaluation).
public func sequenceLogProbabilityValues(_ model: GPT, prompts: [[Int32]], completions: [[Int32]], padToken: Int32,
                                         chunkSize: Int = 64) throws -> [Float] {
    try withoutGradients {
        var out: [Float] = []
        out.reserveCapacity(prompts.count)
        for start in stride(from: 0, to: prompts.count, by: max(chunkSize, 1)) {
            let end = min(start + chunkSize, prompts.count)
            out += try sequenceLogProbabilities(model, prompts: Array(prompts[start..<end]),
                                                completions: Array(completions[start..<end]), padToken: padToken).sums.value.scalars
        }
        return out
    }
}
