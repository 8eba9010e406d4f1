// Semantic equivalence of two completions: do they state the same answer? The built-in task's stand-in for the
// bidirectional-entailment clustering of RLP-SPG (arXiv 2403.19279, §4.2): answer extraction applied alike to every
// completion, without the answer key.
import Foundation

extension Instruction {
    /// The wrappers the task's verbose and polite completions put around an answer (`{}` marks the answer).
    public static let answerWrappers = ["The answer is {}.", "It is {}.", "{}, I think.", "My answer: {}", "That would be {}.",
                                        "Sure! {}", "Of course: {}", "Happy to help: {}", "Certainly, {}.", "Sure, it is {}."]

    /// The answer a completion states, extracted the same way from every completion, without the answer key.
    ///
    /// From the answer line (the text before the first stop marker, trimmed): the text inside the first of
    /// ``answerWrappers`` that encloses the whole line (longest opening first), else the whole line; then final
    /// `.`/`!` removed. Letter case is kept (it matters for ``InstructionFamily/capitalizeWord``), so `"pmal"` and
    /// `"Pmal"` state different answers. The accepted answers play no part: a wrong answer and a right one are
    /// extracted alike, as a regular-expression answer extractor (GSM8K's "The answer is") would.
    ///
    /// - Parameter completion: The generated text after the prompt.
    /// - Returns: The stated answer; empty for an empty answer line.
    public static func extractedAnswer(of completion: String) -> String {
        var answer = answerLine(of: completion).line
        for wrapper in wrappersByOpening {
            let parts = wrapper.components(separatedBy: "{}")
            let (opening, closing) = (parts[0], parts[1])
            guard answer.count > opening.count + closing.count, answer.hasPrefix(opening), answer.hasSuffix(closing) else { continue }
            answer = String(answer.dropFirst(opening.count).dropLast(closing.count)).trimmingCharacters(in: .whitespaces)
            break
        }
        while let last = answer.last, last == "." || last == "!" { answer.removeLast() }
        return answer
    }

    static let wrappersByOpening = answerWrappers.sorted {
        ($0.components(separatedBy: "{}")[0].count, $0) > ($1.components(separatedBy: "{}")[0].count, $1)
    }

    /// Whether two completions state the same answer (``extractedAnswer(of:)`` equal): `" pmal\n"`,
    /// `" The answer is pmal.\n"` and `" Sure! pmal\n"` are equivalent and `" pmla\n"` is not, whatever the
    /// instruction's answer is. The built-in task's stand-in for the bidirectional-entailment clustering of
    /// RLP-SPG (arXiv 2403.19279, §4.2), which, like it, knows nothing of the gold answer. Symmetric and
    /// transitive, so greedy clustering by it is well defined.
    public func statesSameAnswer(_ a: String, _ b: String) -> Bool {
        Instruction.extractedAnswer(of: a) == Instruction.extractedAnswer(of: b)
    }
}

extension InstructionTask {
    /// ``Instruction/statesSameAnswer(_:_:)`` for a task prompt (parsed back into its instruction).
    ///
    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` for a prompt that is not the task's.
    public func statesSameAnswer(prompt: String, _ a: String, _ b: String) throws(TaskError) -> Bool {
        try Instruction(prompt: prompt).statesSameAnswer(a, b)
    }
}
