// The trainer on a tiny GPT: DPO's invariant at π = π_ref, learning on a seeded toy task for every method,
// exact resume, configuration errors.
import DirectPreference
import Foundation
import LanguageModels
import TensorCore
import TrainingCore
import XCTest

final class DirectPreferenceTrainerTests: XCTestCase {
    /// At π = π_ref the DPO loss is log 2 (arXiv 2305.18290, eq. 7 with Δ = 0), and one gradient step raises
    /// ρ_w − ρ_l on the batch.
    func testDPOLossIsLog2AtTheReferenceAndAStepRaisesTheMargin() throws {
        let pairs = toyPairs(count: 8, seed: 3)
        var config = DirectPreferenceConfig()
        (config.batchSize, config.epochs, config.learningRate, config.maximumGradientNorm) = (8, 1, 1e-3, 0)
        let trainer = try DirectPreferenceTrainer(method: .dpo, config: config, policy: makeTinyModel(), padToken: pad,
                                                  training: .paired(pairs), validation: pairs)
        let before = try trainer.loss(indices: Array(0..<8))
        XCTAssertEqual(Double(before.loss.value.item), log(2), accuracy: 1e-6)
        XCTAssertEqual(before.rewardMargin!, 0, accuracy: 1e-6)
        let metrics = try trainer.trainStep()
        XCTAssertEqual(metrics["train/loss"]!, log(2), accuracy: 1e-6)
        let after = try trainer.loss(indices: Array(0..<8))
        XCTAssertGreaterThan(after.rewardMargin!, 1e-4, "one step must raise β(ρ_w − ρ_l)")
        XCTAssertLessThan(Double(after.loss.value.item), log(2))
        XCTAssertEqual(try trainer.evaluate()!["eval/rewards/margin"]!, after.rewardMargin!, accuracy: 1e-5)
    }

    /// Offline preference learning in miniature: on 64 toy comparisons (lowercase words preferred to uppercase/digit
    /// strings), two epochs of each method take the held-out implicit-reward accuracy on 48 unseen comparisons from
    /// chance (0 for the reference methods at π = π_ref, where every margin is 0) to at least 0.85. Measured (seed
    /// 0): DPO, IPO, KTO 0.000 → 1.000, ORPO 0.604 → 1.000, 0.1–0.2 s each.
    func testHeldOutImplicitRewardAccuracyRisesForEveryMethod() throws {
        let training = toyPairs(count: 64, seed: 1), heldOut = toyPairs(count: 48, seed: 2)
        let cases: [(String, DirectPreferenceMethod, DPOLossType)] = [("DPO", .dpo, .sigmoid), ("IPO", .dpo, .ipo),
                                                                      ("KTO", .kto, .sigmoid), ("ORPO", .orpo, .sigmoid)]
        for (name, method, loss) in cases {
            var config = DirectPreferenceConfig()
            (config.loss, config.batchSize, config.epochs, config.learningRate) = (loss, 16, 3, 2e-3)
            if method == .orpo { config.beta = 1 }
            let start = Date()
            let trainer = try DirectPreferenceTrainer(method: method, config: config, policy: makeTinyModel(), padToken: pad,
                                                      training: .paired(training), validation: heldOut)
            let initial = try trainer.evaluate()!["eval/rewards/accuracy"]!
            var final = 0.0
            try trainer.train { event in
                if case .evaluation(_, let m) = event { final = m["eval/rewards/accuracy"]! }
                return .continue
            }
            print(String(format: "%@: held-out implicit-reward accuracy %.3f → %.3f in %d steps, %.1f s", name, initial, final,
                         trainer.step, Date().timeIntervalSince(start)))
            XCTAssertEqual(trainer.step, method == .kto ? 24 : 12, "KTO splits each comparison into two examples")
            XCTAssertGreaterThanOrEqual(final, 0.85, name)
            XCTAssertGreaterThanOrEqual(final - initial, 0.3, name)
        }
    }

    func testResumedRunMatchesAnUninterruptedOne() throws {
        let pairs = toyPairs(count: 24, seed: 5)
        var config = DirectPreferenceConfig()
        (config.batchSize, config.epochs, config.learningRate) = (8, 2, 1e-3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dpo-resume-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let full = try DirectPreferenceTrainer(method: .kto, config: config, policy: makeTinyModel(), padToken: pad, training: .paired(pairs))
        try full.train()
        let first = try DirectPreferenceTrainer(method: .kto, config: config, policy: makeTinyModel(), padToken: pad, training: .paired(pairs))
        try first.train(checkpointDirectory: directory) { event in
            if case .step(let step, _, _) = event, step == 4 { return .stop }
            return .continue
        }
        XCTAssertEqual(first.step, 4)
        let resumed = try DirectPreferenceTrainer(method: .kto, config: config, policy: makeTinyModel(), padToken: pad, training: .paired(pairs))
        XCTAssertEqual(try resumed.resume(from: directory), 4)
        try resumed.train()
        XCTAssertEqual(resumed.step, full.step)
        for ((name, a), (_, b)) in zip(full.policy.namedParameters(), resumed.policy.namedParameters()) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, name)
        }
    }

    func testBadConfigurationAndDataAreReported() throws {
        // A loss that names no DPOLossType fails while decoding, with the field, the value and the allowed spellings.
        XCTAssertThrowsError(try JSONDecoder().decode(DirectPreferenceConfig.self, from: Data(#"{"loss": "softmax"}"#.utf8))) { error in
            XCTAssertEqual("\(error)", "`loss` is softmax, but it must be one of sigmoid, hinge, robust, ipo")
        }
        // KTO's balance advice: split comparisons give λ_D·n_D / (λ_U·n_U) = 1 (fine); doubling λ_D gives 2 (warned).
        var kto = DirectPreferenceConfig()
        XCTAssertNil(try DirectPreferenceTrainer(method: .kto, config: kto, policy: makeTinyModel(), padToken: pad,
                                                 training: .paired(toyPairs(count: 4, seed: 0))).ktoBalanceWarning)
        kto.desirableWeight = 2
        XCTAssertNotNil(try DirectPreferenceTrainer(method: .kto, config: kto, policy: makeTinyModel(), padToken: pad,
                                                    training: .paired(toyPairs(count: 4, seed: 0))).ktoBalanceWarning)
        let examples = UnpairedExample.unpaired(toyPairs(count: 2, seed: 0))
        XCTAssertThrowsError(try DirectPreferenceTrainer(method: .dpo, config: DirectPreferenceConfig(), policy: makeTinyModel(),
                                                         padToken: pad, training: .unpaired(examples)))
        XCTAssertThrowsError(try DirectPreferenceTrainer(method: .orpo, config: DirectPreferenceConfig(), policy: makeTinyModel(),
                                                         padToken: pad, training: .paired([])))
    }
}
