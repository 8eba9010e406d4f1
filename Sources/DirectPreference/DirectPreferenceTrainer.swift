// DirectPreferenceTrainer: DPO (sigmoid, hinge, robust), IPO, KTO and ORPO on a GPT policy (as TRL implements them),
// with reference log-probabilities precomputed once, held-out implicit-reward accuracy, events and checkpoints.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import TrainingCore

/// The training data of a ``DirectPreferenceTrainer``.
public enum DirectPreferenceData: Sendable {
    /// Comparisons (DPO, IPO, ORPO; KTO splits each into a desirable and an undesirable example).
    case paired([PreferencePair])
    /// Unpaired labelled examples (KTO only).
    case unpaired([UnpairedExample])

    var count: Int {
        switch self {
        case .paired(let pairs): return pairs.count
        case .unpaired(let examples): return examples.count
        }
    }
}

/// Fine-tunes a policy directly on preferences, without a reward model or sampling.
///
/// Each step takes `batchSize` training items in a seeded order (reshuffled every epoch), scores their
/// completions with one teacher-forced forward pass (chosen and rejected rows together), computes the method's
/// loss from the sequence log-probabilities and the reference's (precomputed once at `init`), clips the gradient
/// norm and takes an AdamW step with linear warm-up and decay. KTO's reference point z is estimated each step on
/// mismatched pairs (each prompt with another example's completion, fixed at `init`), without gradient.
///
/// Metrics per step: `train/loss`, `train/rewards/{chosen,rejected,accuracy,margin}` (implicit rewards),
/// `train/logps/{chosen,rejected}`, `train/grad_norm`, `train/learning_rate`, and ORPO's `train/nll_loss`,
/// `train/log_odds_ratio`, `train/log_odds_chosen` or KTO's `train/kl`. Per evaluation (held-out comparisons):
/// `eval/rewards/{accuracy,margin,chosen,rejected}` and `eval/logps/{chosen,rejected}`.
///
/// ```swift
/// let pairs = try PreferencePair.encode(records, tokenizer: tokenizer, contextLength: 128)
/// let trainer = try DirectPreferenceTrainer(method: .dpo, config: DirectPreferenceConfig(), policy: sft.copy(),
///                                           padToken: 257, training: .paired(pairs), validation: heldOut)
/// try trainer.train { event in print(event); return .continue }
/// ```
public final class DirectPreferenceTrainer {
    public let method: DirectPreferenceMethod
    public let config: DirectPreferenceConfig
    /// The policy being trained (in place).
    public let policy: GPT
    /// The frozen reference π_ref (nil for ORPO).
    public let reference: GPT?
    public let padToken: Int32
    /// Training comparisons (DPO, IPO, ORPO) — empty for KTO.
    public let pairs: [PreferencePair]
    /// Training examples (KTO) — empty otherwise.
    public let examples: [UnpairedExample]
    /// Held-out comparisons for the implicit-reward accuracy.
    public let validation: [PreferencePair]
    public let optimizer: AdamW
    /// The ranks training together (one process by default). Each scores its shard of the reference
    /// log-probabilities once, takes its contiguous shard of every global batch and weights its gradient by its
    /// share of the batch (ORPO: of the chosen tokens and the pairs; KTO's reference point is the global batch's),
    /// so every rank takes the one-process step of the global batch. Only rank 0 writes checkpoints.
    public let communicator: any Communicator
    /// Bytes of gradient this rank all-reduced in the last update (0 in one process).
    public internal(set) var lastAllReducedBytes = 0
    /// Updates taken so far.
    public internal(set) var step = 0

    // Precomputed reference log-probabilities (sums), aligned with pairs / examples / validation.
    let referenceChosen: [Float], referenceRejected: [Float]
    let referenceExamples: [Float], referenceMismatched: [Float]
    let validationReferenceChosen: [Float], validationReferenceRejected: [Float]
    /// KTO: the completion each example's prompt is paired with to estimate z.
    let mismatchedCompletions: [[Int32]]
    // Saved in checkpoints.
    var generator: SeededGenerator
    var order: [Int] = []

