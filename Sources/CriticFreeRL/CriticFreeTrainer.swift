// CriticFreeTrainer: RLOO (arXiv 2402.14740) and GRPO (arXiv 2402.03300) — several samples per prompt, a baseline
// from the other samples instead of a value model, and a clipped-ratio update. Sampling and scoring are the rollout
// layer's (Rollouts), which has no critic.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import Rollouts
import TensorCore
import Tokenizers
import TrainingCore

/// Which critic-free method, with its settings.
public enum CriticFreeAlgorithm: Sendable {
    case rloo(RLOOConfig)
    case grpo(GRPOConfig)

    /// "rloo" or "grpo".
    public var name: String {
        switch self {
        case .rloo: return "rloo"
        case .grpo: return "grpo"
        }
    }
}

/// The settings both methods share, read from either configuration.
struct SharedSettings {
    var iterations, promptsPerIteration, generations, epochs, microBatchSize, maximumNewTokens: Int
    var klCoefficient: Double
    var clipLow, clipHigh, learningRate, maximumGradientNorm, temperature, missingStopPenalty: Float
    var seed: UInt64
    var exampleSeeding: Bool

    init(_ algorithm: CriticFreeAlgorithm) {
        let c: any CriticFreeConfiguration
        switch algorithm {
        case .rloo(let rloo): c = rloo
        case .grpo(let grpo): c = grpo
        }
        let s = c.shared
        (iterations, promptsPerIteration, generations, epochs, microBatchSize, maximumNewTokens) =
            (s.iterations, s.promptsPerIteration, c.generations, s.epochs, s.microBatchSize, s.maximumNewTokens)
        (klCoefficient, clipLow, clipHigh, learningRate) = (c.klCoefficient, s.clipRange, s.clipRangeHigh > 0 ? s.clipRangeHigh : s.clipRange, s.learningRate)
        (maximumGradientNorm, temperature, missingStopPenalty, seed) = (s.maximumGradientNorm, s.temperature, s.missingStopPenalty, s.seed)
        exampleSeeding = s.exampleSeeding
    }
}

