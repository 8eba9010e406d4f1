// RewardModelTrainer: a reward model trained on human (here: simulated) comparisons with the Bradley–Terry loss
// and InstructGPT's K-choose-2 batching, then normalised on reference outputs
// (Ouyang et al. 2022, arXiv 2203.02155, §3.5 eq. 1 and the normalisation of the same section).
import Distributed
import Foundation
import Evaluation
import LanguageModels
import NeuralNetworks
import TensorCore
import TrainingCore

/// Held-out agreement of a reward model with comparisons.
public struct RewardModelEvaluation: Equatable, Sendable {
    /// Pairwise accuracy `mean 1[r_w > r_l]` with a bootstrap interval over pairs.
    public var accuracy: ConfidenceInterval
    /// Mean margin `mean (r_w − r_l)` (raw scores) with a bootstrap interval.
    public var meanMargin: ConfidenceInterval
    /// The number of pairs.
    public var pairCount: Int
}

/// The outcome of `RewardModelTrainer.train(progress:)`.
public struct RewardModelResult: Equatable, Sendable {
    public var steps: Int
    public var finalTrainingLoss: Double
    /// Held-out evaluation after training (nil without validation data).
    public var evaluation: RewardModelEvaluation?
}

/// Trains a ``LanguageModels/RewardModel`` on comparisons.
///
/// Each update takes `batchSize` prompts. All compared completions of a prompt are scored in one forward pass and
/// all C(K,2) pairs of that prompt enter the loss with weight 1/C(K,2) (InstructGPT §3.5), so a ranking of K
/// completions counts as one example rather than C(K,2) correlated ones. Pairwise data is the case K = 2.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = RewardModel(trunk: sftModel.copy(), using: &rng)
/// let groups = try ComparisonGroup.encode(preferences, tokenizer: tokenizer, contextLength: 96)
/// let trainer = try RewardModelTrainer(model: model, config: RewardModelConfig(), padToken: 257, training: groups)
/// try trainer.train()
/// let normalizer = try trainer.fitNormalizer(references: referenceExamples)
/// ```
///
/// Metrics: `reward/loss`, `reward/accuracy` (training batch), `reward/margin`, `reward/grad_norm`,
/// `reward/learning_rate` per step; `reward/validation_accuracy` and `reward/validation_margin` per evaluation.
public final class RewardModelTrainer {
    public let model: RewardModel
    public let config: RewardModelConfig
    public let padToken: Int32
    public let trainingGroups: [ComparisonGroup]
    public let validationGroups: [ComparisonGroup]
    public let optimizer: AdamW
    /// The ranks training together (one process by default): each takes its contiguous shard of the comparison
    /// groups of every global batch, and its gradient is weighted by its share of the batch's pair weight (and,
    /// for the centring term, of its pairs), so every rank takes the one-process step of the global batch. Only
    /// rank 0 writes checkpoints. An auxiliary loss is computed whole on every rank and weighted 1/size.
    public let communicator: any Communicator
    /// Bytes of gradient this rank all-reduced in the last update (0 in one process).
    public internal(set) var lastAllReducedBytes = 0
    /// Updates taken so far.
    public internal(set) var step = 0
    /// The planned number of updates: `ceil(groups / batchSize) · epochs`.
    public let totalSteps: Int
    /// The training loss of the last update (nil before the first).
    public internal(set) var lastTrainingLoss: Double?
    // Saved in checkpoints (RewardModelTrainer+Checkpoint.swift).
    var generator: SeededGenerator
    private let schedule: LearningRateSchedule
    var epochOrder: [Int] = []
    var cursor = 0
    /// Parameters outside the reward model that the extra loss term trains (given at `init`).
    public let auxiliaryParameters: [(String, Variable)]
    /// An extra term added to each step's Bradley–Terry loss, e.g. RLP's λ·L_M on policy samples: called once per
    /// update with the step index (0-based), it returns the (already weighted) differentiable term and metrics to
    /// report. Its gradients flow into the reward model and into `auxiliaryParameters`, which the optimizer updates
    /// and the gradient clipping includes. Default nil (plain Bradley–Terry training).
    public var auxiliaryLoss: ((_ step: Int) throws -> (loss: Variable, metrics: [String: Double]))?

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - model: The reward model, trained in place (typically `RewardModel(trunk: sft.copy(), using:)`).
    ///   - config: The settings (validated here).
    ///   - padToken: The padding id.
    ///   - training: Training comparisons.
    ///   - validation: Held-out comparisons for evaluation during training (optional).
    ///   - auxiliaryParameters: Extra trainable parameters of an `auxiliaryLoss` term, named for the optimizer
    ///     (checkpoints then hold their optimizer state too). Default none.
    /// - Throws: `ConfigurationError` for a bad configuration, `TrainingError.emptyData` for no comparisons.
    public init(model: RewardModel, config: RewardModelConfig, padToken: Int32, training: [ComparisonGroup],
                validation: [ComparisonGroup] = [], auxiliaryParameters: [(String, Variable)] = [],
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        guard !training.isEmpty else { throw TrainingError.emptyData(what: "the reward-model training comparisons") }
        self.model = model
        self.config = config
        self.padToken = padToken
        self.communicator = communicator
        if config.explodeRankings {
            trainingGroups = training.flatMap { g in
                g.pairs.map { ComparisonGroup(promptTokens: g.promptTokens, completionTokens: [g.completionTokens[$0.better], g.completionTokens[$0.worse]]) }
            }
        } else {
            trainingGroups = training
        }
        validationGroups = validation
        totalSteps = config.steps > 0 ? config.steps : (trainingGroups.count + config.batchSize - 1) / config.batchSize * config.epochs
        generator = SeededGenerator(seed: config.seed)
        self.auxiliaryParameters = auxiliaryParameters
        optimizer = try AdamW(parameters: model.namedParameters() + auxiliaryParameters.map { ("auxiliary.\($0.0)", $0.1) }, learningRate: Float(config.learningRate),
                              betas: (0.9, 0.95), weightDecay: Float(config.weightDecay))
        schedule = .warmupCosine(peak: Float(config.learningRate), warmupSteps: min(config.warmupSteps, totalSteps),
                                 totalSteps: totalSteps, minimumRatio: Float(config.minimumLearningRateRatio))
    }