    /// Creates a trainer and precomputes the reference log-probabilities.
    ///
    /// - Parameters:
    ///   - method: DPO (with the loss of `config.loss`), KTO or ORPO.
    ///   - config: validated here.
    ///   - policy: the model to train (usually the SFT model), in place.
    ///   - reference: π_ref; default a frozen copy of `policy` as given. Unused by ORPO.
    ///   - padToken: the padding id.
    ///   - training: comparisons, or (KTO only) unpaired examples.
    ///   - validation: held-out comparisons for `evaluate()`.
    /// - Throws: `ConfigurationError`; `TrainingError.emptyData` for no training data; `ConfigurationError.invalidValue` for unpaired data
    ///   given to DPO or ORPO; model errors for bad ids.
    public init(method: DirectPreferenceMethod, config: DirectPreferenceConfig, policy: GPT, reference: GPT? = nil,
                padToken: Int32, training: DirectPreferenceData, validation: [PreferencePair] = [],
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        guard training.count > 0 else { throw TrainingError.emptyData(what: "the preference training set") }
        self.method = method
        self.config = config
        self.policy = policy
        self.padToken = padToken
        self.validation = validation
        self.communicator = communicator
        generator = SeededGenerator(seed: config.seed)
        switch (method, training) {
        case (.kto, .paired(let p)): (pairs, examples) = ([], UnpairedExample.unpaired(p))
        case (.kto, .unpaired(let e)): (pairs, examples) = ([], e)
        case (_, .paired(let p)): (pairs, examples) = (p, [])
        case (_, .unpaired):
            throw ConfigurationError.invalidValue(field: "data", value: "unpaired examples",
                                                  requirement: "\(method.rawValue) trains on comparisons ({\"prompt\",\"chosen\",\"rejected\"}); unpaired examples are for KTO")
        }
        // KTO's mismatched pairs: in a seeded order, each example's prompt gets the next example's completion,
        // cut to fit the context.
        var mismatched: [[Int32]] = []
        if method == .kto {
            var rng = SeededGenerator(seed: config.seed &+ 0x4B54)
            var shuffled = Array(examples.indices)
            shuffled.shuffle(using: &rng)
            mismatched = [[Int32]](repeating: [], count: examples.count)
            let context = policy.config.contextLength
            for (j, i) in shuffled.enumerated() {
                let other = examples[shuffled[(j + 1) % shuffled.count]].completionTokens
                mismatched[i] = Array(other.prefix(max(1, context - examples[i].promptTokens.count)))
            }
        }
        mismatchedCompletions = mismatched
        let frozen: GPT? = method == .orpo ? nil : (reference ?? policy.frozenCopy())
        self.reference = frozen
        func score(_ prompts: [[Int32]], _ completions: [[Int32]]) throws -> [Float] {
            guard let frozen, !prompts.isEmpty else { return [] }
            return try shardedValues(count: prompts.count, communicator: communicator) { range in
                try sequenceLogProbabilityValues(frozen, prompts: Array(prompts[range]), completions: Array(completions[range]),
                                                 padToken: padToken, chunkSize: config.scoringBatchSize)
            }
        }
        referenceChosen = try score(pairs.map(\.promptTokens), pairs.map(\.chosenTokens))
        referenceRejected = try score(pairs.map(\.promptTokens), pairs.map(\.rejectedTokens))
        referenceExamples = try score(examples.map(\.promptTokens), examples.map(\.completionTokens))
        referenceMismatched = try score(examples.map(\.promptTokens), mismatched)
        validationReferenceChosen = try score(validation.map(\.promptTokens), validation.map(\.chosenTokens))
        validationReferenceRejected = try score(validation.map(\.promptTokens), validation.map(\.rejectedTokens))
        optimizer = try AdamW(parameters: policy.namedParameters(), learningRate: Float(config.learningRate),
                              weightDecay: Float(config.weightDecay))
    }

    var trainingCount: Int { max(pairs.count, examples.count) }
    /// Updates per epoch: ⌈items / batchSize⌉ (the last batch of an epoch may be smaller).
    public var stepsPerEpoch: Int { (trainingCount + config.batchSize - 1) / config.batchSize }
    /// Updates of the whole run: `config.steps`, or `epochs · stepsPerEpoch` when it is 0.
    public var totalSteps: Int { config.steps > 0 ? config.steps : config.epochs * stepsPerEpoch }

    /// The learning rate of update `step` (0-based): linear warm-up, then linear decay to 0 at `totalSteps`.
    public func learningRate(atStep step: Int) -> Double {
        let warmup = min(config.warmupSteps, totalSteps)
        if step < warmup { return config.learningRate * Double(step + 1) / Double(warmup) }
        let remaining = Double(totalSteps - step) / Double(max(totalSteps - warmup, 1))
        return config.learningRate * max(0, min(1, remaining))
    }

    /// The item indices of the next update: consecutive slices of a seeded per-epoch permutation.
    func nextIndices() -> [Int] {
        let position = step % stepsPerEpoch
        if position == 0 || order.count != trainingCount {
            order = Array(0..<trainingCount)
            order.shuffle(using: &generator)
        }
        let start = position * config.batchSize
        return Array(order[start..<min(start + config.batchSize, trainingCount)])
    }

