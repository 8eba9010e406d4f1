// Hand-computed tests of every metric: perplexities, dist-n, rep-n, diversity, win-rate and accuracies.
import XCTest
import Evaluation

final class MetricTests: XCTestCase {
    func testPerplexityIsExpOfMeanNLL() throws {
        // Probabilities ½ and ⅛: mean NLL = (log 2 + log 8)/2 = log 4.
        XCTAssertEqual(try perplexity(logProbabilities: [log(0.5), log(0.125)]), 4, accuracy: 1e-12)
        XCTAssertEqual(try perplexity(logProbabilities: [Float(0), 0]), 1, accuracy: 1e-12)
        // Token-weighted over sequences: [½] and [¼, ¼] → mean NLL = (log 2 + 2 log 4)/3 = 5/3 log 2.
        XCTAssertEqual(try perplexity(sequences: [[log(0.5)], [log(0.25), log(0.25)]]), pow(2, 5.0 / 3), accuracy: 1e-12)
        XCTAssertThrowsError(try perplexity(logProbabilities: [Double]())) {
            XCTAssertEqual($0 as? EvaluationError, .emptyInput(metric: "perplexity"))
        }
        XCTAssertThrowsError(try perplexity(logProbabilities: [0, -Double.infinity])) {
            XCTAssertEqual($0 as? EvaluationError, .nonFiniteValue(metric: "perplexity", index: 1))
        }
    }

    func testConditionalPerplexityUsesCompletionTokensOnly() throws {
        // Prompt tokens log ½, log ½; completion tokens log ¼, log 1/16 → mean NLL = 3 log 2 → ppl 8.
        let all = [log(0.5), log(0.5), log(0.25), log(1.0 / 16)]
        XCTAssertEqual(try conditionalPerplexity(sequenceLogProbabilities: all, promptTokenCount: 2), 8, accuracy: 1e-9)
        XCTAssertEqual(try conditionalPerplexity(completionLogProbabilities: Array(all[2...])), 8, accuracy: 1e-9)
        XCTAssertThrowsError(try conditionalPerplexity(sequenceLogProbabilities: all, promptTokenCount: 4))
        let mean = try meanConditionalPerplexity(generations: [[log(0.5)], [log(0.25)], [-20.0]])
        XCTAssertEqual(mean.mean, 3, accuracy: 1e-9)   // (2 + 4)/2; exp(20) ≥ 1e4 is discarded
        XCTAssertEqual(mean.discarded, 1)
    }

    func testDistinctnessQuarkAndNGramDenominators() throws {
        let gens = ["a b a", "a b"]
        XCTAssertEqual(try distinctness(of: gens, n: 1), 0.4)               // {a, b} / 5 words
        XCTAssertEqual(try distinctness(of: gens, n: 2), 0.4)               // {ab, ba} / 5 words
        XCTAssertEqual(try distinctness(of: gens, n: 2, denominator: .nGrams)!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try distinctness(of: gens, n: 3), 0.2)               // {aba} / 5 words
        XCTAssertNil(try distinctness(of: ["", " "], n: 1))
        // Averaged over prompts; a prompt without words is left out (Quark's nanmean).
        XCTAssertEqual(try distinctness(generationsByPrompt: [gens, ["x y"], [""]], n: 1), (0.4 + 1) / 2, accuracy: 1e-12)
        XCTAssertThrowsError(try distinctness(generationsByPrompt: [[""]], n: 1))
        XCTAssertThrowsError(try distinctness(of: gens, n: 0))
    }

    func testRepetitionAndDiversity() throws {
        XCTAssertEqual(try repetitionRate(["a", "b", "a", "b", "a"], n: 2), 0.5)
        XCTAssertEqual(try repetitionRate(text: "a b a b a", n: 3), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try repetitionRate(text: "a b a b a", n: 4), 0)
        XCTAssertEqual(try repetitionRate(text: "a", n: 2), 0)
        XCTAssertEqual(try repetitionRate([1, 1, 1, 1], n: 1), 0.75)
        XCTAssertEqual(diversity(text: "a b a b a"), 0.5 * (2.0 / 3), accuracy: 1e-12)
        XCTAssertEqual(diversity(text: "the cat sat on a mat"), 1)
    }

    func testWinRateCountsTiesAsHalf() throws {
        XCTAssertEqual(try winRate([.win, .tie, .loss, .win]), 0.625)
        XCTAssertEqual(try pairwiseOutcomes(scores: [1, 0.5, 0.2], referenceScores: [0.5, 0.5, 0.9]), [.win, .tie, .loss])
        XCTAssertEqual(try winRate(scores: [1, 0.5, 0.2], referenceScores: [0.5, 0.5, 0.9]), 0.5)
        XCTAssertEqual(try winRate(scores: [1.0, 0.55], referenceScores: [0.5, 0.5], tolerance: 0.1), 0.75)
        XCTAssertThrowsError(try winRate([PairwiseOutcome]()))
        XCTAssertThrowsError(try winRate(scores: [1.0], referenceScores: [1.0, 2.0])) {
            XCTAssertEqual($0 as? EvaluationError, .lengthMismatch(metric: "winRate", expected: 1, found: 2))
        }
    }

    func testPairwiseAccuracyAndMargin() throws {
        let result = try pairwiseAccuracy(chosenScores: [2.0, 1, 0], rejectedScores: [1.0, 1, 1])
        XCTAssertEqual(result.accuracy, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(result.meanMargin, 0, accuracy: 1e-12)
        XCTAssertEqual(result.count, 3)
        XCTAssertThrowsError(try pairwiseAccuracy(chosenScores: [Float](), rejectedScores: []))
    }

    func testMultipleChoiceAccuracy() throws {
        XCTAssertEqual(try multipleChoiceAccuracy(predictions: [0, 2, 1], answers: [0, 1, 1]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try multipleChoiceAccuracy(choiceScores: [[0.1, 0.9], [0.5, 0.5], [0.7, 0.2]], answers: [1, 0, 1]), 0.5)
        XCTAssertThrowsError(try multipleChoiceAccuracy(choiceScores: [[0.1, 0.9]], answers: [2])) {
            XCTAssertTrue("\($0)".contains("`answers[0]` is 2, but must index one of the question's 2 choices"))
        }
    }

    func testErrorMessagesSayHowToFix() {
        XCTAssertEqual(EvaluationError.emptyInput(metric: "winRate").description,
                       "winRate: the input is empty; pass at least one item")
    }
}