    // MARK: - Steps

    /// The next batch of up to `batchSize` groups (the last batch of an epoch may be smaller), reshuffled per epoch.
    public func nextBatch() -> ComparisonBatch {
        ComparisonBatch(groups: nextBatchGroups(), padToken: padToken, sharePrompts: config.sharePrompts)
    }

    /// This rank's contiguous shard of the groups of the next global batch (nil when it gets none). In one
    /// process, `nextBatch()`.
    public func nextShard() -> ComparisonBatch? {
        let global = nextBatchGroups()
        let mine = Array(global[communicator.shard(of: global.count)])
        return mine.isEmpty ? nil : ComparisonBatch(groups: mine, padToken: padToken, sharePrompts: config.sharePrompts)
    }

    /// The groups of the next global batch (the draw of `nextBatch()`).
    func nextBatchGroups() -> [ComparisonGroup] {
        if cursor >= epochOrder.count {
            epochOrder = Array(trainingGroups.indices)
            epochOrder.shuffle(using: &generator)
            if config.groupByLength { epochOrder = groupedByLength(epochOrder) }
            cursor = 0
        }
        let end = min(cursor + config.batchSize, epochOrder.count)
        let groups = epochOrder[cursor..<end].map { trainingGroups[$0] }
        cursor = end
        return groups
    }

