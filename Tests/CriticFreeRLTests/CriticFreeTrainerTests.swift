// The trainers end to end on a tiny GPT: reward rises under RLOO and GRPO, the first update has ratio 1, and a
// resumed run matches an uninterrupted one.
import CriticFreeRL
import Foundation
import LanguageModels
import Rollouts
import TensorCore
import TrainingCore
import XCTest

final class CriticFreeTrainerTests: XCTestCase {
    func run(_ algorithm: CriticFreeAlgorithm) throws -> (rewards: [Double], kls: [Double], metrics: [String: Double], seconds: Double) {
        let trainer = try CriticFreeTrainer(algorithm: algorithm, policy: makeTinyPolicy(), reward: .function(letterReward),
                                            tokenizer: byteTokenizer, tokens: .instructionTask)
        var rewards: [Double] = [], kls: [Double] = [], last: [String: Double] = [:]
        let start = Date()
        try trainer.train(prompts: toyPrompts) { event in
            if case .step(_, _, let m) = event {
                rewards.append(m["objective/reward"]!)
                kls.append(m["objective/kl"]!)
                last = m
            }
            return .continue
        }
        return (rewards, kls, last, Date().timeIntervalSince(start))
    }

    func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(x.count) }

    /// The RL direction in miniature: a near-uniform byte-level policy learns to write lowercase letters and spaces
    /// (reward = fraction of such bytes, ≈ 0.06 at the start). In 60 iterations of 8 prompts × 4 samples, the mean
    /// reward of the last 5 iterations is at least 0.2 above that of the first 3.
    /// Measured (seed 0, 2 threads, loaded machine): RLOO 0.061 → 0.346 (KL 3.7 nats, 2.2 s), GRPO 0.059 → 0.486
    /// (KL 7.3 nats, 3.0 s).
    func testRewardRisesUnderRLOOAndGRPO() throws {
        var rloo = RLOOConfig()
        (rloo.iterations, rloo.promptsPerIteration, rloo.generations, rloo.maximumNewTokens, rloo.learningRate) = (60, 8, 4, 8, 2e-3)
        var grpo = GRPOConfig()
        (grpo.iterations, grpo.promptsPerIteration, grpo.generations, grpo.maximumNewTokens, grpo.learningRate) = (60, 8, 4, 8, 2e-3)
        for algorithm in [CriticFreeAlgorithm.rloo(rloo), .grpo(grpo)] {
            let (rewards, kls, last, seconds) = try run(algorithm)
            let before = mean(rewards.prefix(3)), after = mean(rewards.suffix(5))
            let summary = String(format: "%@: reward %.3f → %.3f, final KL %.2f nats, %.1f s", algorithm.name, before, after,
                                 mean(kls.suffix(5)), seconds)
            print("critic-free behaviour: \(summary)")
            XCTAssertGreaterThanOrEqual(after - before, 0.2, summary)
            XCTAssertEqual(last["policy/ratio"]!, 1, accuracy: 1e-4, "one step per generation: π_old = π at the update")
            XCTAssertEqual(last["policy/clipfrac"]!, 0)
        }
    }

    /// The KL term works: GRPO with a k3 KL term (β = 0.2) ends closer to the reference than GRPO without one.
    func testGRPOKLTermKeepsThePolicyCloserToTheReference() throws {
        var config = GRPOConfig()
        (config.iterations, config.promptsPerIteration, config.generations, config.maximumNewTokens, config.learningRate) = (60, 8, 4, 8, 2e-3)
        config.klCoefficient = 0
        let free = try run(.grpo(config))
        config.klCoefficient = 0.2
        let penalised = try run(.grpo(config))
        let summary = String(format: "final KL %.2f nats with β = 0, %.2f with β = 0.2; reward %.3f and %.3f", mean(free.kls.suffix(5)),
                             mean(penalised.kls.suffix(5)), mean(free.rewards.suffix(5)), mean(penalised.rewards.suffix(5)))
        print("GRPO KL term: \(summary)")
        XCTAssertLessThan(mean(penalised.kls.suffix(5)), 0.8 * mean(free.kls.suffix(5)), summary)
        XCTAssertGreaterThan(penalised.metrics["loss/kl"]!, 0)
        XCTAssertEqual(free.metrics["loss/kl"]!, 0)
    }

    func testResumedRunMatchesAnUninterruptedOne() throws {
        var config = GRPOConfig()
        (config.iterations, config.promptsPerIteration, config.generations, config.maximumNewTokens, config.microBatchSize) = (4, 2, 4, 5, 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grpo-resume-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        func make() throws -> CriticFreeTrainer {
            try CriticFreeTrainer(algorithm: .grpo(config), policy: makeTinyPolicy(), reward: .function(letterReward),
                                  tokenizer: byteTokenizer, tokens: .instructionTask)
        }
        let full = try make()
        try full.train(prompts: toyPrompts)
        let first = try make()
        try first.train(prompts: toyPrompts, checkpointDirectory: directory) { event in
            if case .step(let step, _, _) = event, step == 2 { return .stop }
            return .continue
        }
        let resumed = try make()
        XCTAssertEqual(try resumed.resume(from: directory), 2)
        try resumed.train(prompts: toyPrompts)
        for ((name, a), (_, b)) in zip(full.policy.namedParameters(), resumed.policy.namedParameters()) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, name)
        }
    }

    func testBadSettingsAreConfigurationErrors() throws {
        // A spelling that names no aggregation fails while decoding, naming the field, the value and the choices.
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(GRPOConfig())) as! [String: Any]
        object["lossAggregation"] = "sum"
        XCTAssertThrowsError(try JSONDecoder().decode(GRPOConfig.self, from: JSONSerialization.data(withJSONObject: object))) {
            XCTAssertEqual("\($0)", "`lossAggregation` is sum, but it must be one of grpo, bnpo, dr_grpo, dapo")
        }
        object["lossAggregation"] = "dr_grpo"
        let decoded = try JSONDecoder().decode(GRPOConfig.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(decoded.lossAggregation, .drGRPO)
        // The shared fields stay flat in JSON, under their own names.
        let keys = Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(RLOOConfig())) as! [String: Any]).keys)
        XCTAssertEqual(keys, Set(RLOOConfig.fieldDocumentation.map(\.name)))
        XCTAssertFalse(keys.contains("shared"))
        var rloo = RLOOConfig()
        rloo.generations = 1
        XCTAssertThrowsError(try CriticFreeTrainer(algorithm: .rloo(rloo), policy: makeTinyPolicy(), reward: .function(letterReward),
                                                   tokenizer: byteTokenizer, tokens: .instructionTask)) {
            XCTAssertEqual(($0 as? ConfigurationError)?.field, "generations")
        }
    }
}
