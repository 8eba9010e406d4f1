// The GPT-backed QA model: choice scores are mean per-token log-likelihoods of " <choice>\n", batched and cached.
import TrainingData
import Foundation
import LanguageModels
import Rainier
import TensorCore
import Tokenizers
import XCTest

final class GPTQuestionAnsweringTests: XCTestCase {
    func testChoiceScoresAreMeanPerTokenLogLikelihoods() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 4)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 128, vocabularySize: 258), using: &rng)
        let qa = GPTQuestionAnswering(model: model, tokenizer: tokenizer)
        qa.rowsPerBatch = 3   // force several batches with different padding
        let q1 = MultipleChoiceQuestion(stem: "where does the fox live?", choices: ["forest", "sea", "cave"], answer: 0)
        let q2 = MultipleChoiceQuestion(stem: "what is it?", choices: ["a", "longer choice"], answer: 1)
        let scores = try qa.choiceScores([q1, q2, q1], knowledge: [nil, "the fox lives in the forest.", "x"])
        XCTAssertEqual(scores.map(\.count), [3, 2, 3])
        for (q, k, s) in [(q1, String?.none, scores[0]), (q2, "the fox lives in the forest.", scores[1]), (q1, "x", scores[2])] {
            for (c, choice) in q.choices.enumerated() {
                let prompt = try tokenizer.encode(QuestionAnsweringFormat.input(q, knowledge: k))
                let response = try tokenizer.encode(" " + choice + "\n")
                let lp = try withoutGradients {
                    try model.scoreResponses(prompts: TokenBatch(leftPadding: [prompt], padToken: 257),
                                             responses: TokenBatch(rightPadding: [response], padToken: 257)).logProbabilities.value.scalars
                }
                XCTAssertEqual(s[c], lp.reduce(0, +) / Float(lp.count), accuracy: 1e-4)
            }
        }
        XCTAssertNotEqual(scores[0], scores[2], "knowledge changes the scores")
        XCTAssertEqual(try qa.choiceScores([q1], knowledge: [nil])[0], scores[0])   // cached
        XCTAssertEqual(QuestionAnsweringFormat.input(q1, knowledge: "k"), "where does the fox live? \\n (A) forest (B) sea (C) cave \\n k\nanswer:")
    }

    /// A knowledge statement too long for the context is cut to fit (UnifiedQA truncates its inputs), instead of
    /// failing the run after training; inputs that fit are unchanged.
    func testAKnowledgeStatementTooLongForTheContextIsCutToFit() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 4)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 96, vocabularySize: 258), using: &rng)
        let qa = GPTQuestionAnswering(model: model, tokenizer: tokenizer)
        let question = MultipleChoiceQuestion(stem: "where does the fox live?", choices: ["forest", "sea"], answer: 0)
        let long = String(repeating: "foxes live in dens ", count: 8)
        let scores = try qa.choiceScores([question, question], knowledge: [long, "dens"])
        XCTAssertEqual(scores.map(\.count), [2, 2])
        XCTAssertTrue(scores.joined().allSatisfy(\.isFinite))
        let input = QuestionAnsweringFormat.input(question, knowledge: long)
        let fitted = try qa.fitted(input, question: question, knowledge: long, budget: 96 - 8)
        XCTAssertEqual(fitted.count, 88, "the statement is cut to the budget")
        XCTAssertEqual(try tokenizer.decode(fitted, skipSpecialTokens: true).hasSuffix("\nanswer:"), true)
        let short = QuestionAnsweringFormat.input(question, knowledge: "dens")
        XCTAssertEqual(try qa.fitted(short, question: question, knowledge: "dens", budget: 88), try tokenizer.encode(short))
    }
}
