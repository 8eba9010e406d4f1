// PPOTrainer: PPO-RLHF (Ziegler et al. 2019, arXiv 1909.08593; InstructGPT, arXiv 2203.02155 §3.5) with
// PPO-ptx, over a GPT policy, a frozen reference, a value head or separate value model and any reward.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import Rollouts
import TensorCore
import Tokenizers
import TrainingCore

/// The metrics of one PPO iteration under namespaced keys (`objective/reward`, `objective/kl`, …).
public struct PPOStepMetrics {
    /// Every metric of the iteration, keyed as in the list of `PPOTrainer.metricKeys`.
    public var values: [String: Double]
    public subscript(_ key: String) -> Double? { values[key] }
}

/// Trains a policy with PPO against a reward, with a per-token KL penalty to a frozen reference.
///
/// One iteration (`step`) runs the phases listed in the PPO article: 1 collect (KV-cache sampling), 2 score
/// (teacher-forced log-probabilities, reference log-probabilities, values, rewards), 3 KL-shaped rewards,
/// 4 advantages and returns, 5 minibatch epochs (clipped policy and value losses, micro-batch accumulation, PPO-ptx),
/// 6 metrics, then the KL controller update. The trainer never prints: `train` reports `TrainingEvent`s to a callback
/// that can stop it.
///
/// ```swift
/// var config = PPOConfig()
/// config.batchSize = 16
/// let trainer = try PPOTrainer(config: config, policy: sftModel, reward: .function(goldScore),
///                              tokenizer: tokenizer, tokens: .instructionTask)
/// try trainer.train(prompts: prompts) { event in
///     if case .step(let step, _, let metrics) = event { print(step, metrics["objective/reward"]!) }
///     return .continue
/// }
/// ```
public final class PPOTrainer {
    public let config: PPOConfig
    /// The policy being trained.
    public let policy: GPT
    /// The frozen reference policy π_ref of the KL penalty (the SFT model).
    public let reference: GPT
    /// The value head or separate value model.
    public let critic: PPOCritic
    /// Generation and scoring of rollouts, with the critic's values.
    public let collector: PPORolloutCollector
    /// Pretraining blocks for PPO-ptx (nil when `ptxCoefficient` is 0).
    public let pretraining: PretrainingBlocks?
    /// An exponential moving average of the policy weights (nil when `emaDecay` is 0).
    public let emaPolicy: GPT?
    /// β and its controller.
    public internal(set) var klController: KLController
    /// Iterations completed.
    public internal(set) var iteration = 0
    /// The source of every random choice: sampling and minibatch shuffles.
    public var generator: SeededGenerator
    /// The ranks training together (one process by default). Each iteration's prompts are sharded across ranks
    /// (contiguous shards of the batch); each rank samples, scores and computes advantages for its episodes, with
    /// whitening, the KL and every batch statistic taken over the whole batch (all-reduced sums and counts), and
    /// every minibatch update is data-parallel: each rank's part of the loss is weighted by its share of the
    /// minibatch's tokens and the gradients are all-reduced. Responses are sampled with `exampleSeeding`, so N
    /// ranks sample the tokens of one process with `exampleSeeding` on. Only rank 0 writes checkpoints.
    public let communicator: any Communicator

    let policyOptimizer: AdamW
    let valueOptimizer: AdamW?
    let schedule: LearningRateSchedule

