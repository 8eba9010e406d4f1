// PPOConfig validation messages and the reward-shaping math on hand-computed cases.
import LanguageModels
import PPO
import TensorCore
import TrainingCore
import XCTest

final class PPOConfigAndShapingTests: XCTestCase {
    func testDefaultsAreValidAndRoundTripThroughJSON() throws {
        let config = PPOConfig()
        try config.validate()
        XCTAssertEqual(config.klCoefficient, 0.05)
        XCTAssertEqual(config.klEstimator, .k1)
        let decoded = try JSONDecoder().decode(PPOConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
        let partial = try JSONDecoder().decode(PPOConfig.self, from: Data(#"{"batchSize": 16, "klEstimator": "k3"}"#.utf8))
        XCTAssertEqual(partial.batchSize, 16)
        XCTAssertEqual(partial.klEstimator, .k3)
        XCTAssertEqual(partial.epochs, 4)
        XCTAssertEqual(Set(PPOConfig.fieldDocumentation.map(\.name)).count, PPOConfig.fieldDocumentation.count)
    }

    func testValidationMessagesNameTheFieldShowTheValueAndSayHowToFix() {
        func message(_ change: (inout PPOConfig) -> Void) -> String {
            var config = PPOConfig()
            change(&config)
            do { try config.validate(); return "valid" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { $0.batchSize = 16; $0.miniBatchSize = 6 },
                       "`miniBatchSize` is 6, but it must divide `batchSize` (16); choose a divisor such as 2, 4, 8 or 16, or 0 for the whole batch")
        XCTAssertEqual(message { $0.miniBatchSize = 16; $0.microBatchSize = 5 },
                       "`microBatchSize` is 5, but it must divide the minibatch (16 episodes); choose a divisor such as 2, 4, 8 or 16, or 0 for the whole minibatch")
        XCTAssertEqual(message { $0.missingStopPenalty = 1 },
                       "`missingStopPenalty` is 1.0, but it is added to the score, so it must be 0 (off) or negative (e.g. -1)")
        // An enum field cannot hold a bad value; a bad spelling in a file fails while decoding, with the same message.
        XCTAssertThrowsError(try JSONDecoder().decode(PPOConfig.self, from: Data(#"{"learningRateDecay": "step"}"#.utf8))) {
            XCTAssertEqual("\($0)", "`learningRateDecay` is step, but it must be one of constant, linear, cosine")
        }
        XCTAssertEqual(try JSONDecoder().decode(PPOConfig.self, from: Data(#"{"learningRateDecay": "cosine"}"#.utf8)).learningRateDecay, .cosine)
        XCTAssertEqual(message { $0.batchSize = 4 },
                       "`batchSize` is 4, but reward whitening needs at least 8 samples (a variance over fewer is too noisy; lm-human-preferences and TRL assert the same); use a batch of 8 or more, or set whitenRewards to false")
        XCTAssertEqual(message { $0.clipRange = 0 }, "`clipRange` is 0.0, but it must lie in (0, 1) (e.g. 0.2)")
    }

    func testMissingStopPenaltyAndKLShapedRewards() {
        XCTAssertEqual(penalizedScores([1, 2], stopped: [true, false], penalty: -1), [1, 1])
        // Row 0 has 3 real tokens, row 1 has 2; the score lands on the last real token.
        let kl = Tensor(shape: [2, 3], scalars: [0.5, -0.2, 1.0, 0.3, 0.4, 0])
        let mask = Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0])
        let rewards = klShapedRewards(scores: [2, -1], kl: kl, mask: mask, klCoefficient: 0.1)
        let expected: [Float] = [-0.05, 0.02, -0.1 + 2, -0.03, -0.04 - 1, 0]
        for (a, b) in zip(rewards.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testAdvantagesOfAHandBuiltRollout() {
        // Two episodes of 4 and 2 tokens, policy = reference (KL 0), zero values, γ = λ = 1: the advantage of every
        // token is the reward-to-go (the score), and whitening a constant gives 0.
        let responses = TokenBatch(rightPadding: [[3, 4, 5, 6], [7, 8]], padToken: 0)
        let twoPrompts = TokenBatch(leftPadding: [[1, 2], [1]], padToken: 0)
        let logProbabilities = Tensor(shape: [2, 4], scalars: [-1, -2, -1, -0.5, -1, -1, 0, 0])
        let rollout = PPORollout(prompts: twoPrompts, responses: responses, logProbabilities: logProbabilities,
                                 referenceLogProbabilities: logProbabilities, values: Tensor(zeros: [2, 4]), scores: [1, 3])
        let estimates = estimateAdvantages(rollout: rollout, klCoefficient: 0.5, estimator: .k1, whitenRewards: false,
                                           gamma: 1, lambda: 1)
        XCTAssertEqual(estimates.meanSequenceKL, 0)
        XCTAssertEqual(estimates.returns.scalars, [1, 1, 1, 1, 3, 3, 0, 0])
        // Whitened over the 6 real tokens: mean 5/3, unbiased variance 1.0667.
        let a = estimates.advantages.scalars
        XCTAssertEqual(a[0], a[3])
        XCTAssertEqual(a[4], a[5])
        let weighted: Float = a[0] * 4 + a[4] * 2
        XCTAssertEqual(weighted, 0, accuracy: 1e-5)
        XCTAssertEqual(a[6], 0)
        // A KL of 0.2 nats per token under k1 and β = 0.5 lowers every reward by 0.1.
        var shifted = rollout
        shifted.referenceLogProbabilities = logProbabilities - 0.2
        let withKL = estimateAdvantages(rollout: shifted, klCoefficient: 0.5, estimator: .k1, whitenRewards: false,
                                        gamma: 1, lambda: 1)
        XCTAssertEqual(withKL.meanSequenceKL, (0.2 * 4 + 0.2 * 2) / 2, accuracy: 1e-6)
        XCTAssertEqual(withKL.returns.scalars[0], 1 - 0.4, accuracy: 1e-6)
        XCTAssertEqual(withKL.meanNonScoreReward, -0.5 * 0.6, accuracy: 1e-6)
    }
}
