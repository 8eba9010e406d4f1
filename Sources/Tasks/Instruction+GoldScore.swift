// The gold quality score of a completion: correctness with partial credit, times a format factor for stopping.
import Foundation

extension Instruction {
    /// The gold quality score of a completion, in [0, 1].
    ///
    /// The score is `correctness × format`, computed from the *answer line*: the completion up to its first
    /// stop marker `"\n"`, with surrounding spaces trimmed.
    ///
    /// **Format.** 1 if the completion contains the stop marker, 0.8 if it never stops.
    ///
    /// **Correctness**, the first rule that applies:
    /// 1. empty answer line → 0;
    /// 2. the line is an accepted answer → 1.0 (`" pmal\n"` scores 1.0);
    /// 3. the line is an accepted answer plus final punctuation (`.`, `!`) → 0.9;
    /// 4. the line contains an accepted answer as whole words among others (punctuation at word edges ignored) →
    ///    `max(0.5, 0.9 − 0.1 × extra words)` (`" The answer is pmal.\n"`: 3 extra words → 0.6);
    /// 5. the line equals an accepted answer up to letter case → 0.5, except for ``InstructionFamily/capitalizeWord``
    ///    (rule 6);
    /// 6. family-specific partial credit, at most 0.5:
    ///    - reverse: `0.5 × (positions with the right letter) / max(length, answer length)` (`pmla` for `pmal`: 0.25);
    ///    - capitalise: same letters, wrong case → `0.1 + 0.4 × (fraction of letters in the right case)`
    ///      (`lamp` → 0.1, `LAMp` → 0.4);
    ///    - count, add: a number off by 1 → 0.3, off by 2 → 0.15;
    ///    - sort: the same numbers in another order → `0.5 × (positions right) / count`;
    ///    - repeat: the phrase m times instead of k → `0.5 × min(m, k) / max(m, k)`;
    ///    - category: a member of the category not starting with the asked letter → 0.3; a member of another
    ///      category → 0.1;
    ///    - other families, or anything else → 0.
    ///
    /// The score is deterministic and depends only on the instruction's instance and the completion.
    ///
    /// - Parameter completion: The generated text that followed the prompt.
    /// - Returns: The score in [0, 1].
    public func goldScore(completion: String) -> Double {
        let (line, stopped) = Instruction.answerLine(of: completion)
        return correctness(line: line) * (stopped ? 1 : 0.8)
    }

    /// The answer line of a completion (text before the first stop marker, trimmed) and whether it stopped.
    static func answerLine(of completion: String) -> (line: String, stopped: Bool) {
        let stopped = completion.contains(InstructionFormat.stopMarker)
        let raw = completion.components(separatedBy: InstructionFormat.stopMarker).first ?? ""
        return (raw.trimmingCharacters(in: .whitespaces), stopped)
    }

    static let edgePunctuation = CharacterSet(charactersIn: ".,!?:;'\"()")

    /// The words of a line with punctuation stripped from their edges (empty results dropped).
    static func plainWords(_ line: String) -> [String] {
        line.split(separator: " ").map { $0.trimmingCharacters(in: edgePunctuation) }.filter { !$0.isEmpty }
    }

    func correctness(line: String) -> Double {
        guard !line.isEmpty else { return 0 }
        if acceptedAnswers.contains(line) { return 1 }
        var stripped = line
        while let last = stripped.last, last == "." || last == "!" { stripped.removeLast() }
        if acceptedAnswers.contains(stripped) { return 0.9 }
        let words = Instruction.plainWords(line)
        for answer in acceptedAnswers {
            let answerWords = Instruction.plainWords(answer)
            guard !answerWords.isEmpty, words.count > answerWords.count else { continue }
            for start in 0...(words.count - answerWords.count)
            where Array(words[start..<(start + answerWords.count)]) == answerWords {
                return max(0.5, 0.9 - 0.1 * Double(words.count - answerWords.count))
            }
        }
        if family != .capitalizeWord, acceptedAnswers.contains(where: { $0.lowercased() == stripped.lowercased() }) {
            return 0.5
        }
        return partialCredit(stripped)
    }

    private func partialCredit(_ line: String) -> Double {
        let answer = self.answer
        switch family {
        case .reverseWord:
            let a = Array(answer), l = Array(line)
            let matches = zip(a, l).filter { $0 == $1 }.count
            return 0.5 * Double(matches) / Double(max(a.count, l.count))
        case .capitalizeWord:
            guard line.count == answer.count, line.uppercased() == answer else { return 0 }
            let right = zip(line, answer).filter { $0 == $1 }.count
            return 0.1 + 0.4 * Double(right) / Double(answer.count)
        case .countLetters, .addNumbers:
            guard let n = Int(line), let target = Int(answer) else { return 0 }
            switch abs(n - target) {
            case 1: return 0.3
            case 2: return 0.15
            default: return 0
            }
        case .sortNumbers:
            let given = line.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let target = answer.components(separatedBy: ", ")
            guard given.sorted() == target.sorted() else { return 0 }
            let right = zip(given, target).filter { $0 == $1 }.count
            return 0.5 * Double(right) / Double(target.count)
        case .repeatPhrase:
            let phrase = arguments[0]
            let k = Vocabulary.repeatCounts.first { $0.word == arguments[1] }?.count ?? 1
            let phraseWords = phrase.split(separator: " ").count
            let words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty, words.count % phraseWords == 0 else { return 0 }
            let m = words.count / phraseWords
            guard Array(repeating: phrase, count: m).joined(separator: " ") == words.joined(separator: " ") else {
                return 0
            }
            return 0.5 * Double(min(m, k)) / Double(max(m, k))
        case .categoryMember:
            if let members = Vocabulary.members(of: arguments[0]), members.contains(line) { return 0.3 }
            if Vocabulary.category(of: line) != nil { return 0.1 }
            return 0
        case .firstLetter, .largerNumber, .antonym:
            return 0
        }
    }
}
