// Semantic equivalence of two completions: do they state the same answer? The built-in task's stand-in for the
// bidirectional-entailment clustering of RLP-SPG (arXiv 2403.19279, §4.2).
import Foundation

extension Instruction {
    /// The answer a completion states, in a form where two completions that say the same thing compare equal.
    ///
    /// From the answer line (the text before the first stop marker, trimmed): if it contains an accepted answer as
    /// whole words among other words (`"The answer is pmal."`, `"Sure! pmal"`), that accepted answer (canonical
    /// spelling); otherwise the line with final `.`/`!` removed. Letter case is kept (it matters for
    /// ``InstructionFamily/capitalizeWord``), so `"pmal"` and `"Pmal"` state different answers.
    ///
    /// - Parameter completion: The generated text after the prompt.
    /// - Returns: The stated answer; empty for an empty answer line.
    public func statedAnswer(of completion: String) -> String {
        let line = Instruction.answerLine(of: completion).line
        var stripped = line
        while let last = stripped.last, last == "." || last == "!" { stripped.removeLast() }
        if acceptedAnswers.contains(stripped) { return acceptedAnswers[0] }
        let words = Instruction.plainWords(line)
        for answer in acceptedAnswers {
            let answerWords = Instruction.plainWords(answer)
            guard !answerWords.isEmpty, words.count > answerWords.count else { continue }
            for start in 0...(words.count - answerWords.count)
            where Array(words[start..<(start + answerWords.count)]) == answerWords {
                return acceptedAnswers[0]
            }
        }
        return stripped
    }

    /// Whether two completions state the same answer (``statedAnswer(of:)`` equal): an exact semantic check, so
    /// `" pmal\n"`, `" The answer is pmal.\n"` and `" Sure! pmal\n"` are equivalent and `" pmla\n"` is not.
    /// Symmetric and transitive, so greedy clustering by it is well defined.
    public func statesSameAnswer(_ a: String, _ b: String) -> Bool {
        statedAnswer(of: a) == statedAnswer(of: b)
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
