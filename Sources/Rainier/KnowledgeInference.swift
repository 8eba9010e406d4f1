// Answering with sampled knowledge (Rainier's inference; the authors' `ppo.py::eval`): score each question without
// knowledge and with each statement, then aggregate the M + 1 probability vectors.
import Foundation
import TrainingData

/// The answer to one question with knowledge.
public struct KnowledgeAnswer: Equatable, Sendable {
    /// The predicted choice.
    public var prediction: Int
    /// The probability vectors: index 0 without knowledge, then one per statement.
    public var probabilities: [[Double]]
    /// The vector holding the single most confident (vector, choice) pair: 0 = no knowledge, i = statement i − 1.
    public var mostConfidentVector: Int
}

/// Answers questions with the QA model alone (`knowledge` lists empty) or with M statements each.
///
/// - Parameters:
///   - questions: the questions.
///   - knowledge: per question, the statements (any number, possibly none).
///   - questionAnswering: the QA model.
///   - aggregation: how the vectors combine (Rainier: `.max`).
/// - Throws: whatever the QA model throws.
public func answerWithKnowledge(_ questions: [MultipleChoiceQuestion], knowledge: [[String]],
                                questionAnswering: any QuestionAnsweringModel,
                                aggregation: KnowledgeAggregation = .max) throws -> [KnowledgeAnswer] {
    precondition(questions.count == knowledge.count, "answerWithKnowledge: \(questions.count) questions, \(knowledge.count) lists")
    let alone = try questionAnswering.choiceScores(questions, knowledge: questions.map { _ in nil })
    var flatQuestions: [MultipleChoiceQuestion] = [], flatKnowledge: [String?] = []
    for (q, ks) in zip(questions, knowledge) {
        for k in ks {
            flatQuestions.append(q)
            flatKnowledge.append(k)
        }
    }
    let with = try questionAnswering.choiceScores(flatQuestions, knowledge: flatKnowledge)
    var cursor = 0
    return zip(alone, knowledge).map { base, ks in
        var vectors = [choiceProbabilities(base)]
        for _ in ks {
            vectors.append(choiceProbabilities(with[cursor]))
            cursor += 1
        }
        var best = (vector: 0, p: -1.0)
        for (i, v) in vectors.enumerated() where v.max()! > best.p { best = (i, v.max()!) }
        return KnowledgeAnswer(prediction: aggregation.predict(vectors), probabilities: vectors, mostConfidentVector: best.vector)
    }
}