    // MARK: - Losses

    /// The method's loss on the training items `indices`, with gradient.
    public func loss(indices: [Int]) throws -> PreferenceLossResult {
        try loss(indices: indices, global: nil)
    }

    /// The loss of a shard of a global batch: ORPO's denominators and KTO's reference point are the global
    /// batch's (`global`, nil for a batch of its own).
    func loss(indices: [Int], global: GlobalBatch?) throws -> PreferenceLossResult {
        switch method {
        case .dpo, .orpo:
            let batch = indices.map { pairs[$0] }
            let n = batch.count
            let (sums, lengths) = try sequenceLogProbabilities(
                policy, prompts: batch.map(\.promptTokens) + batch.map(\.promptTokens),
                completions: batch.map(\.chosenTokens) + batch.map(\.rejectedTokens), padToken: padToken)
            let chosen = sums.slice(axis: 0, 0..<n), rejected = sums.slice(axis: 0, n..<(2 * n))
            if method == .orpo {
                return orpoLoss(policyChosen: chosen, policyRejected: rejected, chosenLengths: Array(lengths[0..<n]),
                                rejectedLengths: Array(lengths[n...]), beta: config.beta,
                                denominators: global.map { (Double(max($0.chosenTokens, 1)), Double($0.count)) })
            }
            return dpoLoss(policyChosen: chosen, policyRejected: rejected, referenceChosen: indices.map { referenceChosen[$0] },
                           referenceRejected: indices.map { referenceRejected[$0] }, chosenLengths: Array(lengths[0..<n]),
                           rejectedLengths: Array(lengths[n...]), beta: config.beta, type: config.loss,
                           labelSmoothing: config.labelSmoothing)
        case .kto:
            let batch = indices.map { examples[$0] }
            let mismatchedPolicy = try sequenceLogProbabilityValues(
                policy, prompts: batch.map(\.promptTokens), completions: indices.map { mismatchedCompletions[$0] },
                padToken: padToken, chunkSize: config.scoringBatchSize)
            let z = global?.ktoReferencePoint
                ?? ktoReferencePoint(policyMismatched: mismatchedPolicy, referenceMismatched: indices.map { referenceMismatched[$0] })
            let (sums, _) = try sequenceLogProbabilities(policy, prompts: batch.map(\.promptTokens),
                                                         completions: batch.map(\.completionTokens), padToken: padToken)
            return ktoLoss(policy: sums, reference: indices.map { referenceExamples[$0] }, desirable: batch.map(\.desirable),
                           referencePoint: z, beta: config.beta, desirableWeight: config.desirableWeight,
                           undesirableWeight: config.undesirableWeight)
        }
    }

    /// One update on the next batch: loss, backward, clipping, AdamW.
    ///
    /// - Returns: the step's metrics.
    /// - Throws: `TrainingError.nonFinite` for a NaN or infinite loss or gradient (no update is applied).
    /// What a rank's shard needs to know of the global batch.
    struct GlobalBatch {
        var count: Int
        var chosenTokens: Int
        var ktoReferencePoint: Double?
    }