    /// The keys every iteration reports.
    public static let metricKeys = [
        "objective/reward", "objective/raw_score", "objective/kl", "objective/kl_coef", "objective/entropy",
        "objective/non_score_reward", "policy/clipfrac", "policy/approxkl", "policy/ratio", "loss/policy",
        "loss/value", "loss/ptx", "val/explained_variance", "val/clipfrac", "val/mean", "response/length",
        "response/stopped", "optimizer/learning_rate", "optimizer/gradient_norm", "timing/generation",
        "timing/scoring", "timing/advantages", "timing/training",
    ]

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - config: hyperparameters (validated here).
    ///   - policy: the policy to train (usually the SFT model); trained in place.
    ///   - reference: the frozen reference; default a frozen copy of `policy` as given.
    ///   - critic: default a zero-initialised value head on the policy's trunk.
    ///   - reward: a text reward function or a reward model sharing the policy's tokenizer.
    ///   - tokenizer: encodes text prompts and decodes completions (may be nil for token prompts and a
    ///     `.rewardModel` reward).
    ///   - tokens: pad and stop tokens.
    ///   - pretraining: blocks for PPO-ptx; required when `config.ptxCoefficient > 0`.
    /// - Throws: `ConfigurationError` for bad settings or a missing pretraining source; `OptimizerError`.
    public init(config: PPOConfig, policy: GPT, reference: GPT? = nil, critic: PPOCritic? = nil, reward: RolloutReward,
                tokenizer: (any Tokenizer)?, tokens: TokenConventions, pretraining: PretrainingBlocks? = nil,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        if config.batchSize < communicator.size {
            throw ConfigurationError.invalidValue(field: "batchSize", value: "\(config.batchSize)",
                                                  requirement: "every one of the \(communicator.size) ranks needs at least one episode; use a batchSize of at least \(communicator.size) or fewer ranks")
        }
        self.communicator = communicator
        if config.ptxCoefficient > 0 && pretraining == nil {
            throw ConfigurationError.invalidValue(field: "ptxCoefficient", value: "\(config.ptxCoefficient)",
                                                  requirement: "PPO-ptx needs pretraining data; pass `pretraining:` blocks or set ptxCoefficient to 0")
        }
        if tokens.stopTokens.contains(tokens.padToken) {
            throw ConfigurationError.invalidValue(field: "padToken", value: "\(tokens.padToken)",
                                                  requirement: "it must differ from every stop token \(tokens.stopTokens): padding must be distinguishable from a real, scored stop token (lm-human-preferences and TRL reserve a separate pad id)")
        }
        self.config = config
        self.policy = policy
        self.reference = reference ?? policy.frozenCopy()
        let critic = critic ?? .sharedHead(for: policy)
        self.critic = critic
        self.pretraining = config.ptxCoefficient > 0 ? pretraining : nil
        emaPolicy = config.emaDecay > 0 ? policy.frozenCopy() : nil
        klController = config.initialKLController
        generator = SeededGenerator(seed: config.seed)
        let options = GenerationOptions(maximumNewTokens: config.maximumNewTokens, minimumNewTokens: config.minimumNewTokens,
                                        temperature: config.temperature, topK: config.topK, topP: config.topP)
        collector = PPORolloutCollector(policy: policy, reference: self.reference, critic: critic, reward: reward,
                                        tokenizer: tokenizer, tokens: tokens, options: options,
                                        missingStopPenalty: config.missingStopPenalty)
        let betas = (config.adamBeta1, config.adamBeta2)
        var policyParameters = policy.namedParameters().map { ("policy.\($0.0)", $0.1) }
        if case .sharedHead = critic { policyParameters += critic.namedParameters() }
        policyOptimizer = try AdamW(parameters: policyParameters, learningRate: config.learningRate, betas: betas,
                                    epsilon: config.adamEpsilon, weightDecay: config.weightDecay)
        if case .separate = critic {
            valueOptimizer = try AdamW(parameters: critic.namedParameters(),
                                       learningRate: config.valueLearningRate > 0 ? config.valueLearningRate : config.learningRate,
                                       betas: betas, epsilon: config.adamEpsilon, weightDecay: config.weightDecay)
        } else {
            valueOptimizer = nil
        }
        schedule = config.learningRateDecay.schedule(warmupIterations: config.warmupIterations, iterations: config.iterations)
    }

    /// Every trainable parameter: the policy, then the critic.
    public var trainableParameters: [Variable] {
        policy.parameters() + critic.namedParameters().map(\.1)
    }

    // MARK: - One iteration