/// Trains a policy with RLOO or GRPO against any reward.
///
/// One iteration: take `promptsPerIteration` prompts (a seeded stream of permutations, so a resumed run sees
/// the same prompts), sample `generations` completions of each with the KV-cache sampler, score them (policy
/// and reference log-probabilities at the sampling temperature, reward with the missing-stop penalty), compute
/// advantages within each prompt's group (RLOO: leave-one-out baseline on the KL-penalised reward; GRPO:
/// group-normalised reward), then `epochs` optimizer steps over the whole batch with micro-batch gradient
/// accumulation. With one step per generation π_old = π, so the ratio is exactly 1 at the step.
///
/// Metrics per iteration: `objective/reward` (mean raw score), `objective/scores` (after the penalty),
/// `objective/kl` (mean sequence KL of the samples from the reference, k1), `objective/zero_std_fraction` (groups
/// whose rewards are all equal: no signal), `objective/advantage_std`, `loss/policy`, `loss/kl`,
/// `policy/clipfrac`, `policy/ratio`, `response/length`, `response/stopped`, `optimizer/gradient_norm`,
/// `timing/generation`, `timing/scoring`, `timing/training`.
///
/// ```swift
/// var config = GRPOConfig()
/// config.iterations = 50
/// let trainer = try CriticFreeTrainer(algorithm: .grpo(config), policy: sft.copy(), reward: .function(gold),
///                                     tokenizer: tokenizer, tokens: .instructionTask)
/// try trainer.train(prompts: prompts) { _ in .continue }
/// ```
public final class CriticFreeTrainer {
    public let algorithm: CriticFreeAlgorithm
    public let policy: GPT
    public let reference: GPT
    /// Generation and scoring (the rollout layer's collector; no critic).
    public let collector: RolloutCollector
    public let optimizer: AdamW
    /// Iterations completed.
    public internal(set) var iteration = 0
    /// The source of every sampling choice.
    public var generator: SeededGenerator
    /// The rollout of the last iteration (for samples and inspection).
    public private(set) var lastRollout: Rollout?
    let settings: SharedSettings
    /// The ranks training together (one process by default). Each iteration's prompts are sharded across ranks,
    /// each prompt's group of completions stays on one rank (the group baselines are local), completions are
    /// sampled with per-completion seeds (`exampleSeeding`), batch statistics (RLOO's normalisation, GRPO's batch
    /// scaling and token counts) are all-reduced, and the gradients of every update are all-reduced, so N ranks
    /// train the run of one process with `exampleSeeding` (GRPO's bnpo aggregation excepted: it normalises per
    /// micro-batch). Only rank 0 writes checkpoints.
    public let communicator: any Communicator

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - algorithm: RLOO or GRPO with its configuration (validated here).
    ///   - policy: the policy to train (usually the SFT model), in place.
    ///   - reference: π_ref; default a frozen copy of `policy` as given.
    ///   - reward: a text reward function or a reward model sharing the policy's tokenizer.
    ///   - tokenizer: encodes prompts and decodes completions.
    ///   - tokens: pad and stop tokens.
    /// - Throws: `ConfigurationError` for bad settings or PAD equal to a stop token; `OptimizerError`.
    public init(algorithm: CriticFreeAlgorithm, policy: GPT, reference: GPT? = nil, reward: RolloutReward,
                tokenizer: (any Tokenizer)?, tokens: TokenConventions,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        switch algorithm {
        case .rloo(let c): try c.validate()
        case .grpo(let c): try c.validate()
        }
        if tokens.stopTokens.contains(tokens.padToken) {
            throw ConfigurationError.invalidValue(field: "padToken", value: "\(tokens.padToken)",
                                                  requirement: "it must differ from every stop token \(tokens.stopTokens): padding must be distinguishable from a real, scored stop token (lm-human-preferences and TRL reserve a separate pad id)")
        }
        self.algorithm = algorithm
        settings = SharedSettings(algorithm)
        if settings.promptsPerIteration < communicator.size {
            throw ConfigurationError.invalidValue(field: "promptsPerIteration", value: "\(settings.promptsPerIteration)",
                                                  requirement: "every one of the \(communicator.size) ranks needs at least one prompt; use at least \(communicator.size) prompts per iteration or fewer ranks")
        }
        self.communicator = communicator
        self.policy = policy
        self.reference = reference ?? policy.frozenCopy()
        generator = SeededGenerator(seed: settings.seed)
        let options = GenerationOptions(maximumNewTokens: settings.maximumNewTokens, temperature: settings.temperature)
        collector = RolloutCollector(policy: policy, reference: self.reference, reward: reward,
                                     tokenizer: tokenizer, tokens: tokens, options: options,
                                     missingStopPenalty: settings.missingStopPenalty)
        optimizer = try AdamW(parameters: policy.namedParameters(), learningRate: settings.learningRate, weightDecay: 0)
    }

    /// Episodes per iteration: `promptsPerIteration · generations`.
    public var batchSize: Int { settings.promptsPerIteration * settings.generations }

    /// The prompt indices of iteration `iteration` (0-based), before repetition: consecutive slices of seeded
    /// permutations of `0..<promptCount`.
    public func promptIndices(iteration: Int, promptCount: Int) -> [Int] {
        precondition(promptCount > 0, "promptIndices needs at least one prompt")
        let k = settings.promptsPerIteration
        var cachedPass = -1
        var permutation: [Int] = []
        return (0..<k).map { j in
            let position = iteration * k + j
            let pass = position / promptCount
            if pass != cachedPass {
                var rng = SeededGenerator(seed: settings.seed &+ 0x5EED_0000 &+ UInt64(pass))
                permutation = Array(0..<promptCount)
                permutation.shuffle(using: &rng)
                cachedPass = pass
            }
            return permutation[position % promptCount]
        }
    }