    @discardableResult
    public func trainStep() throws -> [String: Double] {
        let globalIndices = nextIndices()
        optimizer.zeroGradients()
        let distributed = communicator.size > 1
        let indices = Array(globalIndices[communicator.shard(of: globalIndices.count)])
        var global: GlobalBatch?
        if distributed {
            let chosenTokens = method == .orpo ? globalIndices.reduce(0) { $0 + pairs[$1].chosenTokens.count } : 0
            var z: Double?
            if method == .kto {
                // z = max(0, mean over the global batch of the mismatched log-ratios): sums over ranks.
                let policyMismatched = indices.isEmpty ? [] : try sequenceLogProbabilityValues(
                    policy, prompts: indices.map { examples[$0].promptTokens }, completions: indices.map { mismatchedCompletions[$0] },
                    padToken: padToken, chunkSize: config.scoringBatchSize)
                let local = zip(policyMismatched, indices).reduce(0.0) { $0 + Double($1.0) - Double(referenceMismatched[$1.1]) }
                z = max(0, try communicator.allReduceSum([local])[0] / Double(globalIndices.count))
            }
            global = GlobalBatch(count: globalIndices.count, chosenTokens: chosenTokens, ktoReferencePoint: z)
        }
        let result = indices.isEmpty ? nil : try loss(indices: indices, global: global)
        // ORPO's shard loss already has the global denominators; DPO's and KTO's are means over the shard.
        let share = distributed && method != .orpo ? Double(indices.count) / Double(globalIndices.count) : 1
        let localValue = result.map { Double($0.loss.value.item) } ?? 0
        // Σ over ranks: the loss, the rewards and their count, correct pairs and margins, the statistics, finiteness.
        var local = [localValue * share, 0, 0, 0, 0, 0, 0, localValue.isFinite ? 0 : 1]
        if let result {
            local[1] = result.chosenRewards.reduce(0, +)
            local[2] = Double(result.chosenRewards.count)
            local[3] = result.rejectedRewards.reduce(0, +)
            local[4] = Double(result.rejectedRewards.count)
            local[5] = Double(zip(result.chosenRewards, result.rejectedRewards).filter { $0 > $1 }.count)
            local[6] = zip(result.chosenRewards, result.rejectedRewards).reduce(0) { $0 + $1.0 - $1.1 }
        }
        let sums = try communicator.allReduceSum(local)
        guard sums[7] == 0 else { throw TrainingError.nonFinite(quantity: "train/loss", step: step + 1) }
        let value = distributed ? sums[0] : localValue
        if let result { try (share == 1 ? result.loss : result.loss * Float(share)).backward() }
        let parameters = policy.parameters()
        lastAllReducedBytes = try communicator.allReduceGradients(parameters, weight: 1)
        let norm = config.maximumGradientNorm > 0
            ? clipGradientNorm(parameters, maxNorm: Float(config.maximumGradientNorm)) : gradientNorm(parameters)
        guard norm.isFinite else { throw TrainingError.nonFinite(quantity: "gradient", step: step + 1) }
        let rate = learningRate(atStep: step)
        optimizer.learningRate = Float(rate)
        optimizer.step()
        optimizer.zeroGradients()
        step += 1
        var metrics: [String: Double] = ["train/loss": value, "train/grad_norm": Double(norm), "train/learning_rate": rate]
        if distributed {
            // The statistics of each shard, weighted by its share of the batch (their global values for means).
            // (The same keys on every rank, so that the buffers match; ORPO's NLL has the global denominator already.)
            let keys = ["kl", "log_odds_chosen", "log_odds_ratio", "nll_loss"]
            let weight = Double(indices.count) / Double(globalIndices.count)
            let statistics = try communicator.allReduceSum(keys.map { (result?.statistics[$0] ?? 0) * ($0 == "nll_loss" ? 1 : weight) })
            let present = try communicator.allReduceSum(keys.map { result?.statistics[$0] != nil ? 1 : 0 })
            for (k, key) in keys.enumerated() where present[k] > 0 { metrics["train/\(key)"] = statistics[k] }
            if sums[2] > 0 { metrics["train/rewards/chosen"] = sums[1] / sums[2] }
            if sums[4] > 0 { metrics["train/rewards/rejected"] = sums[3] / sums[4] }
            if method != .kto && sums[2] > 0 {
                metrics["train/rewards/accuracy"] = sums[5] / sums[2]
                metrics["train/rewards/margin"] = sums[6] / sums[2]
            }
            return metrics
        }
        guard let result else { return metrics }
        func mean(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.reduce(0, +) / Double(x.count) }
        metrics["train/rewards/chosen"] = mean(result.chosenRewards)
        metrics["train/rewards/rejected"] = mean(result.rejectedRewards)
        metrics["train/rewards/accuracy"] = result.rewardAccuracy
        metrics["train/rewards/margin"] = result.rewardMargin
        for (key, v) in result.statistics { metrics["train/\(key)"] = v }
        return metrics
    }

    // MARK: - Evaluation

