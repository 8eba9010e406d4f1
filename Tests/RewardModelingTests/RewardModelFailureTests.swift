// Reward-model runs that cannot continue: a NaN loss, or a finite loss whose gradient is NaN, stop the run naming
// the step before any update, and the last good checkpoint stays the latest (complete, finite, nothing half-written).
import Foundation
import LanguageModels
import RewardModeling
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class RewardModelFailureTests: XCTestCase {
    let pad: Int32 = 39
    let groups: [ComparisonGroup] = (0..<6).map { (i: Int) -> ComparisonGroup in
        let a = Int32(i)
        return ComparisonGroup(promptTokens: [1 + a, 2 + a], completionTokens: [[20 + a], [30 - a, 9], [7]])
    }

    func makeTrainer(clip: Double) throws -> RewardModelTrainer {
        var config = RewardModelConfig()
        config.epochs = 4
        config.batchSize = 2
        config.learningRate = 3e-3
        config.maximumGradientNorm = clip
        config.bootstrapResamples = 10
        var rng = SeededGenerator(seed: 9)
        let trunk = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40),
                            using: &rng)
        return try RewardModelTrainer(model: RewardModel(trunk: trunk, using: &rng), config: config, padToken: pad, training: groups)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rm-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testANaNLossStopsTheRunNamingTheStep() throws {
        let trainer = try makeTrainer(clip: 1)
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1) { event in
            if case .checkpoint(2, _) = event { poisonWithNaN(trainer.model.namedParameters()[0].1) }
            return .continue
        }) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "reward/loss", step: 3))
        }
        XCTAssertEqual(trainer.step, 2)
        try assertLastGoodCheckpoint(in: directory, step: 2)
    }

    /// √x at x = 0 has an infinite derivative; through a zero factor it reaches a weight as ∞·0 = NaN while the
    /// loss itself is 0. Before the fix, such a step was applied (the norm was only measured when clipping).
    func testANaNGradientWithAFiniteLossStopsBeforeTheUpdate() throws {
        for clip in [0.0, 1.0] {
            let trainer = try makeTrainer(clip: clip)
            let directory = try temporaryDirectory()
            let weight = trainer.model.namedParameters()[0].1
            trainer.auxiliaryLoss = { step in
                let zero = (weight * 0).sum()
                return (loss: step == 2 ? (weight * 0).sqrt().sum() : zero, metrics: [:])
            }
            XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1) { _ in .continue }) { error in
                XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "reward/grad_norm", step: 3), "clip \(clip)")
            }
            XCTAssertEqual(trainer.step, 2)
            XCTAssertTrue(weight.value.scalars.allSatisfy(\.isFinite), "no NaN update was applied (clip \(clip))")
            try assertLastGoodCheckpoint(in: directory, step: 2)
        }
    }
}
