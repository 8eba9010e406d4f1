// Scoring generated completions on a task: gold score and win-rate against reference outputs, each with a
// bootstrap confidence interval over prompts.
import Foundation
import Evaluation
import TensorCore
import Tasks
import TrainingCore

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

/// A judge for instruction-task prompts read from files: the gold score, and the expected win-rate credit against
/// each prompt's given reference completion (for example the `completion` of `eval.jsonl`) under an annotator group.
public struct InstructionReferenceJudge: CompletionJudge {
    /// Reference completion of each prompt, by prompt text.
    public let references: [String: String]
    public let group: AnnotatorGroup

    /// - Parameters:
    ///   - references: Prompt → reference completion.
    ///   - group: The judging annotator group. Default ``Tasks/AnnotatorGroup/training``.
    public init(references: [String: String], group: AnnotatorGroup = .training) {
        self.references = references
        self.group = group
    }

    /// - Throws: `TaskError.unrecognizedPrompt` for a prompt that is not an instruction-task prompt, or
    ///   `TrainingError.invalidInput` for a prompt without a reference.
    public func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double]) {
        var gold: [Double] = [], credit: [Double] = []
        for (prompt, completion) in zip(prompts, completions) {
            let instruction = try Instruction(prompt: prompt)
            guard let reference = references[prompt] else {
                throw TrainingError.invalidInput("no reference completion for prompt \(String(reflecting: prompt))")
            }
            gold.append(instruction.goldScore(completion: completion))
            credit.append(group.expectedCredit(instruction, output: completion, reference: reference))
        }
        return (gold, credit)
    }

    /// Whether every prompt is an instruction-task prompt (so this judge applies).
    public static func recognizes(_ prompts: [String]) -> Bool {
        prompts.allSatisfy { (try? Instruction(prompt: $0)) != nil }
    }
}