    /// Implicit rewards of the held-out comparisons under the current policy: `β ρ` (IPO: length-averaged ρ;
    /// ORPO: `β ā`, the length-averaged log-probability).
    ///
    /// - Returns: `eval/rewards/{accuracy,margin,chosen,rejected}` and `eval/logps/{chosen,rejected}` (mean
    ///   sequence log-probabilities), or nil without validation data.
    public func evaluate() throws -> [String: Double]? {
        guard !validation.isEmpty else { return nil }
        let prompts = validation.map(\.promptTokens)
        let chosen = try shardedValues(count: validation.count, communicator: communicator) { range in
            try sequenceLogProbabilityValues(policy, prompts: Array(prompts[range]), completions: validation[range].map(\.chosenTokens),
                                             padToken: padToken, chunkSize: config.scoringBatchSize)
        }
        let rejected = try shardedValues(count: validation.count, communicator: communicator) { range in
            try sequenceLogProbabilityValues(policy, prompts: Array(prompts[range]), completions: validation[range].map(\.rejectedTokens),
                                             padToken: padToken, chunkSize: config.scoringBatchSize)
        }
        var correct = 0.0, margin = 0.0, rewardW = 0.0, rewardL = 0.0
        let averaged = method == .orpo || (method == .dpo && config.loss == .ipo)
        for i in validation.indices {
            let lw = Double(validation[i].chosenTokens.count), ll = Double(validation[i].rejectedTokens.count)
            var w = Double(chosen[i]), l = Double(rejected[i])
            if reference != nil { w -= Double(validationReferenceChosen[i]); l -= Double(validationReferenceRejected[i]) }
            if averaged { w /= lw; l /= ll }
            let rw = config.beta * w, rl = config.beta * l
            if rw > rl { correct += 1 }
            margin += rw - rl
            rewardW += rw
            rewardL += rl
        }
        let n = Double(validation.count)
        return ["eval/rewards/accuracy": correct / n, "eval/rewards/margin": margin / n, "eval/rewards/chosen": rewardW / n,
                "eval/rewards/rejected": rewardL / n,
                "eval/logps/chosen": chosen.reduce(0) { $0 + Double($1) } / n,
                "eval/logps/rejected": rejected.reduce(0) { $0 + Double($1) } / n]
    }

    // MARK: - Loop

    /// Trains until `totalSteps` updates or until `progress` answers `.stop`, continuing from `step` (so a
    /// trainer restored with `resume(from:)` finishes the run).
    ///
    /// Reports `.step` per update, `.evaluation` every `evaluationInterval` steps and after the last (with
    /// validation data), and `.checkpoint` per checkpoint. With a checkpoint directory, checkpoints are written
    /// every `checkpointEvery` updates (0 = only at the end), when stopped and at the end; the newest
    /// `keepCheckpoints` are kept. A failed step throws without writing a checkpoint.
    ///
    /// - Throws: `TrainingError.nonFinite`; model and file errors.
    public func train(checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress = { _ in .continue }) throws {
        if step == 0, let warning = ktoBalanceWarning, progress(.warning(warning)) == .stop { return }
        while step < totalSteps {
            let metrics = try trainStep()
            var disposition = try communicator.agree(progress(.step(step: step, totalSteps: totalSteps, metrics: metrics)))
            let evaluationDue = step == totalSteps || (config.evaluationInterval > 0 && step % config.evaluationInterval == 0)
            if evaluationDue, let evaluation = try evaluate() {
                if try communicator.agree(progress(.evaluation(step: step, metrics: evaluation))) == .stop { disposition = .stop }
            }
            let checkpointDue = step == totalSteps || disposition == .stop || (checkpointEvery > 0 && step % checkpointEvery == 0)
            if let checkpointDirectory, checkpointDue {
                let url = communicator.isRoot ? try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                    : checkpointDirectory.appendingPathComponent(CheckpointFolder.name(step: step))
                if try communicator.agree(progress(.checkpoint(step: step, path: url.path))) == .stop { disposition = .stop }
            }
            if disposition == .stop { return }
        }
    }
}

extension DirectPreferenceTrainer {
    /// KTO: TRL's advice when `λ_D·n_D / (λ_U·n_U)` is outside [1, 4/3] (Ethayarajh et al. 2024, §4.2); nil otherwise.
    public var ktoBalanceWarning: String? {
        guard method == .kto else { return nil }
        let desirable = Double(examples.filter(\.desirable).count), undesirable = Double(examples.count) - desirable
        guard undesirable > 0 else { return "KTO has no undesirable examples; the loss only pushes desirable completions up" }
        let ratio = config.desirableWeight * desirable / (config.undesirableWeight * undesirable)
        guard ratio < 1 || ratio > 4.0 / 3 else { return nil }
        return String(format: "KTO: desirableWeight·#desirable / (undesirableWeight·#undesirable) = %.3f is outside [1, 4/3]; adjust desirableWeight or undesirableWeight", ratio)
    }
}

/// `compute(range)` for this rank's shard of `count` items, gathered on every rank with one all-reduce (every
/// rank must call it together); in one process, `compute(0..<count)`.
func shardedValues(count: Int, communicator: any Communicator, _ compute: (Range<Int>) throws -> [Float]) throws -> [Float] {
    guard communicator.size > 1 else { return try compute(0..<count) }
    let mine = communicator.shard(of: count)
    var all = [Float](repeating: 0, count: count)
    if !mine.isEmpty {
        for (i, value) in zip(mine, try compute(mine)) { all[i] = value }
    }
    return try communicator.allReduceSum(all)
}