    /// The advantages of a scored rollout whose episodes come in groups of `generations`.
    ///
    /// - Returns: per-episode advantages, the sequence rewards they were computed from, and each episode's
    ///   sequence KL (k1) from the reference.
    public func advantages(for rollout: Rollout) -> (advantages: [Float], rewards: [Float], kl: [Float]) {
        let b = rollout.batchSize, r = rollout.responses.length
        let lp = rollout.logProbabilities.scalars, ref = rollout.referenceLogProbabilities.scalars, m = rollout.mask.scalars
        let kl: [Float] = (0..<b).map { row in
            (0..<r).reduce(Float(0)) { $0 + (m[row * r + $1] != 0 ? lp[row * r + $1] - ref[row * r + $1] : 0) }
        }
        switch algorithm {
        case .rloo(let c):
            let rewards = zip(rollout.scores, kl).map { $0 - Float(c.klCoefficient) * $1 }
            return (leaveOneOutAdvantages(rewards: rewards, groupSize: c.generations, normalize: c.normalizeAdvantages), rewards, kl)
        case .grpo(let c):
            return (groupNormalizedAdvantages(rewards: rollout.scores, groupSize: c.generations, scaling: c.scaleRewards),
                    rollout.scores, kl)
        }
    }

    /// `advantages(for:)` of this rank's groups, with the batch-wide statistics (RLOO's normalisation, GRPO's
    /// batch scaling) over every rank's.
    func distributedAdvantages(for rollout: Rollout) throws -> (advantages: [Float], rewards: [Float], kl: [Float]) {
        guard communicator.size > 1 else { return advantages(for: rollout) }
        let b = rollout.batchSize, r = rollout.responses.length
        let lp = rollout.logProbabilities.scalars, ref = rollout.referenceLogProbabilities.scalars, m = rollout.mask.scalars
        let kl: [Float] = (0..<b).map { row in
            (0..<r).reduce(Float(0)) { $0 + (m[row * r + $1] != 0 ? lp[row * r + $1] - ref[row * r + $1] : 0) }
        }
        // The mean and Bessel-corrected standard deviation of `x` over all ranks.
        func moments(_ x: [Float]) throws -> (mean: Double, std: Double) {
            let sums = try communicator.allReduceSum([x.reduce(0.0) { $0 + Double($1) }, x.reduce(0.0) { $0 + Double($1) * Double($1) },
                                                      Double(x.count)])
            let mean = sums[0] / max(sums[2], 1)
            let variance = sums[2] > 1 ? max(0, sums[1] - sums[2] * mean * mean) / (sums[2] - 1) : 0
            return (mean, variance.squareRoot())
        }
        switch algorithm {
        case .rloo(let c):
            let rewards = zip(rollout.scores, kl).map { $0 - Float(c.klCoefficient) * $1 }
            var advantages = leaveOneOutAdvantages(rewards: rewards, groupSize: c.generations, normalize: false)
            if c.normalizeAdvantages {
                let (mean, std) = try moments(advantages)
                advantages = advantages.map { Float((Double($0) - mean) / (std + 1e-4)) }
            }
            return (advantages, rewards, kl)
        case .grpo(let c):
            guard c.scaleRewards == .batch else {
                return (groupNormalizedAdvantages(rewards: rollout.scores, groupSize: c.generations, scaling: c.scaleRewards),
                        rollout.scores, kl)
            }
            let (_, std) = try moments(rollout.scores)
            let centred = groupNormalizedAdvantages(rewards: rollout.scores, groupSize: c.generations, scaling: .none)
            return (centred.map { Float(Double($0) / (std + 1e-4)) }, rollout.scores, kl)
        }
    }

