// Invariants of Rainier's reward (shape 4, normalisation) and of the four aggregations, on hand-built cases.
import CommonsenseWorld
import Foundation
import Rainier
import TrainingData
import TrainingCore
import XCTest

final class RainierRewardAndAggregationTests: XCTestCase {
    /// Shape 4 is 0 when the knowledge leaves every choice score unchanged, and lies in (−1, 1).
    func testShape4IsZeroForUnchangedScoresAndBounded() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let n = Int.random(in: 2...5, using: &rng)
            let a = (0..<n).map { _ in Float.random(in: -8...0, using: &rng) }
            let b = (0..<n).map { _ in Float.random(in: -8...0, using: &rng) }
            let answer = Int.random(in: 0..<n, using: &rng)
            XCTAssertEqual(RainierRewardShape.shape4(withKnowledge: a, withoutKnowledge: a, answer: answer), 0)
            let r = RainierRewardShape.shape4(withKnowledge: a, withoutKnowledge: b, answer: answer)
            XCTAssertGreaterThan(r, -1)
            XCTAssertLessThan(r, 1)
        }
        // Extreme margins approach but never reach the bounds.
        let r = RainierRewardShape.shape4(withKnowledge: [0, -30], withoutKnowledge: [-30, 0], answer: 0)
        XCTAssertLessThanOrEqual(r, 1)
        XCTAssertGreaterThan(r, 0.999)
        // By hand: margin with knowledge 2 − 0 = 2 (best distractor 0), without 0 − 1 = −1.
        let hand = RainierRewardShape.shape4(withKnowledge: [2, 0, -1], withoutKnowledge: [0, 1, -3], answer: 0)
        XCTAssertEqual(hand, 0.5 * tanh(2.0) - 0.5 * tanh(-1.0), accuracy: 1e-12)
        // The best distractor, not the best choice: when the answer is top, the second entry is used.
        XCTAssertEqual(RainierRewardShape.margin([-1, -0.5, -3], answer: 1), 0.5, accuracy: 1e-12)
        XCTAssertEqual(RainierRewardShape.margin([-1, -0.5, -3], answer: 2), -2.5, accuracy: 1e-12)
    }

    /// Reward normalisation (Ziegler et al. 2019, arXiv 1909.08593, §2): after calibration the rewards of the
    /// calibration sample have mean 0 and standard deviation 1.
    func testCalibrationGivesMeanZeroAndUnitDeviationOnItsSample() throws {
        let world = try CommonsenseWorld()
        let qa = ScriptedQuestionAnswering(world: world)
        let questions = Array(world.questions(.training).prefix(120))
        var rng = SplitMixForTests(seed: 3)
        let knowledge = questions.map { world.silverKnowledge(for: $0, count: 1, using: &rng)[0] }
        let reward = KnowledgeReward(questionAnswering: qa, questions: questions)
        let (normalizer, raw) = try reward.calibrate(questions: questions, knowledge: knowledge)
        XCTAssertEqual(raw.count, questions.count)
        let prompts = questions.map(KnowledgeIntrospector.prompt(for:))
        let scores = try reward.scores(prompts: prompts, completions: knowledge.map { " " + $0 + "\n" }).map(Double.init)
        let mean = scores.reduce(0, +) / Double(scores.count)
        let sd = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 1e-5)
        XCTAssertEqual(sd, 1, accuracy: 1e-5)
        XCTAssertNotEqual(normalizer.gain, 1)
        // True statements earn more than wrong ones.
        let judged = zip(raw, zip(questions, knowledge)).map { ($0, world.judge($1.1, for: $1.0)) }
        let trueMean = judged.filter { $0.1.isTrue && $0.1.isRelevant }.map(\.0).reduce(0, +)
            / Double(judged.filter { $0.1.isTrue && $0.1.isRelevant }.count)
        let wrong = judged.filter { !$0.1.isTrue && $0.1.isRelevant }.map(\.0)
        XCTAssertGreaterThan(trueMean, wrong.reduce(0, +) / Double(max(wrong.count, 1)) + 0.2)
        // A prompt of no known question is a typed error.
        XCTAssertThrowsError(try reward.scores(prompts: ["nonsense"], completions: ["x"]))
    }

    /// Max aggregation answers with the single most confident (knowledge-or-none, choice) pair, even against
    /// a majority and a higher mean elsewhere.
    func testMaxAggregationPicksTheSingleMostConfidentPair() throws {
        let vectors: [[Double]] = [
            [0.50, 0.30, 0.20],   // no knowledge
            [0.60, 0.10, 0.30],
            [0.55, 0.40, 0.05],
            [0.05, 0.15, 0.80],   // the single most confident pair: (statement 3, choice 2)
        ]
        XCTAssertEqual(KnowledgeAggregation.max.aggregate(vectors), [0.60, 0.40, 0.80])
        XCTAssertEqual(KnowledgeAggregation.max.predict(vectors), 2)
        XCTAssertEqual(KnowledgeAggregation.majority.predict(vectors), 0)
        XCTAssertEqual(KnowledgeAggregation.mean.predict(vectors), 0)
        // Through answerWithKnowledge, with a QA model returning these log-probabilities.
        final class Fixed: QuestionAnsweringModel {
            let table: [String: [Float]]
            init(_ table: [String: [Float]]) { self.table = table }
            func choiceScores(_ questions: [MultipleChoiceQuestion], knowledge: [String?]) throws -> [[Float]] {
                knowledge.map { table[$0 ?? ""]! }
            }
        }
        let logs = vectors.map { $0.map { Float(log($0)) } }
        let qa = Fixed(["": logs[0], "a": logs[1], "b": logs[2], "c": logs[3]])
        let q = MultipleChoiceQuestion(stem: "which?", choices: ["x", "y", "z"], answer: 2)
        let answer = try answerWithKnowledge([q], knowledge: [["a", "b", "c"]], questionAnswering: qa)[0]
        XCTAssertEqual(answer.prediction, 2)
        XCTAssertEqual(answer.mostConfidentVector, 3)
        for (p, v) in zip(answer.probabilities, vectors) { for (x, y) in zip(p, v) { XCTAssertEqual(x, y, accuracy: 1e-6) } }
        XCTAssertEqual(try answerWithKnowledge([q], knowledge: [[]], questionAnswering: qa)[0].prediction, 0)
    }

    /// Each aggregation on hand-computed cases where they disagree.
    func testEachAggregationOnHandBuiltCases() {
        // mean [0.455, 0.275, 0.27] → 0; geometric means [0.095, 0.158, 0.157] → 1; max [0.9, 0.5, 0.49] → 0;
        // majority: one vote each for 0 and 1 → the lower index, 0.
        let a: [[Double]] = [[0.9, 0.05, 0.05], [0.01, 0.5, 0.49]]
        XCTAssertEqual(KnowledgeAggregation.mean.predict(a), 0)
        XCTAssertEqual(KnowledgeAggregation.product.predict(a), 1)
        XCTAssertEqual(KnowledgeAggregation.max.predict(a), 0)
        XCTAssertEqual(KnowledgeAggregation.majority.predict(a), 0)
        let product = KnowledgeAggregation.product.aggregate(a)
        XCTAssertEqual(product[0], (0.9 * 0.01).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(product[1], (0.05 * 0.5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(KnowledgeAggregation.mean.aggregate(a)[0], 0.455, accuracy: 1e-12)
        // majority 2 votes to 1 for choice 0; mean [0.4, 0.6], max [0.55, 0.9], product [0.312, 0.567] → 1.
        let b: [[Double]] = [[0.55, 0.45], [0.55, 0.45], [0.1, 0.9]]
        XCTAssertEqual(KnowledgeAggregation.majority.aggregate(b), [2, 1])
        XCTAssertEqual(KnowledgeAggregation.majority.predict(b), 0)
        XCTAssertEqual(KnowledgeAggregation.mean.predict(b), 1)
        XCTAssertEqual(KnowledgeAggregation.max.predict(b), 1)
        XCTAssertEqual(KnowledgeAggregation.product.predict(b), 1)
        XCTAssertEqual(choiceProbabilities([0, Float(log(3.0))]).map { ($0 * 1e6).rounded() / 1e6 }, [0.25, 0.75])
    }
}

/// SplitMix64 for tests that do not import Evaluation.
struct SplitMixForTests: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
