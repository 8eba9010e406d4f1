// The fixed reference system: a deterministic, decent but imperfect answerer that evaluation compares against.
import Foundation

/// A deterministic answerer that is right about `accuracy` of the time, the task's stand-in for AlpacaFarm's
/// reference model (text-davinci-003).
///
/// For each prompt it draws, from a generator seeded by `stableHash(prompt) ^ seed`, a quality class:
/// correct with probability `accuracy` (default 0.6); otherwise verbose, partial or wrong in proportions
/// 3 : 3 : 2 (0.15, 0.15, 0.10 at the default), and then a candidate of that class
/// (``Instruction/candidateCompletion(_:using:)``). The output therefore depends only on the prompt text and the
/// seed, never on call order.
public struct ReferenceSystem: Codable, Equatable, Sendable {
    /// The seed mixed into every prompt's hash. Default 0.
    public var seed: UInt64
    /// The probability of the exactly correct answer. Default 0.6.
    public var accuracy: Double

    /// Creates a reference system.
    ///
    /// - Parameters:
    ///   - seed: Mixed into each prompt's hash. Default 0.
    ///   - accuracy: The probability of a correct answer, in [0, 1]. Default 0.6.
    /// - Throws: ``TaskError/invalid(_:)`` for an accuracy outside [0, 1].
    public init(seed: UInt64 = 0, accuracy: Double = 0.6) throws(TaskError) {
        guard accuracy >= 0, accuracy <= 1 else {
            throw .invalid(.invalidValue(field: "accuracy", value: "\(accuracy)", requirement: "it must be in [0, 1], such as 0.6"))
        }
        self.seed = seed
        self.accuracy = accuracy
    }

    /// The reference completion for an instruction.
    ///
    /// - Parameter instruction: The instruction.
    /// - Returns: A completion in the task's format.
    public func completion(for instruction: Instruction) -> String {
        var rng = TaskGenerator(seed: stableHash(instruction.prompt, seed: seed))
        let rest = 1 - accuracy
        let kinds: [CandidateKind] = [.correct, .verbose, .partial, .wrong]
        let kind = kinds[rng.taskWeightedIndex([accuracy, rest * 3 / 8, rest * 3 / 8, rest * 2 / 8])]
        return instruction.candidateCompletion(kind, using: &rng)
    }

    /// The reference completion for a prompt of the task.
    ///
    /// - Parameter prompt: A task prompt, such as one read from `prompts.jsonl`.
    /// - Returns: A completion in the task's format.
    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` if the prompt is not one of the task's.
    public func completion(prompt: String) throws(TaskError) -> String {
        completion(for: try Instruction(prompt: prompt))
    }
}
