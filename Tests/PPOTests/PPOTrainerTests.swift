// The trainer end to end: learning on a toy reward, exact resume, non-finite rewards, reward models and
// separate value models, PPO-ptx and EMA.
import Foundation
import LanguageModels
import PPO
import TensorCore
import TrainingCore
import XCTest

final class PPOTrainerTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// RL direction (PPO-RLHF in miniature): a near-uniform byte-level policy learns to write lowercase
    /// letters and spaces. Reward = fraction of such bytes (≈ 0.06 at the start: 27 of 258 ids, and special
    /// tokens decode to nothing). Within 60 iterations of 32 episodes the mean reward of the last 5 iterations
    /// is at least 0.2 above that of the first 3, and over the last 10 iterations the mean KL from the
    /// reference is within a factor of two of the adaptive controller's 4-nat target and no iteration exceeds
    /// twice the target. (The controller oscillates around its target with 32 episodes per iteration, so single
    /// iterations dip below half of it: the trajectory differs between CPUs in the last bits, and a per-iteration
    /// lower bound failed on one machine kind while passing on another.)
    /// Measured (seed 0, 2 threads, AMD EPYC Zen 4): reward 0.057 → 0.290, late KL 1.6–3.5 nats (mean ≈ 2.8),
    /// β 0.100 → 0.035, ~2 s.
    func testRewardRisesWhileTheAdaptiveControllerHoldsKLNearItsTarget() throws {
        var config = PPOConfig()
        config.iterations = 60
        config.batchSize = 32
        config.miniBatchSize = 16
        config.microBatchSize = 16
        config.maximumNewTokens = 8
        config.missingStopPenalty = 0
        config.whitenRewards = false
        config.learningRate = 2e-3
        config.klCoefficient = 0.1
        config.klTarget = 4
        config.klHorizon = 160
        let trainer = try makeTrainer(config: config, scale: 1)
        var rewards: [Double] = [], kls: [Double] = [], betas: [Double] = []
        let start = Date()
        try trainer.train(prompts: toyPrompts) { event in
            if case .step(_, _, let m) = event {
                rewards.append(m["objective/reward"]!)
                kls.append(m["objective/kl"]!)
                betas.append(m["objective/kl_coef"]!)
            }
            return .continue
        }
        func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(x.count) }
        let before = mean(rewards.prefix(3)), after = mean(rewards.suffix(5)), finalKL = mean(kls.suffix(5))
        let lateKL = kls.suffix(10)
        let summary = String(format: "reward %.3f → %.3f, final KL %.2f nats (target %.1f), β %.3f → %.3f, %.1f s",
                             before, after, finalKL, config.klTarget, betas.first!, betas.last!, Date().timeIntervalSince(start))
        print("PPO behaviour: \(summary)")
        print("PPO behaviour trajectory:", stride(from: 0, to: rewards.count, by: 5).map { String(format: "%d: r %.2f kl %.2f β %.3f", $0, rewards[$0], kls[$0], betas[$0]) }.joined(separator: " | "))
        XCTAssertGreaterThanOrEqual(after - before, 0.2, summary)
        // Over the last 10 iterations, the mean KL is within a factor of two of the target and none exceeds twice it.
        let lateMean = mean(lateKL)
        XCTAssertGreaterThanOrEqual(lateMean, config.klTarget / 2, summary)
        XCTAssertLessThanOrEqual(lateMean, config.klTarget * 2, summary)
        XCTAssertLessThanOrEqual(lateKL.max()!, config.klTarget * 2, summary)
    }

    func testResumedRunMatchesAnUninterruptedOne() throws {
        var config = smallConfig()
        config.iterations = 4
        config.ptxCoefficient = 0.5
        config.ptxBatchSize = 2
        config.emaDecay = 0.9
        config.miniBatchSize = 4
        config.microBatchSize = 2
        let blocks = try toyPrompts.map { try byteTokenizer.encode($0 + " and more text") }
        func run(stopAfter: Int?, resumeFrom: URL?, checkpoints: URL?) throws -> (PPOTrainer, [[String: Double]]) {
            let trainer = try makeTrainer(config: config, pretraining: PretrainingBlocks(blocks: blocks, padToken: 257))
            if let resumeFrom { try trainer.loadCheckpoint(from: resumeFrom) }
            var metrics: [[String: Double]] = []
            try trainer.train(prompts: toyPrompts, checkpointDirectory: checkpoints) { event in
                guard case .step(let step, _, let m) = event else { return .continue }
                metrics.append(m.filter { !$0.key.hasPrefix("timing/") })
                return step == stopAfter ? .stop : .continue
            }
            return (trainer, metrics)
        }
        let directory = try temporaryDirectory()
        let (whole, wholeMetrics) = try run(stopAfter: nil, resumeFrom: nil, checkpoints: nil)
        let (_, firstMetrics) = try run(stopAfter: 2, resumeFrom: nil, checkpoints: directory)
        let latest = try XCTUnwrap(PPOTrainer.latestCheckpoint(in: directory))
        XCTAssertEqual(latest.lastPathComponent, "step-000002")
        let (resumed, secondMetrics) = try run(stopAfter: nil, resumeFrom: latest, checkpoints: directory)
        XCTAssertEqual(resumed.iteration, 4)
        XCTAssertEqual(firstMetrics + secondMetrics, wholeMetrics)
        XCTAssertGreaterThan(wholeMetrics.last!["loss/ptx"]!, 0)
        for ((name, a), (_, b)) in zip(whole.policy.namedParameters(), resumed.policy.namedParameters()) {
            XCTAssertEqual(a.value, b.value, name)
        }
        for ((name, a), (_, b)) in zip(whole.emaPolicy!.namedParameters(), resumed.emaPolicy!.namedParameters()) {
            XCTAssertEqual(a.value, b.value, "ema \(name)")
        }
        XCTAssertEqual(whole.klController, resumed.klController)
        XCTAssertEqual(whole.generator, resumed.generator)
    }

    func testNonFiniteRewardStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        var calls = 0
        let reward = ClosureReward { _, completions in
            calls += 1
            return completions.map { _ in calls == 3 ? .nan : 1 }
        }
        let trainer = try makeTrainer(reward: .function(reward))
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try trainer.train(prompts: toyPrompts, checkpointDirectory: directory, checkpointEvery: 1) { _ in .continue }) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "reward", step: 3))
            XCTAssertTrue("\(error)".hasPrefix("reward became NaN or infinite at step 3; the last good checkpoint is kept"))
        }
        XCTAssertEqual(PPOTrainer.latestCheckpoint(in: directory)?.lastPathComponent, "step-000002")
    }

    func testRewardModelRewardAndValueModelInitialisedFromIt() throws {
        var rng = SeededGenerator(seed: 5)
        let rewardModel = RewardModel(trunk: makeTinyPolicy(seed: 9), using: &rng)
        let valueModel = ValueModel(rewardModel: rewardModel)
        let trainer = try makeTrainer(critic: .separate(valueModel), reward: .rewardModel(rewardModel))
        var sampler = SeededGenerator(seed: 1)
        let rollout = try trainer.collector.collect(prompts: toyPrompts, using: &sampler)
        // Scores are the reward model's reading of [prompt | response] at the last real token.
        let expected = try rewardModel.rewards(rollout.prompts.concatenated(with: rollout.responses)).value.scalars
        XCTAssertEqual(rollout.rawScores, expected)
        // Values start as the reward head applied at every response position.
        let perPosition = try rewardModel.perPositionScores(rollout.prompts.concatenated(with: rollout.responses)).value
        let p = rollout.prompts.length, r = rollout.responses.length
        let window = perPosition.slice(axis: 1, (p - 1)..<(p + r - 1)) * rollout.mask
        XCTAssertLessThan(maximumDifference(window, rollout.values), 1e-5)
        let metrics = try trainer.step(prompts: toyPrompts)
        for key in PPOTrainer.metricKeys where key != "val/explained_variance" {
            XCTAssertTrue(metrics[key]?.isFinite ?? false, "\(key) = \(String(describing: metrics[key]))")
        }
        // The reward model itself is not trained.
        XCTAssertEqual(rewardModel.head.weight.grad, nil)
    }

    func testEveryIterationReportsTheNamespacedMetrics() throws {
        let trainer = try makeTrainer()
        let metrics = try trainer.step(prompts: toyPrompts)
        for key in ["objective/reward", "objective/kl", "objective/kl_coef", "objective/entropy", "policy/clipfrac",
                    "policy/approxkl", "loss/policy", "loss/value", "loss/ptx", "val/explained_variance",
                    "response/length", "timing/generation", "timing/training"] {
            XCTAssertNotNil(metrics[key], key)
        }
        XCTAssertEqual(metrics["objective/kl"]!, 0, accuracy: 1e-5, "policy = reference in the first rollout")
        XCTAssertEqual(metrics["loss/ptx"], 0)
        XCTAssertGreaterThan(metrics["objective/entropy"]!, 0)
        XCTAssertEqual(trainer.iteration, 1)
    }

    func testEMAFollowsThePolicyAfterEachOptimizerStep() throws {
        var config = smallConfig()
        config.epochs = 1
        config.emaDecay = 0.75
        let trainer = try makeTrainer(config: config)
        let initial = trainer.policy.namedParameters().map { $0.1.value }
        _ = try trainer.step(prompts: toyPrompts)
        // One optimizer step: ema = d·initial + (1 − d)·updated.
        for ((name, ema), (start, (_, now))) in zip(trainer.emaPolicy!.namedParameters(), zip(initial, trainer.policy.namedParameters())) {
            let expected = start * 0.75 + now.value * 0.25
            XCTAssertLessThan(maximumDifference(ema.value, expected), 1e-6, name)
        }
        XCTAssertNotEqual(trainer.policy.namedParameters()[2].1.value, initial[2], "the policy moved")
    }

    func testPPOPtxWithoutPretrainingDataIsAConfigurationError() {
        var config = smallConfig()
        config.ptxCoefficient = 2
        XCTAssertThrowsError(try makeTrainer(config: config)) { error in
            XCTAssertEqual("\(error)", "`ptxCoefficient` is 2.0, but PPO-ptx needs pretraining data; pass `pretraining:` blocks or set ptxCoefficient to 0")
        }
    }
}
