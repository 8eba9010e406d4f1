// The fixed question-answering model of Rainier (Liu et al. 2022, arXiv 2210.03078; the authors'
// `rainier/model/reward.py::get_reward`): scores the choices of a multiple-choice question, with or without a
// knowledge statement, by the mean per-token log-likelihood of each choice.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// A model that scores the choices of multiple-choice questions, optionally given a knowledge statement.
///
/// Scores play the role of mean per-token log-likelihoods: higher is more confident, and `softmax` over a
/// question's choices gives its probabilities (``choiceProbabilities(_:)``). Rainier never trains it.
public protocol QuestionAnsweringModel: AnyObject {
    /// One score per choice of each question, given the knowledge at the same index (nil = the question alone).
    ///
    /// - Throws: when a question cannot be scored (e.g. too long for the model's context).
    func choiceScores(_ questions: [MultipleChoiceQuestion], knowledge: [String?]) throws -> [[Float]]
}

/// `softmax` of a question's choice scores (p(c | q, k) = softmax_c s(c | q, k), as Rainier's `get_reward`).
public func choiceProbabilities(_ scores: [Float]) -> [Double] {
    guard let top = scores.max() else { return [] }
    let e = scores.map { Foundation.exp(Double($0 - top)) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
}

/// The text formats of the question-answering model (a decoder-only port of UnifiedQA's).
public enum QuestionAnsweringFormat {
    /// `q` or `q \n k` (a literal backslash-n, the UnifiedQA format Rainier uses), then a newline and `answer:`.
    public static func input(_ question: MultipleChoiceQuestion, knowledge: String?) -> String {
        var text = question.text
        if let knowledge { text += " \\n " + knowledge }
        return text + "\nanswer:"
    }

    /// The completion that states a choice: `" <choice>\n"`.
    public static func completion(_ choice: String) -> String { " " + choice + "\n" }

    /// A demonstration for training the question-answering model on a reading example.
    public static func record(_ example: ReadingExample) -> PromptCompletionRecord {
        PromptCompletionRecord(prompt: input(example.question, knowledge: example.knowledge),
                               completion: completion(example.question.choices[example.target]))
    }
}

/// A question-answering model backed by a GPT: the score of a choice is the mean per-token log-probability of
/// `" <choice>\n"` after ``QuestionAnsweringFormat/input(_:knowledge:)`` (teacher-forced, τ = 1).
///
/// Scores are cached by input text, so repeated (question, knowledge) pairs — frequent when M knowledge
/// statements are sampled per question — cost one forward pass.
public final class GPTQuestionAnswering: QuestionAnsweringModel {
    public let model: GPT
    public let tokenizer: any Tokenizer
    public let padToken: Int32
    /// (question, choice) rows per forward pass. Default 256.
    public var rowsPerBatch = 256
    private var cache: [String: [Float]] = [:]

    /// - Parameters:
    ///   - model: the trained model; it is only read.
    ///   - tokenizer: its tokenizer.
    ///   - padToken: the padding id (default: the tokenizer's `<|pad|>`, else its vocabulary size).
    public init(model: GPT, tokenizer: any Tokenizer, padToken: Int32? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.padToken = padToken ?? tokenizer.id(forSpecialToken: "<|pad|>") ?? Int32(tokenizer.vocabularySize)
    }

    /// The tokens of `input`, or, when they and the longest choice would not fit the context, of the question and
    /// as much of the knowledge statement as fits (UnifiedQA's inputs are truncated to its length the same way). A
    /// sampled statement can decode to text that takes more tokens than were sampled.
    public func fitted(_ input: String, question: MultipleChoiceQuestion, knowledge: String?, budget: Int) throws -> [Int32] {
        let whole = try tokenizer.encode(input)
        guard whole.count > budget, let knowledge else { return whole }
        let head = try tokenizer.encode(QuestionAnsweringFormat.input(question, knowledge: nil).dropLast("\nanswer:".count) + " \\n ")
        let tail = try tokenizer.encode("\nanswer:")
        let room = max(0, budget - head.count - tail.count)
        return head + (try tokenizer.encode(knowledge)).prefix(room) + tail
    }

    /// Forgets cached scores (call after changing the model's weights).
    public func clearCache() { cache.removeAll() }

    public func choiceScores(_ questions: [MultipleChoiceQuestion], knowledge: [String?]) throws -> [[Float]] {
        precondition(questions.count == knowledge.count, "choiceScores: \(questions.count) questions, \(knowledge.count) knowledge entries")
        let inputs = zip(questions, knowledge).map { QuestionAnsweringFormat.input($0, knowledge: $1) }
        var rows: [(input: String, prompt: [Int32], response: [Int32])] = []
        var pending = Set<String>()
        for ((question, statement), input) in zip(zip(questions, knowledge), inputs) where cache[input] == nil && !pending.contains(input) {
            pending.insert(input)
            let responses = try question.choices.map { try tokenizer.encode(QuestionAnsweringFormat.completion($0)) }
            let prompt = try fitted(input, question: question, knowledge: statement,
                                    budget: model.config.contextLength - (responses.map(\.count).max() ?? 0))
            for response in responses { rows.append((input, prompt, response)) }
        }
        var scored: [(String, Float)] = []
        scored.reserveCapacity(rows.count)
        for start in stride(from: 0, to: rows.count, by: rowsPerBatch) {
            let chunk = rows[start..<min(start + rowsPerBatch, rows.count)]
            let prompts = TokenBatch(leftPadding: chunk.map { $0.prompt }, padToken: padToken)
            let responses = TokenBatch(rightPadding: chunk.map { $0.response }, padToken: padToken)
            let logProbabilities = try withoutGradients {
                try model.scoreResponses(prompts: prompts, responses: responses, computeEntropies: false).logProbabilities.value
            }
            let width = responses.length
            let lp = logProbabilities.scalars, mask = responses.mask.scalars
            for (offset, row) in chunk.enumerated() {
                var sum: Float = 0, count: Float = 0
                for t in 0..<width where mask[offset * width + t] != 0 {
                    sum += lp[offset * width + t]
                    count += 1
                }
                scored.append((row.input, sum / max(count, 1)))
            }
        }
        var index = 0
        while index < scored.count {
            let input = scored[index].0
            var scores: [Float] = []
            while index < scored.count && scored[index].0 == input {
                scores.append(scored[index].1)
                index += 1
            }
            cache[input] = scores
        }
        return inputs.map { cache[$0]! }
    }
}
