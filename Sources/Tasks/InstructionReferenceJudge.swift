// A judge for instruction-task prompts read from files, whose references are given with the prompts rather than
// produced by the task's reference system.
import Evaluation
import Foundation

/// A judge for instruction-task prompts read from files: the gold score, and the expected win-rate credit against
/// each prompt's given reference completion (for example the `completion` of `eval.jsonl`) under an annotator group.
public struct InstructionReferenceJudge: CompletionJudge {
    /// Reference completion of each prompt, by prompt text.
    public let references: [String: String]
    /// The annotator group whose expected preference gives the win-rate credit.
    public let group: AnnotatorGroup

    /// - Parameters:
    ///   - references: Prompt → reference completion.
    ///   - group: The judging annotator group. Default ``AnnotatorGroup/training``.
    public init(references: [String: String], group: AnnotatorGroup = .training) {
        self.references = references
        self.group = group
    }

    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` for a prompt that is not an instruction-task prompt, or
    ///   ``TaskError/missingReference(prompt:)`` for a prompt without a reference.
    public func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double]) {
        var gold: [Double] = [], credit: [Double] = []
        for (prompt, completion) in zip(prompts, completions) {
            let instruction = try Instruction(prompt: prompt)
            guard let reference = references[prompt] else { throw TaskError.missingReference(prompt: prompt) }
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
