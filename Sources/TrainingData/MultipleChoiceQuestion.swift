// A multiple-choice question, as commonsense QA benchmarks pose them (UnifiedQA's text format: Khashabi et al. 2020,
// arXiv 2005.00700), for question-answering models and knowledge generators such as Rainier's.
import Foundation

/// A question with a few answer choices, one of them right.
public struct MultipleChoiceQuestion: Codable, Hashable, Sendable {
    /// The question without its choices, such as `where does the fox live?`.
    public var stem: String
    /// The answer choices, in presentation order.
    public var choices: [String]
    /// The index of the right choice.
    public var answer: Int
    /// The family (one relation, one wording) the question belongs to; empty when it has none.
    public var family: String
    /// The entity the question asks about (empty for questions from elsewhere).
    public var entity: String
    /// The relation the question asks about (empty for questions from elsewhere).
    public var relation: String

    /// A question; `answer` must index `choices`.
    public init(stem: String, choices: [String], answer: Int, family: String = "", entity: String = "", relation: String = "") {
        precondition(choices.indices.contains(answer), "MultipleChoiceQuestion: answer \(answer) is not one of \(choices.count) choices")
        self.stem = stem
        self.choices = choices
        self.answer = answer
        self.family = family
        self.entity = entity
        self.relation = relation
    }

    /// UnifiedQA's format with a literal backslash-n: `where does the fox live? \n (A) cave (B) forest …`.
    public var text: String {
        let letters = Array("ABCDEFGHIJ")
        let listed = choices.enumerated().map { "(\(letters[$0.offset % letters.count])) \($0.element)" }
        return stem + " \\n " + listed.joined(separator: " ")
    }
}
