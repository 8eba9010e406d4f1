// A training example of a question-answering model that reads knowledge before it answers (Rainier, Liu et al.
// 2022, arXiv 2210.03078): the question, the knowledge shown with it, and the choice to pick.
import Foundation

/// A (question, knowledge, answer) reading example for the question-answering model.
public struct ReadingExample: Codable, Hashable, Sendable {
    /// The question read.
    public var question: MultipleChoiceQuestion
    /// The knowledge shown with the question (nil: the question alone).
    public var knowledge: String?
    /// The choice the model should pick: the right answer, or what the knowledge says when it states a value.
    public var target: Int

    /// An example from its parts.
    public init(question: MultipleChoiceQuestion, knowledge: String?, target: Int) {
        self.question = question
        self.knowledge = knowledge
        self.target = target
    }
}
