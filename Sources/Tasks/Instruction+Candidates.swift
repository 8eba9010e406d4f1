// Synthetic candidate answers of controlled quality (correct, verbose, polite, partial, wrong, garbage, unstopped).
import Foundation

/// The quality class of a synthetic candidate answer.
public enum CandidateKind: String, Codable, CaseIterable, Sendable {
    /// The canonical answer, well formed: `" pmal\n"` (gold 1.0).
    case correct
    /// The answer wrapped in plain extra words: `" The answer is pmal.\n"` (gold 0.5–0.9).
    case verbose
    /// The answer wrapped in polite words: `" Sure! pmal\n"` (gold 0.5–0.9).
    case polite
    /// A partly right answer: `" pmla\n"` (gold 0–0.5).
    case partial
    /// A wrong answer: `" lamp\n"` (gold 0, occasionally a little partial credit).
    case wrong
    /// Empty or random letters: `"\n"`, `" xqzt\n"` (gold ≈ 0).
    case garbage
    /// The right answer without the stop marker, sometimes rambling on: `" pmal"`, `" pmal pmal"` (gold 0.48–0.8).
    case unstopped
}

extension Instruction {
    /// Generates a candidate completion of the given quality class.
    ///
    /// - Parameters:
    ///   - kind: The quality class.
    ///   - rng: The random source.
    /// - Returns: A completion in the task's format (`" " + line + "\n"`, without `"\n"` for ``CandidateKind/unstopped``).
    public func candidateCompletion<G: RandomNumberGenerator>(_ kind: CandidateKind, using rng: inout G) -> String {
        let answer = rng.taskPick(acceptedAnswers)
        switch kind {
        case .correct:
            return InstructionFormat.completion(for: answer)
        case .verbose:
            let wrappers = Array(Instruction.answerWrappers[0..<5])
            return InstructionFormat.completion(for: rng.taskPick(wrappers).replacingOccurrences(of: "{}", with: answer))
        case .polite:
            let wrappers = Array(Instruction.answerWrappers[5..<10])
            return InstructionFormat.completion(for: rng.taskPick(wrappers).replacingOccurrences(of: "{}", with: answer))
        case .partial:
            return InstructionFormat.completion(for: partialAnswer(using: &rng) ?? wrongAnswer(using: &rng))
        case .wrong:
            return InstructionFormat.completion(for: wrongAnswer(using: &rng))
        case .garbage:
            if rng.taskBelow(3) == 0 { return InstructionFormat.stopMarker }
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            let word = String((0..<(2 + rng.taskBelow(5))).map { _ in rng.taskPick(letters) })
            return InstructionFormat.completion(for: word)
        case .unstopped:
            let tails = ["", " " + answer, " and so on", " " + answer + " " + answer]
            return InstructionFormat.answerPrefix + answer + rng.taskPick(tails)
        }
    }

    /// A partly right answer for families that admit one, else `nil`.
    func partialAnswer<G: RandomNumberGenerator>(using rng: inout G) -> String? {
        let answer = self.answer
        switch family {
        case .reverseWord:
            var letters = Array(answer)
            guard letters.count >= 2 else { return nil }
            for _ in 0..<8 {
                let i = rng.taskBelow(letters.count - 1)
                if letters[i] != letters[i + 1] {
                    letters.swapAt(i, i + 1)
                    return String(letters)
                }
            }
            return nil
        case .capitalizeWord:
            let word = arguments[0]
            let cut = 1 + rng.taskBelow(max(1, word.count - 1))
            return word.prefix(cut).uppercased() + word.dropFirst(cut)
        case .countLetters, .addNumbers:
            let n = Int(answer)!
            let delta = rng.taskPick([-2, -1, 1, 2])
            return "\(max(0, n + delta) == n ? n + 1 : max(0, n + delta))"
        case .firstLetter, .antonym:
            return answer.capitalized
        case .sortNumbers:
            var numbers = answer.components(separatedBy: ", ")
            let i = rng.taskBelow(numbers.count - 1)
            numbers.swapAt(i, i + 1)
            return numbers.joined(separator: ", ")
        case .repeatPhrase:
            let k = Vocabulary.repeatCounts.first { $0.word == arguments[1] }?.count ?? 2
            let m = k == 2 ? rng.taskPick([1, 3]) : rng.taskPick([1, 2, 4])
            let text = Array(repeating: arguments[0], count: m).joined(separator: " ")
            return text.count <= 30 ? text : arguments[0]
        case .categoryMember:
            guard let members = Vocabulary.members(of: arguments[0]) else { return nil }
            if arguments.count == 2 {
                let others = members.filter { !$0.hasPrefix(arguments[1]) }
                return others.isEmpty ? nil : rng.taskPick(others)
            }
            return nil
        case .largerNumber:
            return nil
        }
    }

    /// A wrong answer in the answer's own style (a word for word answers, a number for numeric ones).
    func wrongAnswer<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let answer = self.answer
        switch family {
        case .reverseWord, .capitalizeWord:
            return rng.taskBelow(2) == 0 ? arguments[0] : rng.taskPick(Vocabulary.spellingWords)
        case .countLetters, .addNumbers:
            let n = Int(answer)!
            var x = n
            while abs(x - n) <= 2 { x = rng.taskBelow(family == .addNumbers ? 100 : 12) }
            return "\(x)"
        case .firstLetter:
            let last = String(arguments[0].last!)
            if rng.taskBelow(2) == 0, last != answer { return last }
            return String(rng.taskPick(Array("abcdefghijklmnopqrstuvwxyz").filter { String($0) != answer }))
        case .sortNumbers:
            return rng.taskBelow(2) == 0 ? arguments[0] : answer.components(separatedBy: ", ").reversed()
                .joined(separator: ", ")
        case .largerNumber:
            return arguments[0] == answer ? arguments[1] : arguments[0]
        case .repeatPhrase:
            let others = Vocabulary.phrases.filter { $0 != arguments[0] }
            return rng.taskPick(others)
        case .antonym:
            return rng.taskBelow(2) == 0 ? arguments[0]
                : rng.taskPick(Vocabulary.antonymWords.filter { !acceptedAnswers.contains($0) })
        case .categoryMember:
            let others = Vocabulary.categories.filter { $0.name != arguments[0] }.flatMap(\.members)
            return rng.taskPick(others)
        }
    }
}
