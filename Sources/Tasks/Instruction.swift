// One instruction of the built-in task: its family, arguments and phrasing, prompt text and accepted answers.
import Foundation

/// The text format of the built-in task.
///
/// A prompt is `"Q: " + instruction + "\nA:"`, and a well-formed completion is `" " + answer + "\n"`: a space,
/// the answer on one line, and the stop marker `"\n"`. For example
///
/// ```text
/// Q: Reverse the word lamp.
/// A: pmal
/// ```
///
/// is the prompt `"Q: Reverse the word lamp.\nA:"` with completion `" pmal\n"`. Prompts are at most 60
/// characters and canonical answers at most 20, so a byte-level model with a 128-token context fits a prompt,
/// its completion and room to spare.
public enum InstructionFormat {
    /// Text before the instruction: `"Q: "`.
    public static let promptPrefix = "Q: "
    /// Text after the instruction, ending the prompt: `"\nA:"`.
    public static let promptSuffix = "\nA:"
    /// Text before the answer in a completion: `" "`.
    public static let answerPrefix = " "
    /// The stop marker that ends every answer: `"\n"`. Generation should stop when it is produced.
    public static let stopMarker = "\n"

    /// The prompt for an instruction text.
    ///
    /// - Parameter instruction: Such as `"Reverse the word lamp."`.
    /// - Returns: `"Q: Reverse the word lamp.\nA:"`.
    public static func prompt(for instruction: String) -> String { promptPrefix + instruction + promptSuffix }

    /// The well-formed completion for an answer.
    ///
    /// - Parameter answer: Such as `"pmal"`.
    /// - Returns: `" pmal\n"`.
    public static func completion(for answer: String) -> String { answerPrefix + answer + stopMarker }
}

/// One instruction instance: a family, its arguments and the phrasing used to ask it.
///
/// Two instructions with the same family and arguments are the same *instance* (``instanceKey``) even when
/// phrased differently; the task's splits are disjoint by instance.
public struct Instruction: Hashable, Codable, Sendable {
    /// The family.
    public let family: InstructionFamily
    /// The slot values, such as `["lamp"]` or `["12", "7"]`.
    public let arguments: [String]
    /// The index into `family.phrasings`.
    public let phrasing: Int
    /// Every answer that counts as exactly right, canonical first (several for antonyms and categories).
    public let acceptedAnswers: [String]

    /// Creates an instruction.
    ///
    /// - Parameters:
    ///   - family: The family.
    ///   - arguments: The slot values; they must fit the family.
    ///   - phrasing: An index into `family.phrasings` with as many slots as there are arguments.
    /// - Throws: ``TaskError/invalidArguments(family:arguments:)`` if the arguments or phrasing do not fit.
    public init(family: InstructionFamily, arguments: [String], phrasing: Int) throws(TaskError) {
        guard let answers = family.acceptedAnswers(arguments: arguments),
              family.phrasings.indices.contains(phrasing),
              InstructionFamily.slotCount(family.phrasings[phrasing]) == arguments.count else {
            throw .invalidArguments(family: family.rawValue, arguments: arguments)
        }
        self.family = family
        self.arguments = arguments
        self.phrasing = phrasing
        self.acceptedAnswers = answers
    }

    /// Parses an instruction back from its prompt, such as one read from the task's JSONL files.
    ///
    /// - Parameter prompt: `"Q: <instruction>\nA:"`; the bare instruction text is accepted too.
    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` if no family's phrasing matches with valid arguments.
    public init(prompt: String) throws(TaskError) {
        var text = prompt
        if text.hasPrefix(InstructionFormat.promptPrefix) { text.removeFirst(InstructionFormat.promptPrefix.count) }
        if text.hasSuffix(InstructionFormat.promptSuffix) { text.removeLast(InstructionFormat.promptSuffix.count) }
        for family in InstructionFamily.allCases {
            for (index, template) in family.phrasings.enumerated() {
                for arguments in TemplateMatcher.matches(template: template, text: text) {
                    if let instruction = try? Instruction(family: family, arguments: arguments, phrasing: index),
                       instruction.text == text {
                        self = instruction
                        return
                    }
                }
            }
        }
        throw .unrecognizedPrompt(prompt)
    }

    /// The instruction sentence, such as `"Reverse the word lamp."`.
    public var text: String {
        var out = family.phrasings[phrasing]
        for (i, argument) in arguments.enumerated() { out = out.replacingOccurrences(of: "{\(i)}", with: argument) }
        return out
    }

    /// The prompt, `"Q: " + text + "\nA:"`.
    public var prompt: String { InstructionFormat.prompt(for: text) }

    /// The canonical answer, such as `"pmal"`.
    public var answer: String { acceptedAnswers[0] }

    /// The canonical well-formed completion, `" " + answer + "\n"`.
    public var referenceCompletion: String { InstructionFormat.completion(for: answer) }

    /// The instance identity, independent of phrasing, such as `"reverseWord:lamp"`.
    public var instanceKey: String { family.rawValue + ":" + arguments.joined(separator: "|") }
}

/// Matches instruction text against a template with `{0}`/`{1}` slots, returning every possible slot filling.
enum TemplateMatcher {
    enum Piece { case literal(String), slot(Int) }

    static func pieces(_ template: String) -> [Piece] {
        var out: [Piece] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{") {
            if open.lowerBound > rest.startIndex { out.append(.literal(String(rest[..<open.lowerBound]))) }
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: "}"), let index = Int(after[..<close]) else {
                out.append(.literal(String(rest)))
                return out
            }
            out.append(.slot(index))
            rest = after[after.index(after: close)...]
        }
        if !rest.isEmpty { out.append(.literal(String(rest))) }
        return out
    }

    /// All assignments of non-empty slot values that make the template equal the text (backtracking over every
    /// occurrence of each following literal, so a slot may contain spaces or commas).
    static func matches(template: String, text: String) -> [[String]] {
        let parts = pieces(template)
        var results: [[String]] = []
        func go(_ partIndex: Int, _ position: String.Index, _ slots: [Int: String]) {
            if partIndex == parts.count {
                if position == text.endIndex {
                    let count = slots.count
                    results.append((0..<count).map { slots[$0] ?? "" })
                }
                return
            }
            switch parts[partIndex] {
            case .literal(let literal):
                if text[position...].hasPrefix(literal) {
                    go(partIndex + 1, text.index(position, offsetBy: literal.count), slots)
                }
            case .slot(let index):
                // The slot ends right before the next literal (or at the end of the text).
                if partIndex + 1 == parts.count {
                    if position < text.endIndex {
                        var s = slots
                        s[index] = String(text[position...])
                        go(partIndex + 1, text.endIndex, s)
                    }
                    return
                }
                guard case .literal(let next) = parts[partIndex + 1] else { return }
                guard position < text.endIndex else { return }
                var searchStart = text.index(after: position)
                while let found = text.range(of: next, range: searchStart..<text.endIndex) {
                    var s = slots
                    s[index] = String(text[position..<found.lowerBound])
                    go(partIndex + 1, found.lowerBound, s)
                    guard found.lowerBound < text.endIndex else { break }
                    searchStart = text.index(after: found.lowerBound)
                }
            }
        }
        guard !text.isEmpty else { return [] }
        go(0, text.startIndex, [:])
        return results
    }
}
