// RLOO and GRPO runs that cannot continue: a NaN reward, or a NaN loss, stops the run naming the iteration before
// any update, and the last good checkpoint stays the latest (complete, finite, no temporary folder).
import CriticFreeRL
import Foundation
import LanguageModels
import Rollouts
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class CriticFreeFailureTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("critic-free-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func algorithms(klCoefficient: Double) -> [CriticFreeAlgorithm] {
        var rloo = RLOOConfig()
        (rloo.iterations, rloo.promptsPerIteration, rloo.generations, rloo.maximumNewTokens) = (6, 2, 2, 4)
        var grpo = GRPOConfig()
        (grpo.iterations, grpo.promptsPerIteration, grpo.generations, grpo.maximumNewTokens) = (6, 2, 2, 4)
        grpo.klCoefficient = klCoefficient
        return [.rloo(rloo), .grpo(grpo)]
    }

    func testANaNRewardStopsTheRunNamingTheIteration() throws {
        for algorithm in algorithms(klCoefficient: 0) {
            var calls = 0
            let reward = ClosureReward { _, completions in
                calls += 1
                return completions.map { _ in calls == 3 ? .nan : 1 }
            }
            let trainer = try CriticFreeTrainer(algorithm: algorithm, policy: makeTinyPolicy(), reward: .function(reward),
                                                tokenizer: byteTokenizer, tokens: .instructionTask)
            let directory = try temporaryDirectory()
            XCTAssertThrowsError(try trainer.train(prompts: toyPrompts, checkpointDirectory: directory, checkpointEvery: 1)) { error in
                XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "reward", step: 3), algorithm.name)
            }
            XCTAssertEqual(trainer.iteration, 2, algorithm.name)
            try assertLastGoodCheckpoint(in: directory, step: 2)
        }
    }

    /// A NaN reference makes GRPO's KL term, and so its loss, NaN while sampling (from the policy) still works.
    func testANaNLossStopsGRPONamingTheIteration() throws {
        let algorithm = algorithms(klCoefficient: 0.1)[1]
        let trainer = try CriticFreeTrainer(algorithm: algorithm, policy: makeTinyPolicy(), reference: makeTinyPolicy(),
                                            reward: .function(letterReward), tokenizer: byteTokenizer, tokens: .instructionTask)
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try trainer.train(prompts: toyPrompts, checkpointDirectory: directory, checkpointEvery: 1) { event in
            if case .checkpoint(2, _) = event { poisonWithNaN(trainer.reference.namedParameters()[0].1) }
            return .continue
        }) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "loss", step: 3))
        }
        XCTAssertEqual(trainer.iteration, 2)
        try assertLastGoodCheckpoint(in: directory, step: 2)
    }
}