    /// One PPO iteration on text prompts (one episode per prompt).
    ///
    /// - Throws: `TrainingError.nonFinite` naming the iteration and the quantity (reward, loss, gradient);
    ///   errors of the model, tokenizer or reward function.
    public func step(prompts: [String]) throws -> PPOStepMetrics {
        try step(promptTokens: collector.encode(prompts: prompts), promptTexts: prompts)
    }

    /// One PPO iteration on left-padded prompt ids `[B, P]`.
    public func step(promptTokens: TokenBatch, promptTexts: [String] = []) throws -> PPOStepMetrics {
        let current = iteration + 1
        let rate = schedule(iteration)
        policyOptimizer.learningRate = config.learningRate * rate
        valueOptimizer?.learningRate = (config.valueLearningRate > 0 ? config.valueLearningRate : config.learningRate) * rate
        let distributed = communicator.size > 1
        let globalBatch = promptTokens.batchSize
        let shard = communicator.shard(of: globalBatch)

        // 1–2. Collect this rank's episodes: sample, then score with the training forward pass, the reference and
        // the reward.
        let localPrompts = distributed ? promptTokens.rows(Array(shard)) : promptTokens
        let localTexts = promptTexts.isEmpty ? [] : Array(promptTexts[shard])
        let rollout: PPORollout
        if config.exampleSeeding || distributed {
            var generators = shard.map { RolloutCollector.episodeGenerator(seed: config.seed, iteration: iteration, index: $0) }
            rollout = try collector.collect(promptTokens: localPrompts, promptTexts: localTexts, rowGenerators: &generators)
        } else {
            rollout = try collector.collect(promptTokens: localPrompts, promptTexts: localTexts, using: &generator)
        }
        let nonFinite = rollout.rawScores.contains { !$0.isFinite }
        if try communicator.any(nonFinite) { throw TrainingError.nonFinite(quantity: "reward", step: current) }

        // 3–4. KL-shaped rewards, advantages and returns (whitened over the whole batch).
        let beta = klController.coefficient
        let advantagesStart = DispatchTime.now().uptimeNanoseconds
        let advantages = try estimateAdvantages(rollout: rollout, klCoefficient: Float(beta), estimator: config.klEstimator,
                                                whitenRewards: config.whitenRewards, gamma: config.gamma, lambda: config.lambda,
                                                communicator: communicator)
        let advantagesSeconds = Double(DispatchTime.now().uptimeNanoseconds - advantagesStart) / 1e9

        // 5. PPO epochs over shuffled minibatches.
        let trainingStart = DispatchTime.now().uptimeNanoseconds
        let update = try self.update(rollout: rollout, advantages: advantages, globalBatchSize: globalBatch, offset: shard.lowerBound)
        let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - trainingStart) / 1e9

