// A system's gold score and win-rate on a prompt set, each with a percentile-bootstrap interval over prompts.
import Foundation

/// A system's gold score and win-rate on a prompt set.
public struct PolicyScore: Equatable, Sendable {
    /// The mean gold score over prompts, with its bootstrap interval.
    public var gold: ConfidenceInterval
    /// The mean win-rate credit over prompts (the win-rate against the references), with its bootstrap interval.
    public var winRate: ConfidenceInterval
    /// Per-prompt gold scores, for paired comparisons.
    public var goldScores: [Double]
    /// Per-prompt win-rate credits, for paired comparisons.
    public var winCredits: [Double]

    /// A score from its parts.
    public init(gold: ConfidenceInterval, winRate: ConfidenceInterval, goldScores: [Double], winCredits: [Double]) {
        self.gold = gold
        self.winRate = winRate
        self.goldScores = goldScores
        self.winCredits = winCredits
    }
}

/// Judges completions and bootstraps intervals over prompts: first the gold interval, then the win-rate interval,
/// each with `resamples` draws from `generator`.
///
/// ```swift
/// var bootstrap = SplitMix64(seed: 0)
/// let score = try scoreCompletions(prompts: prompts, completions: completions, judge: judge, using: &bootstrap)
/// print(score.gold, score.winRate)
/// ```
///
/// - Parameters:
///   - resamples: Bootstrap resamples. Default 1000.
///   - generator: The bootstrap's randomness (seed it for reproducible intervals).
/// - Throws: what the judge throws; `EvaluationError` for an empty prompt set or a bad `resamples`.
public func scoreCompletions<G: RandomNumberGenerator>(prompts: [String], completions: [String], judge: any CompletionJudge,
                                                       resamples: Int = 1000, using generator: inout G) throws -> PolicyScore {
    let (gold, credit) = try judge.judge(prompts: prompts, completions: completions)
    return PolicyScore(gold: try bootstrapConfidenceInterval(values: gold, resamples: resamples, using: &generator),
                       winRate: try bootstrapConfidenceInterval(values: credit, resamples: resamples, using: &generator),
                       goldScores: gold, winCredits: credit)
}
