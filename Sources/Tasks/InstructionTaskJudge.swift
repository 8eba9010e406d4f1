// The built-in instruction task's judge of a system's completions: the gold score, and the expected win-rate
// credit against the task's reference system.
import Evaluation
import Foundation

/// The built-in instruction task's judge: the gold score, and the expected win-rate credit against the
/// reference system under the task's training annotator group (noise-free: the mean preference probability).
///
/// ```swift
/// var bootstrap = SplitMix64(seed: 0)
/// let score = try scoreCompletions(prompts: prompts, completions: completions,
///                                  judge: InstructionTaskJudge(task: task), using: &bootstrap)
/// ```
public struct InstructionTaskJudge: CompletionJudge {
    /// The task whose prompts are judged.
    public let task: InstructionTask
    /// The annotator group judging win-rates; default the task's training group.
    public var judgeGroup: AnnotatorGroup?

    /// A judge of `task`'s prompts by `judgeGroup` (nil: the task's training group).
    public init(task: InstructionTask, judgeGroup: AnnotatorGroup? = nil) {
        self.task = task
        self.judgeGroup = judgeGroup
    }

    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` or ``TaskError/lengthMismatch(expected:found:)``.
    public func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double]) {
        let gold = try prompts.indices.map { try task.score(prompt: prompts[$0], completion: completions[$0]) }
        let credit = try task.expectedWinCredits(prompts: prompts, outputs: completions, judge: judgeGroup)
        return (gold, credit)
    }
}
