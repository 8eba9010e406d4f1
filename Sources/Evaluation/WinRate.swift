// Win-rate against reference outputs, with ties counted as half a win.
import Foundation

/// The result of judging one output against its reference output.
public enum PairwiseOutcome: String, Codable, Sendable, CaseIterable {
    /// The output was preferred.
    case win
    /// Neither was preferred (for example identical outputs).
    case tie
    /// The reference was preferred.
    case loss

    /// The win-rate credit: 1 for a win, ½ for a tie, 0 for a loss.
    public var credit: Double {
        switch self {
        case .win: return 1
        case .tie: return 0.5
        case .loss: return 0
        }
    }
}

/// The win-rate of a list of judgements: `(#wins + ½ #ties) / #judgements`.
///
/// This is AlpacaFarm's win-rate against reference outputs (RLP, arXiv 2403.19279, §5.2 reports it in percent). For
/// `[win, tie, loss, win]` it is (2 + ½) / 4 = 0.625. Use the items' ``PairwiseOutcome/credit`` values with
/// ``bootstrapConfidenceInterval(values:confidence:resamples:using:)`` for an interval.
///
/// - Parameter outcomes: One judgement per evaluation prompt.
/// - Returns: A value in [0, 1].
/// - Throws: ``EvaluationError/emptyInput(metric:)`` for no judgements.
public func winRate(_ outcomes: [PairwiseOutcome]) throws(EvaluationError) -> Double {
    guard !outcomes.isEmpty else { throw .emptyInput(metric: "winRate") }
    return outcomes.reduce(0) { $0 + $1.credit } / Double(outcomes.count)
}

/// Judges outputs against references by comparing numeric scores (for example a gold reward): higher wins,
/// and scores within `tolerance` of each other tie.
///
/// - Parameters:
///   - scores: The evaluated system's score per prompt.
///   - referenceScores: The reference system's score per prompt.
///   - tolerance: Differences with `|s − r| ≤ tolerance` are ties. Default 0 (only equal scores tie).
/// - Returns: One outcome per prompt.
/// - Throws: ``EvaluationError/lengthMismatch(metric:expected:found:)`` if the lists differ in length,
///   ``EvaluationError/invalid(_:)`` for a negative tolerance.
public func pairwiseOutcomes<T: BinaryFloatingPoint>(scores: [T], referenceScores: [T], tolerance: T = 0)
    throws(EvaluationError) -> [PairwiseOutcome] {
    guard scores.count == referenceScores.count else {
        throw .lengthMismatch(metric: "winRate", expected: scores.count, found: referenceScores.count)
    }
    guard tolerance >= 0 else {
        throw .invalid(.invalidValue(field: "tolerance", value: "\(tolerance)", requirement: "must be non-negative"))
    }
    return zip(scores, referenceScores).map { s, r in
        abs(s - r) <= tolerance ? .tie : (s > r ? .win : .loss)
    }
}

/// The win-rate of a system over a reference judged by numeric scores, ties counting ½: the judge of
/// the toy experiments, where a gold reward decides.
///
/// For scores `[1, 0.5, 0.2]` against `[0.5, 0.5, 0.9]`: win, tie, loss → 0.5.
///
/// - Parameters:
///   - scores: The evaluated system's score per prompt.
///   - referenceScores: The reference system's score per prompt.
///   - tolerance: Differences within it are ties. Default 0.
/// - Returns: A value in [0, 1].
/// - Throws: As ``pairwiseOutcomes(scores:referenceScores:tolerance:)``, or ``EvaluationError/emptyInput(metric:)``.
public func winRate<T: BinaryFloatingPoint>(scores: [T], referenceScores: [T], tolerance: T = 0)
    throws(EvaluationError) -> Double {
    try winRate(pairwiseOutcomes(scores: scores, referenceScores: referenceScores, tolerance: tolerance))
}
