// Multiple-choice accuracy, from predicted indices or from per-choice scores.
import Foundation

/// The fraction of questions whose predicted choice equals the answer.
///
/// - Parameters:
///   - predictions: The predicted choice index per question.
///   - answers: The correct choice index per question.
/// - Returns: A value in [0, 1]; for predictions `[0, 2, 1]` and answers `[0, 1, 1]` it is ⅔.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` or ``EvaluationError/lengthMismatch(metric:expected:found:)``.
public func multipleChoiceAccuracy(predictions: [Int], answers: [Int]) throws(EvaluationError) -> Double {
    guard predictions.count == answers.count else {
        throw .lengthMismatch(metric: "multipleChoiceAccuracy", expected: predictions.count, found: answers.count)
    }
    guard !answers.isEmpty else { throw .emptyInput(metric: "multipleChoiceAccuracy") }
    return Double(zip(predictions, answers).filter { $0 == $1 }.count) / Double(answers.count)
}

/// The multiple-choice accuracy of a scorer that picks the highest-scoring choice (as Rainier's QA model picks
/// the choice with the highest score).
///
/// When k choices tie for the maximum and the answer is among them, the question earns 1/k — the expected
/// accuracy of breaking the tie at random — so the metric is deterministic and unbiased. For scores
/// `[[0.1, 0.9], [0.5, 0.5], [0.7, 0.2]]` and answers `[1, 0, 1]` the credits are 1, ½, 0: accuracy 0.5.
///
/// - Parameters:
///   - choiceScores: Per question, one score per choice.
///   - answers: The correct choice index per question.
/// - Returns: A value in [0, 1].
/// - Throws: ``EvaluationError/emptyInput(metric:)``, ``EvaluationError/lengthMismatch(metric:expected:found:)``,
///   or ``EvaluationError/invalid(_:)`` for an answer index out of range.
public func multipleChoiceAccuracy<T: BinaryFloatingPoint>(choiceScores: [[T]], answers: [Int]) throws(EvaluationError)
    -> Double {
    guard choiceScores.count == answers.count else {
        throw .lengthMismatch(metric: "multipleChoiceAccuracy", expected: choiceScores.count, found: answers.count)
    }
    guard !answers.isEmpty else { throw .emptyInput(metric: "multipleChoiceAccuracy") }
    var total = 0.0
    for (i, (scores, answer)) in zip(choiceScores, answers).enumerated() {
        guard scores.indices.contains(answer) else {
            throw .invalid(.invalidValue(field: "answers[\(i)]", value: "\(answer)",
                                                 requirement: "must index one of the question's \(scores.count) choices"))
        }
        let best = scores.max()!
        let tied = scores.filter { $0 == best }.count
        if scores[answer] == best { total += 1 / Double(tied) }
    }
    return total / Double(answers.count)
}