    /// A shuffled epoch reordered so that consecutive batches hold groups of similar length: each window of 16
    /// batches is sorted by row length, cut into batches, and its batches put in a random order (so the run does
    /// not see lengths in a fixed progression). Only whole windows move, so every group stays in its window.
    func groupedByLength(_ order: [Int]) -> [Int] {
        let window = config.batchSize * 16
        let length: (Int) -> Int = config.sharePrompts ? { self.trainingGroups[$0].sharedRowLength }
                                                       : { self.trainingGroups[$0].longestRowLength }
        return stride(from: 0, to: order.count, by: window).flatMap { start -> [Int] in
            // Ties keep their shuffled order (the position breaks them), so equal lengths still mix at random.
            let sorted = order[start..<min(start + window, order.count)].enumerated()
                .sorted { (length($0.element), $0.offset) < (length($1.element), $1.offset) }.map(\.element)
            var batches = stride(from: 0, to: sorted.count, by: config.batchSize).map {
                Array(sorted[$0..<min($0 + config.batchSize, sorted.count)])
            }
            // The window's short last batch stays last, so that only the epoch's final batch can be smaller.
            let last = batches.count > 1 && batches.last!.count < config.batchSize ? batches.removeLast() : nil
            batches.shuffle(using: &generator)
            return batches.flatMap { $0 } + (last ?? [])
        }
    }

    /// The loss of a batch and the scores it was computed from.
    ///
    /// - Returns: The differentiable loss and the `[N]` scores of the batch's completions.
    public func loss(_ batch: ComparisonBatch) throws -> (loss: Variable, scores: Tensor) {
        let scores = try model.rewards(batch.inputs, at: batch.scoredPositions)
        let loss = comparisonLoss(scores: scores, batch: batch, margin: Float(config.margin),
                                  centering: Float(config.centeringCoefficient))
        return (loss, scores.value)
    }

    /// One update on `batch`.
    ///
    /// - Returns: The step's metrics.
    /// - Throws: `TrainingError.nonFinite` when the loss or the gradient is NaN or infinite (no update is applied).
    @discardableResult
    public func trainStep(_ batch: ComparisonBatch?) throws -> [String: Double] {
        optimizer.zeroGradients()
        let distributed = communicator.size > 1
        var btLoss: Variable?, scores: Tensor?, centeringPart: Variable?
        if let batch {
            let scored = try model.rewards(batch.inputs, at: batch.scoredPositions)
            let full = comparisonLoss(scores: scored, batch: batch, margin: Float(config.margin),
                                      centering: Float(config.centeringCoefficient))
            if distributed && config.centeringCoefficient != 0 {
                // The pair-weighted and the pair-mean parts have different global denominators.
                let bt = comparisonLoss(scores: scored, batch: batch, margin: Float(config.margin))
                (btLoss, centeringPart) = (bt, full - bt)
            } else {
                btLoss = full
            }
            scores = scored.value
        }
        var auxiliary: (loss: Variable, metrics: [String: Double])?
        if let auxiliaryLoss { auxiliary = try auxiliaryLoss(step) }
        // Local sums, then global ones: Σ w·loss and Σ w for the pairs, the centring term and its pair count, the
        // correct pairs and the margins, and whether anything was not finite.
        let pairWeight = batch.map { Double($0.pairs.reduce(Float(0)) { $0 + $1.weight }) } ?? 0
        let pairs = Double(batch?.pairs.count ?? 0)
        let bt = btLoss.map { Double($0.value.scalars[0]) } ?? 0
        let centering = centeringPart.map { Double($0.value.scalars[0]) } ?? 0
        var correct = 0.0, marginSum = 0.0
        if let batch, let s = scores?.scalars {
            correct = Double(batch.pairs.filter { s[$0.better] > s[$0.worse] }.count)
            marginSum = batch.pairs.reduce(0.0) { $0 + Double(s[$1.better] - s[$1.worse]) }
        }
        let auxiliaryValue = auxiliary.map { Double($0.loss.value.scalars[0]) } ?? 0
        let finite = bt.isFinite && centering.isFinite && auxiliaryValue.isFinite
        let sums = try communicator.allReduceSum([bt * pairWeight, pairWeight, centering * pairs, pairs, correct, marginSum,
                                                  finite ? 0 : 1])
        guard sums[6] == 0 else { throw TrainingError.nonFinite(quantity: "reward/loss", step: step + 1) }
        let btShare = distributed ? (sums[1] > 0 ? pairWeight / sums[1] : 0) : 1
        let pairShare = distributed ? (sums[3] > 0 ? pairs / sums[3] : 0) : 1
        let btValue = distributed ? (sums[1] > 0 ? sums[0] / sums[1] : 0) + (sums[3] > 0 ? sums[2] / sums[3] : 0) : bt
        var objective: Variable?
        if let btLoss {
            objective = btShare == 1 ? btLoss : btLoss * Float(btShare)
            if let centeringPart { objective = objective! + centeringPart * Float(pairShare) }
        }
        var auxiliaryMetrics: [String: Double] = [:]
        if let auxiliary {
            let weighted = distributed ? auxiliary.loss * (1 / Float(communicator.size)) : auxiliary.loss
            objective = objective.map { $0 + weighted } ?? weighted
            auxiliaryMetrics = auxiliary.metrics
            auxiliaryMetrics["reward/auxiliary_loss"] = auxiliaryValue
            auxiliaryMetrics["reward/bradley_terry_loss"] = btValue
        }
        let value = btValue + auxiliaryValue
        if let objective { try objective.backward() }
        let clipped = model.parameters() + auxiliaryParameters.map(\.1)
        lastAllReducedBytes = try communicator.allReduceGradients(clipped, weight: 1)
        // Measured even without clipping (an infinite bound scales nothing): a finite loss can still have a NaN
        // gradient, and one AdamW step with it would make every later checkpoint NaN.
        let clipping = config.maximumGradientNorm > 0
        let norm = clipGradientNorm(clipped, maxNorm: clipping ? Float(config.maximumGradientNorm) : .infinity)
        guard norm.isFinite else { throw TrainingError.nonFinite(quantity: "reward/grad_norm", step: step + 1) }
        let rate = schedule(step)
        optimizer.learningRate = rate
        optimizer.step()
        step += 1
        lastTrainingLoss = value
        let totalPairs = max(sums[3], 1)
        var metrics = ["reward/loss": value, "reward/accuracy": sums[4] / totalPairs,
                       "reward/margin": sums[5] / totalPairs, "reward/learning_rate": Double(rate)]
        if clipping { metrics["reward/grad_norm"] = Double(norm) }
        metrics.merge(auxiliaryMetrics) { _, new in new }
        return metrics
    }