        // 6. Metrics (of the whole batch), then the KL controller.
        let mask = rollout.mask
        var m = update.values
        m["objective/kl"] = advantages.meanSequenceKL
        m["objective/kl_coef"] = beta
        m["objective/non_score_reward"] = advantages.meanNonScoreReward
        if distributed {
            let sums = try communicator.allReduceSum([
                rollout.scores.reduce(0) { $0 + Double($1) }, rollout.rawScores.reduce(0) { $0 + Double($1) },
                maskedSum(rollout.entropies, mask: mask), maskedSum(rollout.values, mask: mask), Double(mask.sum()),
                Double(rollout.stopped.filter { $0 }.count), Double(rollout.batchSize),
            ])
            let b = sums[6], tokens = max(sums[4], 1)
            m["objective/reward"] = sums[0] / b
            m["objective/raw_score"] = sums[1] / b
            m["objective/entropy"] = sums[2] / tokens
            m["val/mean"] = sums[3] / tokens
            m["response/length"] = sums[4] / b
            m["response/stopped"] = sums[5] / b
            let returns = try maskedMoments(advantages.returns, mask: mask, unbiased: false, communicator: communicator)
            let residual = try maskedMoments(advantages.returns - rollout.values, mask: mask, unbiased: false, communicator: communicator)
            m["val/explained_variance"] = returns.variance == 0 ? .nan : 1 - residual.variance / returns.variance
        } else {
            let b = Double(rollout.batchSize)
            m["objective/reward"] = rollout.scores.reduce(0) { $0 + Double($1) } / b
            m["objective/raw_score"] = rollout.rawScores.reduce(0) { $0 + Double($1) } / b
            m["objective/entropy"] = maskedMean(rollout.entropies, mask: mask)
            m["val/explained_variance"] = explainedVariance(values: rollout.values, returns: advantages.returns, mask: mask)
            m["val/mean"] = maskedMean(rollout.values, mask: mask)
            m["response/length"] = Double(mask.sum()) / b
            m["response/stopped"] = Double(rollout.stopped.filter { $0 }.count) / b
        }
        m["optimizer/learning_rate"] = Double(policyOptimizer.learningRate)
        m["timing/generation"] = collector.lastTimings.generation
        m["timing/scoring"] = collector.lastTimings.scoring
        m["timing/advantages"] = advantagesSeconds
        m["timing/training"] = trainingSeconds
        klController.update(currentKL: advantages.meanSequenceKL, episodes: globalBatch)
        iteration += 1
        lastRollout = rollout
        return PPOStepMetrics(values: m)
    }

    /// The rollout of the last completed iteration (for samples and inspection).
    public private(set) var lastRollout: PPORollout?

    /// Step 5: `epochs` passes over shuffled minibatches of the rollout, one optimizer step per minibatch, with
    /// micro-batch gradient accumulation and (for PPO-ptx) one pretraining batch per minibatch.
    ///
    /// - Returns: metrics averaged over the minibatches (`loss/*`, `policy/*`, `val/clipfrac`,
    ///   `optimizer/gradient_norm`).
    /// - Throws: `TrainingError.nonFinite` for a NaN or infinite loss or gradient, before the optimizer step.
    public func update(rollout: PPORollout, advantages: PPOAdvantages) throws -> PPOStepMetrics {
        try update(rollout: rollout, advantages: advantages, globalBatchSize: rollout.batchSize, offset: 0)
    }

    /// The PPO epochs over a batch of `globalBatchSize` episodes of which `rollout` holds this rank's, the
    /// episodes `offset ..< offset + rollout.batchSize`. The minibatches are drawn over the whole batch (the same
    /// permutation on every rank); each rank backpropagates its episodes of each, weighted by their share of the
    /// minibatch's tokens, and the gradients are all-reduced before every optimizer step.
    func update(rollout: PPORollout, advantages: PPOAdvantages, globalBatchSize: Int, offset: Int) throws -> PPOStepMetrics {
        let current = iteration + 1
        let b = globalBatchSize
        let local = offset..<(offset + rollout.batchSize)
        let summedKeys = ["loss/policy", "loss/value", "policy/approxkl", "policy/clipfrac", "policy/ratio", "val/clipfrac"]
        let miniBatchSize = min(config.effectiveMiniBatchSize, b)
        precondition(b % miniBatchSize == 0, "update: \(b) episodes do not split into minibatches of \(miniBatchSize)")
        var sums: [String: Double] = [:]
        var count = 0.0
        for _ in 0..<config.epochs {
            var order = Array(0..<b)
            order.shuffle(using: &generator)
            for start in stride(from: 0, to: b, by: miniBatchSize) {
                let rows = Array(order[start..<(start + miniBatchSize)])
                zeroGradients()
                var stats: [String: Double]
                if communicator.size == 1 {
                    stats = try accumulateGradients(rollout: rollout, advantages: advantages, episodes: rows,
                                                    microBatchSize: min(config.effectiveMicroBatchSize, miniBatchSize), iteration: current)
                } else {
                    // This rank's episodes of the minibatch, weighted by their share of its tokens.
                    let mine = rows.filter { local.contains($0) }.map { $0 - offset }
                    let localTokens = mine.reduce(0.0) { $0 + rollout.responseTokenCount(row: $1) }
                    let totalTokens = try communicator.allReduceSum([localTokens])[0]
                    let partial = mine.isEmpty ? [:] : try accumulateGradients(
                        rollout: rollout, advantages: advantages, episodes: mine,
                        microBatchSize: min(config.effectiveMicroBatchSize, miniBatchSize), iteration: current, totalTokens: totalTokens)
                    let sums = try communicator.allReduceSum(summedKeys.map { partial[$0] ?? 0 })
                    stats = Dictionary(uniqueKeysWithValues: zip(summedKeys, sums))
                }
                if let pretraining {
                    // The same blocks on every rank, each rank's gradient weighted 1/size.
                    let batch = pretraining.next(count: config.ptxBatchSize)
                    let ptx = try policy.languageModelLoss(batch)
                    guard ptx.value.item.isFinite else { throw TrainingError.nonFinite(quantity: "loss/ptx", step: current) }
                    try (ptx * (config.ptxCoefficient / Float(communicator.size))).backward()
                    stats["loss/ptx"] = Double(ptx.value.item)
                } else {
                    stats["loss/ptx"] = 0
                }
                let parameters = trainableParameters
                try communicator.allReduceGradients(parameters, weight: 1)
                let norm = config.maximumGradientNorm > 0
                    ? clipGradientNorm(parameters, maxNorm: config.maximumGradientNorm)
                    : gradientNorm(parameters)
                guard norm.isFinite else { throw TrainingError.nonFinite(quantity: "gradient", step: current) }
                stats["optimizer/gradient_norm"] = Double(norm)
                policyOptimizer.step()
                valueOptimizer?.step()
                zeroGradients()
                updateEMA()
                for (k, v) in stats { sums[k, default: 0] += v }
                count += 1
            }
        }
        return PPOStepMetrics(values: sums.mapValues { $0 / count })
    }

    /// Forward and backward passes over `episodes` in micro-batches of `microBatchSize`, accumulating into the
    /// parameters' gradients the gradient of the token-mean loss over all of `episodes`: each micro-batch's
    /// loss is weighted by its share of the real tokens, so the result equals one pass over the whole set.
    ///
    /// Does not zero gradients first, and takes no optimizer step.
    ///
    /// - Returns: token-weighted `loss/policy`, `loss/value`, `policy/clipfrac`, `policy/approxkl`,
    ///   `policy/ratio` and `val/clipfrac` over the episodes.
    /// - Throws: `TrainingError.nonFinite` for a NaN or infinite loss.
    public func accumulateGradients(rollout: PPORollout, advantages: PPOAdvantages, episodes: [Int],
                                    microBatchSize: Int, iteration: Int? = nil, totalTokens: Double? = nil) throws -> [String: Double] {
        let step = iteration ?? self.iteration + 1
        let totalTokens = totalTokens ?? episodes.reduce(0.0) { $0 + rollout.responseTokenCount(row: $1) }
        var stats: [String: Double] = [:]
        for start in stride(from: 0, to: episodes.count, by: microBatchSize) {
            let rows = Array(episodes[start..<min(start + microBatchSize, episodes.count)])
            let part = rollout.episodes(rows)
            let partAdvantages = advantages.episodes(rows, width: part.responses.length)
            let loss = try ppoLoss(policy: policy, critic: critic, rollout: part, advantages: partAdvantages,
                                   temperature: config.temperature, clipRange: config.clipRange,
                                   valueClipRange: config.valueClipRange, valueCoefficient: config.valueCoefficient,
                                   minimumNewTokens: config.minimumNewTokens, stopTokens: collector.options.stopTokens)
            guard loss.total.value.item.isFinite else { throw TrainingError.nonFinite(quantity: "loss", step: step) }
            let share = Double(loss.tokenCount) / max(totalTokens, 1)
            try (loss.total * Float(share)).backward()
            stats["loss/policy", default: 0] += share * Double(loss.policy.loss.value.item)
            stats["loss/value", default: 0] += share * Double(loss.value.value.item)
            stats["policy/clipfrac", default: 0] += share * loss.policy.clipFraction
            stats["policy/approxkl", default: 0] += share * loss.policy.approximateKL
            stats["policy/ratio", default: 0] += share * loss.policy.meanRatio
            stats["val/clipfrac", default: 0] += share * loss.valueClipFraction
        }
        return stats
    }

    func zeroGradients() {
        for p in trainableParameters { p.zeroGradient() }
    }

    /// ema ← d·ema + (1 − d)·policy.
    func updateEMA() {
        guard let emaPolicy else { return }
        let d = config.emaDecay
        for ((_, e), (_, p)) in zip(emaPolicy.namedParameters(), policy.namedParameters()) {
            let source = p.value
            source.withUnsafeBufferPointer { ps in
                e.value.withUnsafeMutableBufferPointer { pe in
                    for i in 0..<pe.count { pe[i] = d * pe[i] + (1 - d) * ps[i] }
                }
            }
        }
    }

    // MARK: - Training loop

    /// The prompt indices of iteration `iteration` (0-based): consecutive slices of a stream of seeded
    /// permutations of `0..<promptCount`, one permutation per pass. Depends only on the seed and the
    /// iteration, so a resumed run sees the same prompts.
    public func promptIndices(iteration: Int, promptCount: Int) -> [Int] {
        precondition(promptCount > 0, "promptIndices needs at least one prompt")
        var cachedPass = -1
        var permutation: [Int] = []
        return (0..<config.batchSize).map { k in
            let position = iteration * config.batchSize + k
            let pass = position / promptCount
            if pass != cachedPass {
                var rng = SeededGenerator(seed: config.seed &+ 0x5EED_0000 &+ UInt64(pass))
                permutation = Array(0..<promptCount)
                permutation.shuffle(using: &rng)
                cachedPass = pass
            }
            return permutation[position % promptCount]
        }
    }

    /// Runs iterations until `config.iterations` are done or the callback answers `.stop`.
    ///
    /// Reports `.step` after each iteration, `.warning` when the mean KL is below −0.2 nats (a sign of broken
    /// or biased sampling), and `.checkpoint` after each checkpoint. With a checkpoint directory, checkpoints are written
    /// every `checkpointEvery` iterations (0 = only at the end), when stopped, and at the end; the last
    /// `keepCheckpoints` are kept. A failed iteration throws without writing a checkpoint, so the last good
    /// one stays the latest.
    ///
    /// - Throws: `TrainingError.emptyData` for no prompts; whatever `step` throws.
    public func train(prompts: [String], checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress) throws {
        guard !prompts.isEmpty else { throw TrainingError.emptyData(what: "the prompt set") }
        func checkpoint() throws -> TrainingDisposition {
            guard let checkpointDirectory else { return .continue }
            let url = communicator.isRoot ? try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                : checkpointDirectory.appendingPathComponent(CheckpointFolder.name(step: iteration))
            return try communicator.agree(progress(.checkpoint(step: iteration, path: url.path)))
        }
        while iteration < config.iterations {
            let indices = promptIndices(iteration: iteration, promptCount: prompts.count)
            let metrics = try step(prompts: indices.map { prompts[$0] })
            var disposition = try communicator.agree(progress(.step(step: iteration, totalSteps: config.iterations, metrics: metrics.values)))
            // Small negative means are sampling noise while π ≈ π_ref; below -0.2 nats something is biased.
            if let kl = metrics["objective/kl"], kl < -0.2 {
                let cause = "the sampler and the scoring pass may disagree (check temperature and padding)"
                let warning = String(format: "mean KL is negative (%.4f nats) at iteration %d; ", kl, iteration) + cause
                if try communicator.agree(progress(.warning(warning))) == .stop { disposition = .stop }
            }
            if disposition == .stop {
                _ = try checkpoint()
                return
            }
            if checkpointEvery > 0 && iteration % checkpointEvery == 0 && iteration < config.iterations {
                if try checkpoint() == .stop { return }
            }
        }
        _ = try checkpoint()
    }
}
