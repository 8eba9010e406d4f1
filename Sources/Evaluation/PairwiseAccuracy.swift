// Pairwise accuracy and mean margin of a reward model on held-out comparisons.
import Foundation

/// A reward model's agreement with held-out comparisons.
public struct PairwiseAccuracy: Equatable, Codable, Sendable {
    /// The fraction of comparisons with `r(chosen) > r(rejected)`; ties count as wrong.
    public var accuracy: Double
    /// The mean of `r(chosen) − r(rejected)`.
    public var meanMargin: Double
    /// The number of comparisons.
    public var count: Int
}

/// The pairwise accuracy `mean 1[r_w > r_l]` and mean margin `mean (r_w − r_l)` of reward scores on
/// comparisons (TRL's reward trainer logs the same `accuracy`).
///
/// Equal scores count as wrong, since the model failed to prefer the chosen output. For chosen `[2, 1, 0]` and
/// rejected `[1, 1, 1]`: accuracy ⅓, mean margin (1 + 0 − 1) / 3 = 0.
///
/// - Parameters:
///   - chosenScores: The reward of each preferred completion.
///   - rejectedScores: The reward of each dispreferred completion, in the same order.
/// - Returns: Accuracy, mean margin and count.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` or ``EvaluationError/lengthMismatch(metric:expected:found:)``.
public func pairwiseAccuracy<T: BinaryFloatingPoint>(chosenScores: [T], rejectedScores: [T]) throws(EvaluationError)
    -> PairwiseAccuracy {
    guard chosenScores.count == rejectedScores.count else {
        throw .lengthMismatch(metric: "pairwiseAccuracy", expected: chosenScores.count, found: rejectedScores.count)
    }
    guard !chosenScores.isEmpty else { throw .emptyInput(metric: "pairwiseAccuracy") }
    var correct = 0
    var margin = 0.0
    for (w, l) in zip(chosenScores, rejectedScores) {
        if w > l { correct += 1 }
        margin += Double(w) - Double(l)
    }
    let n = Double(chosenScores.count)
    return PairwiseAccuracy(accuracy: Double(correct) / n, meanMargin: margin / n, count: chosenScores.count)
}
