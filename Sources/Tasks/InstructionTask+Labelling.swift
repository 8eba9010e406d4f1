// Labelling a model's own outputs: InstructGPT's labellers compared samples of the models being trained, so the
// reward model learns on the distribution it will judge. The simulated annotators do the same here.
import Foundation
import TrainingData

extension InstructionTask {
    /// Labels pairs of completions by an annotator group (one Bradley–Terry draw per pair).
    ///
    /// Pairs whose two completions are identical carry no preference and are skipped.
    ///
    /// - Parameters:
    ///   - prompts: Task prompts.
    ///   - first: One completion per prompt.
    ///   - second: Another completion per prompt.
    ///   - group: The labelling group. Default: the training group (``trainingAnnotators``).
    ///   - rng: The random source of the draws.
    /// - Returns: One preference record per pair of distinct completions, in prompt order.
    /// - Throws: ``TaskError/lengthMismatch(expected:found:)`` or ``TaskError/unrecognizedPrompt(_:)``.
    public func labelPairs<G: RandomNumberGenerator>(prompts: [String], first: [String], second: [String],
                                                    group: AnnotatorGroup? = nil,
                                                    using rng: inout G) throws(TaskError) -> [PreferenceRecord] {
        guard first.count == prompts.count else { throw .lengthMismatch(expected: prompts.count, found: first.count) }
        guard second.count == prompts.count else { throw .lengthMismatch(expected: prompts.count, found: second.count) }
        let judges = group ?? trainingAnnotators
        var records: [PreferenceRecord] = []
        for (i, prompt) in prompts.enumerated() where first[i] != second[i] {
            let instruction = try Instruction(prompt: prompt)
            let firstWins = judges.prefersFirst(instruction, first[i], second[i], using: &rng)
            records.append(PreferenceRecord(prompt: prompt, chosen: firstWins ? first[i] : second[i],
                                            rejected: firstWins ? second[i] : first[i]))
        }
        return records
    }
}
