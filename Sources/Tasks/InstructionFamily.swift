// The ten instruction families of the built-in task: their phrasings, argument spaces and canonical answers.
import Foundation

/// A kind of instruction with a checkable answer. Each family has several phrasings (templates with `{0}`,
/// `{1}` slots for the arguments).
public enum InstructionFamily: String, Codable, CaseIterable, Sendable {
    /// "Reverse the word lamp." → `pmal`.
    case reverseWord
    /// "Write lamp in capital letters." → `LAMP`.
    case capitalizeWord
    /// "How many letters are in lamp?" → `4`.
    case countLetters
    /// "What is the first letter of lamp?" → `l`.
    case firstLetter
    /// "What is 12 plus 7?" → `19`.
    case addNumbers
    /// "Sort these numbers: 7, 2, 5" → `2, 5, 7`.
    case sortNumbers
    /// "Which is larger, 12 or 31?" → `31`.
    case largerNumber
    /// "Say 'go on' twice." → `go on go on`.
    case repeatPhrase
    /// "What is the opposite of hot?" → `cold`.
    case antonym
    /// "Name one fruit." → any fruit, such as `apple`; or "Name one fruit that starts with p." → `pear`.
    case categoryMember

    /// The phrasings, as templates whose `{0}` and `{1}` are replaced by the arguments.
    public var phrasings: [String] {
        switch self {
        case .reverseWord:
            return ["Reverse the word {0}.", "Write {0} backwards.", "Spell {0} in reverse.",
                    "What is {0} spelled backwards?"]
        case .capitalizeWord:
            return ["Write {0} in capital letters.", "Make {0} uppercase.", "Write {0} in all caps.",
                    "Capitalize every letter of {0}."]
        case .countLetters:
            return ["How many letters are in {0}?", "Count the letters in {0}.", "How long is the word {0}?"]
        case .firstLetter:
            return ["What is the first letter of {0}?", "Which letter does {0} start with?",
                    "Give the first letter of {0}."]
        case .addNumbers:
            return ["What is {0} plus {1}?", "Add {0} and {1}.", "Compute {0} + {1}.", "What is the sum of {0} and {1}?"]
        case .sortNumbers:
            return ["Sort these numbers: {0}", "Put {0} in increasing order.", "Order from smallest to largest: {0}"]
        case .largerNumber:
            return ["Which is larger, {0} or {1}?", "Pick the bigger number: {0} or {1}.",
                    "What is the maximum of {0} and {1}?"]
        case .repeatPhrase:
            return ["Repeat '{0}' {1}.", "Say '{0}' {1}.", "Write '{0}' {1}."]
        case .antonym:
            return ["What is the opposite of {0}?", "Give an antonym of {0}.", "Name the opposite of {0}."]
        case .categoryMember:
            return ["Name one {0}.", "Give one example of a {0}.", "What is one kind of {0}?",
                    "Name one {0} that starts with {1}.", "Give a {0} beginning with {1}."]
        }
    }

    /// The phrasings usable with a given number of arguments (``categoryMember`` has one- and two-slot forms).
    func phrasingIndices(argumentCount: Int) -> [Int] {
        phrasings.indices.filter { InstructionFamily.slotCount(phrasings[$0]) == argumentCount }
    }

    static func slotCount(_ template: String) -> Int {
        (template.contains("{0}") ? 1 : 0) + (template.contains("{1}") ? 1 : 0)
    }

    // MARK: - Argument spaces