    /// One iteration on the given distinct prompts (each sampled `generations` times).
    ///
    /// - Throws: `TrainingError.nonFinite` for a NaN reward, loss or gradient (before any update); model, tokenizer
    ///   and reward errors.
    public func step(prompts: [String]) throws -> [String: Double] {
        let current = iteration + 1
        let g = settings.generations
        let distributed = communicator.size > 1
        // This rank's prompts, each with its whole group of completions.
        let shard = communicator.shard(of: prompts.count)
        let repeated = prompts[shard].flatMap { [String](repeating: $0, count: g) }
        let rollout: Rollout
        if settings.exampleSeeding || distributed {
            var generators = (shard.lowerBound * g..<shard.upperBound * g).map {
                RolloutCollector.episodeGenerator(seed: settings.seed, iteration: iteration, index: $0)
            }
            rollout = try collector.collect(promptTokens: collector.encode(prompts: repeated), promptTexts: repeated,
                                            rowGenerators: &generators)
        } else {
            rollout = try collector.collect(prompts: repeated, using: &generator)
        }
        if try communicator.any(!rollout.rawScores.allSatisfy(\.isFinite)) {
            throw TrainingError.nonFinite(quantity: "reward", step: current)
        }
        let (advantages, _, kl) = try distributedAdvantages(for: rollout)
        let globalBatch = prompts.count * g

        let trainingStart = DispatchTime.now().uptimeNanoseconds
        var sums: [String: Double] = [:]
        for _ in 0..<settings.epochs {
            let stats = try update(rollout: rollout, advantages: advantages, iteration: current, globalBatchSize: globalBatch)
            for (k, v) in stats { sums[k, default: 0] += v / Double(settings.epochs) }
        }
        let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - trainingStart) / 1e9

