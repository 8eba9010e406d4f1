// DPO, IPO, KTO and ORPO runs whose loss becomes NaN stop naming the step, before any update, and keep the last
// good checkpoint the latest (complete, finite, no temporary folder).
import DirectPreference
import Foundation
import LanguageModels
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class DirectPreferenceFailureTests: XCTestCase {
    func testANaNLossStopsEveryMethodNamingTheStep() throws {
        let pairs = toyPairs(count: 16, seed: 4)
        let cases: [(String, DirectPreferenceMethod, DPOLossType)] = [("DPO", .dpo, .sigmoid), ("IPO", .dpo, .ipo),
                                                                      ("KTO", .kto, .sigmoid), ("ORPO", .orpo, .sigmoid)]
        for (name, method, loss) in cases {
            var config = DirectPreferenceConfig()
            (config.loss, config.batchSize, config.epochs, config.learningRate) = (loss, 4, 2, 1e-3)
            let trainer = try DirectPreferenceTrainer(method: method, config: config, policy: makeTinyModel(), padToken: pad,
                                                      training: .paired(pairs))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dpo-nan-\(UUID().uuidString)")
            addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
            XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1) { event in
                // Once checkpoint 2 is on disk, the policy's every log-probability is NaN.
                if case .checkpoint(2, _) = event { poisonWithNaN(trainer.policy.namedParameters()[0].1) }
                return .continue
            }) { error in
                XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "train/loss", step: 3), name)
            }
            XCTAssertEqual(trainer.step, 2, name)
            try assertLastGoodCheckpoint(in: directory, step: 2)
        }
    }
}