    /// Every argument list of this family, or a seeded sample of at most `cap` distinct ones for the numeric
    /// families whose space is large. The order is deterministic given the generator's state.
    ///
    /// `madeUpWords` join the real words as arguments of the spelling families, and those of at most five
    /// letters join the phrases of ``repeatPhrase``.
    func instanceArguments<G: RandomNumberGenerator>(cap: Int, madeUpWords: [String] = [],
                                                     using rng: inout G) -> [[String]] {
        switch self {
        case .reverseWord, .capitalizeWord, .countLetters, .firstLetter:
            return (Vocabulary.spellingWords + madeUpWords).map { [$0] }
        case .antonym:
            return Vocabulary.antonymWords.map { [$0] }
        case .repeatPhrase:
            var out: [[String]] = []
            for phrase in Vocabulary.phrases + madeUpWords.filter({ $0.count <= 5 }) {
                for (word, count) in Vocabulary.repeatCounts {
                    let answer = Array(repeating: phrase, count: count).joined(separator: " ")
                    if answer.count <= 20 { out.append([phrase, word]) }
                }
            }
            return out
        case .categoryMember:
            var out: [[String]] = []
            for (name, members) in Vocabulary.categories {
                out.append([name])
                var letters: [Character] = []
                for m in members where !letters.contains(m.first!) { letters.append(m.first!) }
                for letter in letters.sorted() { out.append([name, String(letter)]) }
            }
            return out
        case .addNumbers:
            var out: [[String]] = []
            for a in 0...49 { for b in 0...49 { out.append(["\(a)", "\(b)"]) } }
            return Array(rng.taskShuffled(out).prefix(cap))
        case .largerNumber:
            var seen = Set<[String]>()
            var out: [[String]] = []
            var attempts = 0
            while out.count < cap, attempts < cap * 20 {
                attempts += 1
                let a = rng.taskBelow(100), b = rng.taskBelow(100)
                guard a != b else { continue }
                let args = ["\(a)", "\(b)"]
                if seen.insert(args).inserted { out.append(args) }
            }
            return out
        case .sortNumbers:
            var seen = Set<[String]>()
            var out: [[String]] = []
            var attempts = 0
            while out.count < cap, attempts < cap * 20 {
                attempts += 1
                let size = 3 + rng.taskBelow(2)
                var numbers: [Int] = []
                while numbers.count < size {
                    let x = rng.taskBelow(31)
                    if !numbers.contains(x) { numbers.append(x) }
                }
                guard numbers != numbers.sorted() else { continue }
                let args = [numbers.map(String.init).joined(separator: ", ")]
                if seen.insert(args).inserted { out.append(args) }
            }
            return out
        }
    }

    // MARK: - Answers

    /// The accepted answers for the arguments, canonical first; `nil` if the arguments are not valid for the
    /// family (used to validate parsed prompts).
    func acceptedAnswers(arguments: [String]) -> [String]? {
        func isWord(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isLowercase } }
        func number(_ s: String) -> Int? {
            guard !s.isEmpty, s.count <= 3, s.allSatisfy(\.isASCII), let n = Int(s), n >= 0, "\(n)" == s else { return nil }
            return n
        }
        switch self {
        case .reverseWord:
            guard arguments.count == 1, isWord(arguments[0]) else { return nil }
            return [String(arguments[0].reversed())]
        case .capitalizeWord:
            guard arguments.count == 1, isWord(arguments[0]) else { return nil }
            return [arguments[0].uppercased()]
        case .countLetters:
            guard arguments.count == 1, isWord(arguments[0]) else { return nil }
            return ["\(arguments[0].count)"]
        case .firstLetter:
            guard arguments.count == 1, isWord(arguments[0]) else { return nil }
            return [String(arguments[0].first!)]
        case .addNumbers:
            guard arguments.count == 2, let a = number(arguments[0]), let b = number(arguments[1]) else { return nil }
            return ["\(a + b)"]
        case .largerNumber:
            guard arguments.count == 2, let a = number(arguments[0]), let b = number(arguments[1]), a != b else {
                return nil
            }
            return ["\(max(a, b))"]
        case .sortNumbers:
            guard arguments.count == 1 else { return nil }
            let parts = arguments[0].components(separatedBy: ", ")
            let numbers = parts.compactMap(number)
            guard numbers.count == parts.count, numbers.count >= 2 else { return nil }
            return [numbers.sorted().map(String.init).joined(separator: ", ")]
        case .repeatPhrase:
            guard arguments.count == 2, !arguments[0].isEmpty,
                  arguments[0].allSatisfy({ $0 == " " || ($0.isASCII && $0.isLowercase) }),
                  let count = Vocabulary.repeatCounts.first(where: { $0.word == arguments[1] })?.count else { return nil }
            return [Array(repeating: arguments[0], count: count).joined(separator: " ")]
        case .antonym:
            guard arguments.count == 1 else { return nil }
            let answers = Vocabulary.antonyms(of: arguments[0])
            return answers.isEmpty ? nil : answers
        case .categoryMember:
            guard (1...2).contains(arguments.count), let members = Vocabulary.members(of: arguments[0]) else {
                return nil
            }
            if arguments.count == 1 { return members }
            guard arguments[1].count == 1 else { return nil }
            let matching = members.filter { $0.hasPrefix(arguments[1]) }
            return matching.isEmpty ? nil : matching
        }
    }
}