        var zeroStd = 0
        for start in stride(from: 0, to: rollout.batchSize, by: g) {
            let group = rollout.scores[start..<(start + g)]
            if group.allSatisfy({ $0 == group.first! }) { zeroStd += 1 }
        }
        var m = sums
        if distributed {
            let totals = try communicator.allReduceSum([
                rollout.rawScores.reduce(0) { $0 + Double($1) }, rollout.scores.reduce(0) { $0 + Double($1) },
                kl.reduce(0) { $0 + Double($1) }, Double(zeroStd), Double(rollout.mask.sum()),
                Double(rollout.stopped.filter { $0 }.count), advantages.reduce(0.0) { $0 + Double($1) },
                advantages.reduce(0.0) { $0 + Double($1) * Double($1) },
            ])
            let b = Double(globalBatch), mean = totals[6] / b
            m["objective/reward"] = totals[0] / b
            m["objective/scores"] = totals[1] / b
            m["objective/kl"] = totals[2] / b
            m["objective/zero_std_fraction"] = totals[3] / Double(prompts.count)
            m["objective/advantage_std"] = b > 1 ? (max(0, totals[7] - b * mean * mean) / (b - 1)).squareRoot() : 0
            m["response/length"] = totals[4] / b
            m["response/stopped"] = totals[5] / b
        } else {
            let b = Double(rollout.batchSize)
            m["objective/reward"] = rollout.rawScores.reduce(0) { $0 + Double($1) } / b
            m["objective/scores"] = rollout.scores.reduce(0) { $0 + Double($1) } / b
            m["objective/kl"] = kl.reduce(0) { $0 + Double($1) } / b
            m["objective/zero_std_fraction"] = Double(zeroStd) / Double(prompts.count)
            m["objective/advantage_std"] = standardDeviation(advantages[...])
            m["response/length"] = Double(rollout.mask.sum()) / b
            m["response/stopped"] = Double(rollout.stopped.filter { $0 }.count) / b
        }
        m["optimizer/learning_rate"] = Double(optimizer.learningRate)
        m["timing/generation"] = collector.lastTimings.generation
        m["timing/scoring"] = collector.lastTimings.scoring
        m["timing/training"] = trainingSeconds
        iteration += 1
        lastRollout = rollout
        return m
    }

    /// One optimizer step over the whole rollout, accumulating micro-batch gradients.
    func update(rollout: Rollout, advantages: [Float], iteration current: Int, globalBatchSize: Int) throws -> [String: Double] {
        let localBatch = rollout.batchSize
        let b = globalBatchSize
        let micro = min(settings.microBatchSize, localBatch)
        // The loss weights' denominators are the whole batch's (sums over ranks).
        let counts = try communicator.allReduceSum([Double(rollout.mask.sum()), Double((localBatch + micro - 1) / micro)])
        let totalTokens = counts[0]
        let microBatchCount = Int(counts[1])
        optimizer.zeroGradients()
        var stats: [String: Double] = [:]
        for start in stride(from: 0, to: localBatch, by: micro) {
            let rows = Array(start..<min(start + micro, localBatch))
            let part = rollout.episodes(rows)
            let partAdvantages = rows.map { advantages[$0] }
            let scores = try policy.scoreResponses(prompts: part.prompts, responses: part.responses,
                                                   temperature: settings.temperature, computeEntropies: false)
            let result: CriticFreeLossResult
            switch algorithm {
            case .rloo:
                result = rlooLoss(logProbabilities: scores.logProbabilities, oldLogProbabilities: part.logProbabilities,
                                  advantages: partAdvantages, mask: part.mask, sequenceWeight: 1 / Float(b),
                                  clipLow: settings.clipLow, clipHigh: settings.clipHigh)
            case .grpo(let c):
                let weights = grpoTokenWeights(mask: part.mask, aggregation: c.lossAggregation, totalSequences: b, totalTokens: totalTokens,
                                               microBatchCount: microBatchCount, maximumCompletionLength: c.maximumNewTokens)
                result = grpoLoss(logProbabilities: scores.logProbabilities, oldLogProbabilities: part.logProbabilities,
                                  referenceLogProbabilities: part.referenceLogProbabilities, advantages: partAdvantages,
                                  mask: part.mask, weights: weights, clipLow: settings.clipLow, clipHigh: settings.clipHigh,
                                  klCoefficient: Float(c.klCoefficient))
            }
            guard result.loss.value.item.isFinite else { throw TrainingError.nonFinite(quantity: "loss", step: current) }
            try result.loss.backward()
            let share = Double(rows.count) / Double(b)
            stats["loss/policy", default: 0] += result.policyLoss
            stats["loss/kl", default: 0] += result.klLoss
            stats["policy/clipfrac", default: 0] += share * result.clipFraction
            stats["policy/ratio", default: 0] += share * result.meanRatio
        }
        let parameters = policy.parameters()
        if communicator.size > 1 {
            let keys = ["loss/kl", "loss/policy", "policy/clipfrac", "policy/ratio"]
            let summed = try communicator.allReduceSum(keys.map { stats[$0] ?? 0 })
            for (key, value) in zip(keys, summed) { stats[key] = value }
        }
        try communicator.allReduceGradients(parameters, weight: 1)
        let norm = settings.maximumGradientNorm > 0 ? clipGradientNorm(parameters, maxNorm: settings.maximumGradientNorm)
            : gradientNorm(parameters)
        guard norm.isFinite else { throw TrainingError.nonFinite(quantity: "gradient", step: current) }
        stats["optimizer/gradient_norm"] = Double(norm)
        optimizer.step()
        optimizer.zeroGradients()
        return stats
    }

    /// Runs iterations until `iterations` are done or the callback answers `.stop`.
    ///
    /// Reports `.step` after each iteration and `.checkpoint` after each checkpoint. With a checkpoint directory,
    /// checkpoints are written every `checkpointEvery` iterations (0 = only at the end), when stopped and at the
    /// end; the newest `keepCheckpoints` are kept.
    ///
    /// - Throws: `TrainingError.emptyData` for no prompts; whatever `step` throws.
    public func train(prompts: [String], checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress = { _ in .continue }) throws {
        guard !prompts.isEmpty else { throw TrainingError.emptyData(what: "the prompt set") }
        func checkpoint() throws -> TrainingDisposition {
            guard let checkpointDirectory else { return .continue }
            let url = communicator.isRoot ? try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                : checkpointDirectory.appendingPathComponent(CheckpointFolder.name(step: iteration))
            return try communicator.agree(progress(.checkpoint(step: iteration, path: url.path)))
        }
        while iteration < settings.iterations {
            let indices = promptIndices(iteration: iteration, promptCount: prompts.count)
            let metrics = try step(prompts: indices.map { prompts[$0] })
            if try communicator.agree(progress(.step(step: iteration, totalSteps: settings.iterations, metrics: metrics))) == .stop {
                _ = try checkpoint()
                return
            }
            if checkpointEvery > 0 && iteration % checkpointEvery == 0 && iteration < settings.iterations {
                if try checkpoint() == .stop { return }
            }
        }
        _ = try checkpoint()
    }
}
