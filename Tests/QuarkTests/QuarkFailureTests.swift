// A Quark run whose loss becomes NaN stops naming the step before any update, and the last good checkpoint stays
// the latest (complete, finite, no temporary folder). (NaN rewards are not an error in Quark: the pool drops them;
// QuarkPoolTests checks that.)
import Foundation
import LanguageModels
import Quark
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class QuarkFailureTests: XCTestCase {
    func testANaNLossStopsTheRunNamingTheStep() throws {
        var rng = SeededGenerator(seed: 11)
        let base = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 16, vocabularySize: 8), using: &rng)
        var config = QuarkConfig()
        config.totalSteps = 6
        config.sampleInterval = 100  // explore once, at step 0: later steps only learn from the pool
        config.batchSize = 8
        config.warmupSteps = 0
        config.maximumNewTokens = 4
        config.minimumNewTokens = 0
        let prompts: [[Int32]] = (0..<8).map { [1, Int32(2 + $0 % 6)] }
        let trainer = try QuarkTrainer(config: config, base: base, reward: .tokens(QuarkTrainerTests.reward), prompts: prompts,
                                       tokenizer: nil, padToken: 0, stopTokens: [])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-nan-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1) { event in
            if case .checkpoint(2, _) = event { poisonWithNaN(trainer.policy.model.namedParameters()[0].1) }
            return .continue
        }) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "loss/total", step: 3))
        }
        XCTAssertEqual(trainer.step, 2)
        try assertLastGoodCheckpoint(in: directory, step: 2)
    }
}