    // MARK: - Loop

    /// Trains until `totalSteps` updates (or until `progress` answers `.stop`), continuing from `step`, then
    /// evaluates on the validation groups. A trainer restored with `resume(from:)` finishes the run.
    ///
    /// With a checkpoint directory, a checkpoint (`step-NNNNNN`, see `saveCheckpoint(in:keep:)`) is written every
    /// `checkpointEvery` updates (0 = only at the end), when the run is stopped, and after the last update; the
    /// newest `keepCheckpoints` are kept. A run stopped with checkpoints skips the final evaluation (the resumed
    /// run makes it); `result.evaluation` is then nil.
    ///
    /// - Throws: `TrainingError.nonFinite` for a NaN loss or gradient (the last good checkpoint stays the latest), file errors.
    @discardableResult
    public func train(checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress = { _ in .continue }) throws -> RewardModelResult {
        var stopped = false
        while step < totalSteps {
            let metrics = try trainStep(nextShard())
            var disposition = try communicator.agree(progress(.step(step: step, totalSteps: totalSteps, metrics: metrics)))
            if !validationGroups.isEmpty, step % config.evaluationInterval == 0, step < totalSteps {
                let e = try evaluate(validationGroups)
                if try communicator.agree(progress(.evaluation(step: step, metrics: e.metrics))) == .stop { disposition = .stop }
            }
            let due = step == totalSteps || disposition == .stop || (checkpointEvery > 0 && step % checkpointEvery == 0)
            if let checkpointDirectory, due {
                let url = communicator.isRoot ? try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                    : checkpointDirectory.appendingPathComponent(CheckpointFolder.name(step: step))
                if try communicator.agree(progress(.checkpoint(step: step, path: url.path))) == .stop { disposition = .stop }
            }
            if disposition == .stop { stopped = step < totalSteps; break }
        }
        var evaluation: RewardModelEvaluation?
        if !validationGroups.isEmpty && !(stopped && checkpointDirectory != nil) {
            evaluation = try evaluate(validationGroups)
            _ = progress(.evaluation(step: step, metrics: evaluation!.metrics))
        }
        return RewardModelResult(steps: step, finalTrainingLoss: lastTrainingLoss ?? .nan, evaluation: evaluation)
    }

