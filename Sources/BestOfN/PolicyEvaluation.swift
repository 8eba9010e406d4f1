// Scoring generated completions on a task: gold score and win-rate against reference outputs, each with a
// bootstrap confidence interval over prompts.
import Foundation
import Evaluation
import TensorCore
import Tasks

/// Judges completions: a gold score and a win-rate credit against a reference per prompt.
public protocol CompletionJudge {
    /// One gold score and one win-rate credit (1 win, ½ tie, 0 loss, or an expected credit) per prompt.
    func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double])
}

/// The built-in instruction task's judge: the gold score, and the expected win-rate credit against the
/// reference system under the task's training annotator group (noise-free: the mean preference probability).
public struct InstructionTaskJudge: CompletionJudge {
    public let task: InstructionTask
    /// The annotator group judging win-rates; default the task's training group.
    public var judgeGroup: AnnotatorGroup?

    public init(task: InstructionTask, judgeGroup: AnnotatorGroup? = nil) {
        self.task = task
        self.judgeGroup = judgeGroup
    }

    public func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double]) {
        let gold = try prompts.indices.map { try task.score(prompt: prompts[$0], completion: completions[$0]) }
        let credit = try task.expectedWinCredits(prompts: prompts, outputs: completions, judge: judgeGroup)
        return (gold, credit)
    }
}

/// A system's gold score and win-rate on a prompt set.
public struct PolicyScore: Equatable, Sendable {
    public var gold: ConfidenceInterval
    public var winRate: ConfidenceInterval
    /// Per-prompt values, for paired comparisons.
    public var goldScores: [Double]
    public var winCredits: [Double]
}

/// Judges completions and bootstraps intervals over prompts.
///
/// - Parameters:
///   - resamples: Bootstrap resamples. Default 1000.
///   - seed: Seed of the bootstrap.
public func scoreCompletions(prompts: [String], completions: [String], judge: any CompletionJudge,
                             resamples: Int = 1000, seed: UInt64 = 0) throws -> PolicyScore {
    let (gold, credit) = try judge.judge(prompts: prompts, completions: completions)
    var rng = SeededGenerator(seed: seed)
    return PolicyScore(gold: try bootstrapConfidenceInterval(values: gold, resamples: resamples, using: &rng),
                       winRate: try bootstrapConfidenceInterval(values: credit, resamples: resamples, using: &rng),
                       goldScores: gold, winCredits: credit)
}
