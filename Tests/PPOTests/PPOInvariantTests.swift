// The numerical invariants of PPO (listed in the TrainingCore article) at model level: ratio 1 on the first
// minibatch, padding-invariant loss, micro-batch accumulation equal to one batch, and rollout log-probabilities equal
// to teacher-forced ones.
import LanguageModels
import PPO
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class PPOInvariantTests: XCTestCase {
    /// Collects a rollout from a fresh trainer and estimates its advantages.
    func collected(_ trainer: PPOTrainer, seed: UInt64 = 7) throws -> (PPORollout, PPOAdvantages) {
        var rng = SeededGenerator(seed: seed)
        let rollout = try trainer.collector.collect(prompts: toyPrompts, using: &rng)
        let advantages = estimateAdvantages(rollout: rollout, klCoefficient: 0.05, estimator: .k1, whitenRewards: true,
                                            gamma: 1, lambda: 0.95)
        return (rollout, advantages)
    }

    func loss(_ trainer: PPOTrainer, _ rollout: PPORollout, _ advantages: PPOAdvantages) throws -> PPOLoss {
        try ppoLoss(policy: trainer.policy, critic: trainer.critic, rollout: rollout, advantages: advantages,
                    temperature: trainer.config.temperature, clipRange: 0.2, valueClipRange: 0.2, valueCoefficient: 0.1)
    }

    func testFirstMinibatchHasRatioOneAndNoClipping() throws {
        // Stopping at any lowercase letter gives responses of many lengths.
        var config = smallConfig()
        config.maximumNewTokens = 12
        let trainer = try PPOTrainer(config: config, policy: makeTinyPolicy(scale: 4), reward: .function(letterReward),
                                     tokenizer: byteTokenizer, tokens: TokenConventions(padToken: 257, stopTokens: Array(97...122) + [256]))
        let (rollout, advantages) = try collected(trainer)
        XCTAssertGreaterThan(Set(rollout.responses.realLengths).count, 1, "responses of different lengths exercise the padding")
        let result = try loss(trainer, rollout, advantages)
        XCTAssertEqual(result.policy.meanRatio, 1, accuracy: 1e-6)
        XCTAssertEqual(result.policy.clipFraction, 0)
        XCTAssertEqual(result.policy.approximateKL, 0, accuracy: 1e-10)
        // pgLoss = −maskedMean(A), and whitened advantages have mean 0 over the whole batch.
        XCTAssertEqual(Double(result.policy.loss.value.item), 0, accuracy: 1e-6)
        // The same through the trainer's micro-batched path (the first minibatch of an iteration).
        let stats = try trainer.accumulateGradients(rollout: rollout, advantages: advantages, episodes: Array(0..<8), microBatchSize: 2)
        XCTAssertEqual(stats["policy/ratio"]!, 1, accuracy: 1e-6)
        XCTAssertEqual(stats["policy/clipfrac"]!, 0)
    }

    func testRolloutLogProbabilitiesEqualTeacherForcedOnes() throws {
        let trainer = try makeTrainer()
        let prompts = try trainer.collector.encode(prompts: toyPrompts)
        var rng = SeededGenerator(seed: 3)
        let generated = try trainer.policy.generate(prompts: prompts, options: trainer.collector.options, using: &rng)
        let rollout = try trainer.collector.score(prompts: prompts, responses: generated.responses)
        let mask = generated.responses.mask
        XCTAssertLessThan(maximumDifference(rollout.logProbabilities * mask, generated.logProbabilities * mask), 1e-5)
        for b in 0..<rollout.batchSize {
            let teacher = rollout.logProbabilities.rows([b]).sum(), sampled = (generated.logProbabilities * mask).rows([b]).sum()
            XCTAssertEqual(teacher, sampled, accuracy: 1e-5, "sequence log-probability of row \(b)")
        }
    }

    func testExtraPaddingDoesNotChangeTheLoss() throws {
        let trainer = try makeTrainer()
        let (rollout, advantages) = try collected(trainer)
        let pad = TokenConventions.instructionTask.padToken
        // Two more pad columns left of every prompt and three more right of every response.
        let prompts = padded(rollout.prompts, left: 2, right: 0, pad: pad)
        let responses = padded(rollout.responses, left: 0, right: 3, pad: pad)
        func widen(_ t: Tensor) -> Tensor { Tensor.concatenate([t, Tensor(zeros: [t.shape[0], 3])], axis: 1) }
        let wide = PPORollout(prompts: prompts, responses: responses, logProbabilities: widen(rollout.logProbabilities),
                              referenceLogProbabilities: widen(rollout.referenceLogProbabilities), values: widen(rollout.values),
                              scores: rollout.scores)
        let wideAdvantages = estimateAdvantages(rollout: wide, klCoefficient: 0.05, estimator: .k1, whitenRewards: true,
                                                gamma: 1, lambda: 0.95)
        XCTAssertLessThan(maximumDifference(wideAdvantages.advantages.slice(axis: 1, 0..<rollout.responses.length),
                                            advantages.advantages), 1e-6)
        // Take a step first so that ratios differ from 1 and clipping is active somewhere.
        _ = try trainer.update(rollout: rollout, advantages: advantages)
        let narrowLoss = try loss(trainer, rollout, advantages), wideLoss = try loss(trainer, wide, wideAdvantages)
        XCTAssertNotEqual(narrowLoss.policy.meanRatio, 1, "the update moved the policy")
        XCTAssertEqual(wideLoss.total.value.item, narrowLoss.total.value.item, accuracy: 1e-5)
        XCTAssertEqual(wideLoss.policy.clipFraction, narrowLoss.policy.clipFraction, accuracy: 1e-9)
        XCTAssertEqual(wideLoss.value.value.item, narrowLoss.value.value.item, accuracy: 1e-5)
    }

    func testEightAccumulatedMicroBatchesGiveTheGradientsOfOneBatch() throws {
        for critic in ["shared", "separate"] {
            let policy = makeTinyPolicy(scale: 4)
            let trainer = try PPOTrainer(config: smallConfig(), policy: policy,
                                         critic: critic == "shared" ? nil : .separate(ValueModel(policy: policy)),
                                         reward: .function(letterReward), tokenizer: byteTokenizer, tokens: .instructionTask)
            let (rollout, advantages) = try collected(trainer)
            _ = try trainer.update(rollout: rollout, advantages: advantages)   // ratios ≠ 1, value head ≠ 0
            let parameters = trainer.trainableParameters
            func gradients(microBatchSize: Int) throws -> [Tensor] {
                for p in parameters { p.zeroGradient() }
                _ = try trainer.accumulateGradients(rollout: rollout, advantages: advantages, episodes: Array(0..<8),
                                                    microBatchSize: microBatchSize)
                return parameters.map { $0.grad ?? Tensor(zeros: $0.shape) }
            }
            let whole = try gradients(microBatchSize: 8), accumulated = try gradients(microBatchSize: 1)
            var largest: Float = 0
            for (a, b) in zip(accumulated, whole) {
                assertClose(a, b, rtol: 1e-4, atol: 1e-5, "\(critic) critic")
                largest = max(largest, b.scalars.map(abs).max() ?? 0)
            }
            XCTAssertGreaterThan(largest, 1e-3, "gradients are not trivially zero")
        }
    }
}

/// `batch` with `left` more padding columns before and `right` more after every row.
func padded(_ batch: TokenBatch, left: Int, right: Int, pad: Int32) -> TokenBatch {
    var ids: [Int32] = [], mask: [Float] = []
    let m = batch.mask.scalars
    for b in 0..<batch.batchSize {
        ids += [Int32](repeating: pad, count: left) + batch.tokens[(b * batch.length)..<((b + 1) * batch.length)]
            + [Int32](repeating: pad, count: right)
        mask += [Float](repeating: 0, count: left) + m[(b * batch.length)..<((b + 1) * batch.length)] + [Float](repeating: 0, count: right)
    }
    let width = batch.length + left + right
    return TokenBatch(tokens: ids, batchSize: batch.batchSize, length: width, mask: Tensor(shape: [batch.batchSize, width], scalars: mask))
}

extension Tensor {
    func rows(_ indices: [Int]) -> Tensor {
        let w = count / shape[0]
        return Tensor(shape: [indices.count, w], scalars: indices.flatMap { Array(scalars[($0 * w)..<(($0 + 1) * w)]) })
    }
}