    // MARK: - Scoring and evaluation

    /// Raw rewards of `prompt ‖ completion` rows, in order, without gradients.
    public func scores(_ rows: [[Int32]]) throws -> [Float] {
        try RewardModelTrainer.scores(model: model, rows: rows, padToken: padToken, batchSize: config.scoringBatchSize)
    }

    static func scores(model: RewardModel, rows: [[Int32]], padToken: Int32, batchSize: Int) throws -> [Float] {
        try withoutGradients {
            var out: [Float] = []
            out.reserveCapacity(rows.count)
            var start = 0
            while start < rows.count {
                let chunk = Array(rows[start..<min(start + batchSize, rows.count)])
                out += try model.rewards(TokenBatch(rightPadding: chunk, padToken: padToken)).value.scalars
                start += batchSize
            }
            return out
        }
    }

    /// Pairwise accuracy and mean margin over every pair of `groups`, with bootstrap intervals over pairs.
    public func evaluate(_ groups: [ComparisonGroup]) throws -> RewardModelEvaluation {
        guard !groups.isEmpty else { throw TrainingError.emptyData(what: "the evaluation comparisons") }
        let batch = ComparisonBatch(groups: groups, padToken: padToken)
        let rows = (0..<batch.inputs.batchSize).map { batch.inputs.realTokens(row: $0) }
        let s = try shardedScores(rows)
        let chosen = batch.pairs.map { s[$0.better] }, rejected = batch.pairs.map { s[$0.worse] }
        var rng = SeededGenerator(seed: config.seed &+ 0x5EED)
        let correct = zip(chosen, rejected).map { $0 > $1 ? 1.0 : 0.0 }
        let margins = zip(chosen, rejected).map { Double($0 - $1) }
        return RewardModelEvaluation(
            accuracy: try bootstrapConfidenceInterval(values: correct, resamples: config.bootstrapResamples, using: &rng),
            meanMargin: try bootstrapConfidenceInterval(values: margins, resamples: config.bootstrapResamples, using: &rng),
            pairCount: chosen.count)
    }

    /// Fits the post-training normalisation of `config.normalization` on reference outputs (InstructGPT §3.5; Ziegler
    /// et al. §2): a bias so they score mean 0, or a gain and bias so they score mean 0 and standard deviation 1.
    ///
    /// - Parameter references: `prompt ‖ reference completion` token rows (e.g. demonstrations).
    /// - Returns: The normaliser (identity for `.none`).
    /// `scores(rows)` with the rows shared out among the ranks and the scores gathered with one all-reduce (every
    /// rank must call it together).
    func shardedScores(_ rows: [[Int32]]) throws -> [Float] {
        guard communicator.size > 1 else { return try scores(rows) }
        let mine = communicator.shard(of: rows.count)
        var all = [Float](repeating: 0, count: rows.count)
        let local = try scores(Array(rows[mine]))
        for (i, score) in zip(mine, local) { all[i] = score }
        return try communicator.allReduceSum(all)
    }

    public func fitNormalizer(references: [[Int32]]) throws -> RewardNormalizer {
        guard config.normalization != .none else { return RewardNormalizer() }
        guard !references.isEmpty else { throw TrainingError.emptyData(what: "the reference outputs for reward normalisation") }
        let raw = try scores(references).map(Double.init)
        switch config.normalization {
        case .none: return RewardNormalizer()
        case .referenceMean: return .fitBiasOnly(referenceScores: raw)
        case .referenceMeanAndStandardDeviation: return .fit(samples: raw, targetMean: 0, targetStandardDeviation: 1)
        }
    }
}

extension RewardModelEvaluation {
    /// `reward/validation_accuracy` and `reward/validation_margin` with their interval ends.
    public var metrics: [String: Double] {
        ["reward/validation_accuracy": accuracy.estimate, "reward/validation_accuracy_lower": accuracy.lower,
         "reward/validation_accuracy_upper": accuracy.upper, "reward/validation_margin": meanMargin.estimate]
    }
}
