// SFTTrainer: supervised fine-tuning on demonstrations (InstructGPT's first step, arXiv 2203.02155 §3.5), with a
// validation loss and the best checkpoint kept.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import TrainingCore

/// The outcome of `SFTTrainer.train(progress:)`.
public struct SFTResult: Equatable, Sendable {
    /// Updates taken (fewer than the trainer's `totalSteps` when the progress callback stopped the run).
    public var steps: Int
    /// The last training loss.
    public var finalTrainingLoss: Double
    /// The lowest validation loss seen, and the step it was measured after (nil without validation data).
    public var bestValidationLoss: Double?
    public var bestStep: Int?
    /// Whether the model now holds the best-validation parameters rather than the last ones.
    public var restoredBest: Bool
}

/// Fine-tunes a language model on prompt–completion demonstrations with the completion-only loss.
///
/// Each step draws `batchSize` examples (reshuffled every epoch), computes
/// ``LanguageModels/GPT/supervisedFineTuningLoss(_:)``, clips the gradient norm and takes an AdamW step with
/// linear warm-up and cosine decay. Every `evaluationInterval` steps (and after the last) the token-weighted
/// validation loss is measured; the parameters with the lowest one are kept and, with `keepBestCheckpoint`,
/// restored at the end (InstructGPT selected its SFT model on validation).
///
/// ```swift
/// let examples = try SFTExample.encode(records, tokenizer: tokenizer, contextLength: model.config.contextLength)
/// let trainer = try SFTTrainer(model: model, config: SFTConfig(), padToken: 257, training: examples)
/// let result = try trainer.train { event in print(event); return .continue }
/// ```
///
/// Data parallel: with a ``Distributed/Communicator`` of several ranks, every rank draws the same global batch
/// and trains on its contiguous shard of it (of packed rows, with `packing`); each rank's gradient is weighted by
/// its share of the global batch's supervised tokens before one all-reduce per bucket, so every rank takes the
/// one-process step of the global batch (up to summation order). The validation loss is sharded the same way,
/// the pretraining mix is computed whole on every rank (weighted 1/size), and only rank 0 writes checkpoints.
/// Each row's dropout masks are drawn from a generator seeded by (seed, step, the row's index in the global batch)
/// (`exampleSeeding`), so with dropout too a run of N ranks is the run of one with `exampleSeeding`.
///
/// Metrics: `sft/loss`, `sft/grad_norm`, `sft/learning_rate`, `sft/supervised_tokens` per step;
/// `sft/validation_loss` and `sft/best_validation_loss` per evaluation.
public final class SFTTrainer {
    /// The model being trained (updated in place).
    public let model: GPT
    public let config: SFTConfig
    /// The padding id of the batches.
    public let padToken: Int32
    public let trainingExamples: [SFTExample]
    public let validationExamples: [SFTExample]
    public let optimizer: AdamW
    /// The ranks training together (one process by default).
    public let communicator: any Communicator
    /// Bytes of gradient this rank all-reduced in the last update (0 in one process).
    public internal(set) var lastAllReducedBytes = 0
    /// Draw each row's dropout masks from a generator seeded by (seed, step, the row's index in the global batch),
    /// so that N ranks draw the masks of one process. Always on with more than one rank; off by default in one
    /// process (one generator for the whole batch, as before).
    public var exampleSeeding = false
    /// The global batch rows of the last `nextShard()` (nil after `nextBatch()`).
    var shardRows: Range<Int>?
    /// The pretraining text of the mix (nil when `config.ptxCoefficient` is 0).
    public let pretraining: PretrainingBlocks?
    /// Updates taken so far.
    public internal(set) var step = 0
    public internal(set) var bestValidationLoss: Double?
    public internal(set) var bestStep: Int?
    /// The training loss of the last update (nil before the first).
    public internal(set) var lastTrainingLoss: Double?
    // Everything below is saved in checkpoints (SFTTrainer+Checkpoint.swift).
    var bestParameters: [String: Tensor]?
    var generator: SeededGenerator
    var order: [Int] = []
    var cursor = 0
    private let schedule: LearningRateSchedule
    /// Updates of the whole run: `config.steps`, or ⌈epochs · examples / batchSize⌉ when `config.epochs` is set.
    public let totalSteps: Int

    /// Creates a trainer.
    ///
    /// - Parameters:
    ///   - model: The model to fine-tune, in place.
    ///   - config: The settings (validated here).
    ///   - padToken: The padding id.
    ///   - training: The training examples.
    ///   - validation: Validation examples; when nil, `config.validationFraction` of `training` is held out
    ///     (seeded), and with a fraction of 0 there is no validation.
    ///   - pretraining: Blocks of pretraining text for the mix; required when `config.ptxCoefficient` > 0.
    ///   - communicator: The ranks of a data-parallel job (default: this process alone). Every rank must pass the
    ///     same configuration and data.
    /// - Throws: `ConfigurationError` for a bad configuration or a mix without pretraining blocks,
    ///   `TrainingError.emptyData` for no training examples, `ConfigurationError.tooLong` for an example longer
    ///   than the model's context.
    public init(model: GPT, config: SFTConfig, padToken: Int32, training: [SFTExample],
                validation: [SFTExample]? = nil, pretraining: PretrainingBlocks? = nil,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        if config.ptxCoefficient > 0 && pretraining == nil {
            throw ConfigurationError.invalidValue(field: "ptxCoefficient", value: "\(config.ptxCoefficient)",
                                                  requirement: "the pretraining mix needs pretraining text; pass `pretraining:` blocks (rlft sft: --ptx-data FILE) or set ptxCoefficient to 0")
        }
        self.pretraining = config.ptxCoefficient > 0 ? pretraining : nil
        guard !training.isEmpty else { throw TrainingError.emptyData(what: "the SFT training set") }
        let context = model.config.contextLength
        let examples = training + (validation ?? [])
        if let index = examples.firstIndex(where: { $0.promptTokens.count + $0.completionTokens.count > context }) {
            let length = examples[index].promptTokens.count + examples[index].completionTokens.count
            throw ConfigurationError.tooLong(what: "SFT example \(index + 1)", length: length, limit: context,
                                                fix: "encode the data with SFTExample.encode(_:tokenizer:contextLength:) using the model's context length")
        }
        self.model = model
        self.config = config
        self.padToken = padToken
        self.communicator = communicator
        generator = SeededGenerator(seed: config.seed)
        if let validation {
            trainingExamples = training
            validationExamples = validation
        } else {
            var indices = Array(training.indices)
            indices.shuffle(using: &generator)
            let held = training.count > 1 ? Int((Double(training.count) * config.validationFraction).rounded()) : 0
            validationExamples = indices.prefix(held).map { training[$0] }
            trainingExamples = indices.dropFirst(held).map { training[$0] }
        }
        optimizer = try AdamW(parameters: model.namedParameters(), learningRate: Float(config.learningRate),
                              betas: (Float(config.beta1), Float(config.beta2)), weightDecay: Float(config.weightDecay))
        totalSteps = config.epochs > 0
            ? config.epochs * ((trainingExamples.count + config.batchSize - 1) / config.batchSize) : config.steps
        schedule = .warmupCosine(peak: Float(config.learningRate), warmupSteps: min(config.warmupSteps, totalSteps),
                                 totalSteps: totalSteps, minimumRatio: Float(config.minimumLearningRateRatio))
    }

    // MARK: - Steps

    /// The next training batch, from examples in a seeded order reshuffled each epoch: `batchSize` examples, or
    /// with `packing`, as many examples as fill `batchSize` rows of the context length.
    public func nextBatch() -> SFTBatch {
        let picked = nextExamples()
        shardRows = nil
        let rowLength = model.config.contextLength
        return config.packing
            ? SFTBatch(packing: picked, padToken: padToken, completionOnly: config.completionOnly, rowLength: rowLength)
            : SFTBatch(examples: picked, padToken: padToken, completionOnly: config.completionOnly)
    }

    /// This rank's shard of the next global batch (nil when the global batch has fewer examples, or packed rows,
    /// than there are ranks and this rank gets none). In one process, `nextBatch()`.
    public func nextShard() -> SFTBatch? {
        let picked = nextExamples()
        let rowLength = model.config.contextLength
        if config.packing {
            let rows = SFTBatch.packedRows(picked, rowLength: rowLength)
            shardRows = communicator.shard(of: rows.count)
            let mine = rows[shardRows!].flatMap { $0 }
            return mine.isEmpty ? nil
                : SFTBatch(packing: mine, padToken: padToken, completionOnly: config.completionOnly, rowLength: rowLength)
        }
        shardRows = communicator.shard(of: picked.count)
        let mine = Array(picked[shardRows!])
        return mine.isEmpty ? nil : SFTBatch(examples: mine, padToken: padToken, completionOnly: config.completionOnly)
    }

    /// The examples of the next global batch.
    func nextExamples() -> [SFTExample] {
        var picked: [SFTExample] = []
        let rowLength = model.config.contextLength
        var packedRows = 0, usedInRow = rowLength  // the packing that SFTBatch(packing:) will do
        while config.packing || picked.count < config.batchSize {
            if cursor >= order.count {
                order = Array(trainingExamples.indices)
                order.shuffle(using: &generator)
                cursor = 0
            }
            let next = trainingExamples[order[cursor]]
            if config.packing {
                let n = next.promptTokens.count + next.completionTokens.count
                if usedInRow + n > rowLength {
                    if packedRows == config.batchSize { break }  // it would open a row past the batch
                    (packedRows, usedInRow) = (packedRows + 1, 0)
                }
                usedInRow += n
            }
            picked.append(next)
            cursor += 1
        }
        return picked
    }

    /// One update on `batch`: loss, backward, clipping, AdamW step.
    ///
    /// With several ranks, `batch` is this rank's shard of the global batch (nil for none), and every rank must
    /// call this together: the loss is the global batch's token-weighted mean and the step the same on every rank.
    ///
    /// - Returns: The step's metrics.
    /// - Throws: `TrainingError.nonFinite` when the loss or the gradient is NaN or infinite (no update is applied;
    ///   on every rank), `DistributedError` when a collective fails.
    @discardableResult
    public func trainStep(_ batch: SFTBatch?) throws -> [String: Double] {
        optimizer.zeroGradients()
        var dropout: SeededGenerator? = model.config.dropout > 0 ? generator.split() : nil
        let loss: Variable?
        if let batch, let shared = dropout, exampleSeeding || communicator.size > 1 {
            // Each row's masks from its own generator (rows of the global batch: examples, or packed rows).
            let rows = shardRows ?? 0..<batch.inputs.batchSize
            var rowwise = RowwiseGenerator(rows: rows.map { SeededGenerator(seed: config.seed, step: step, example: $0) }, shared: shared)
            loss = try model.supervisedFineTuningLoss(batch, training: &rowwise)
        } else {
            loss = try batch.map { try model.supervisedFineTuningLoss($0, generator: &dropout) }
        }
        let localValue = loss.map { Double($0.value.scalars[0]) } ?? 0
        let localTokens = Double(batch?.supervisedTokenCount ?? 0)
        // The global token-weighted loss, and whether it is finite on every rank, before anything changes.
        let sums = try communicator.allReduceSum([localValue * localTokens, localTokens, localValue.isFinite ? 0 : 1])
        guard sums[2] == 0 else { throw TrainingError.nonFinite(quantity: "sft/loss", step: step + 1) }
        let globalTokens = sums[1]
        let value = communicator.size == 1 ? localValue : (globalTokens > 0 ? sums[0] / globalTokens : 0)
        let share = communicator.size == 1 ? 1 : (globalTokens > 0 ? localTokens / globalTokens : 0)
        if let loss, share > 0 { try (share == 1 ? loss : loss * Float(share)).backward() }
        var mixLoss: Double?
        if let pretraining {
            // The same blocks on every rank (the mix is small), each rank's gradient weighted 1/size.
            let ptx = try model.languageModelLoss(pretraining.next(count: config.ptxBatchSize))
            mixLoss = Double(ptx.value.item)
            guard mixLoss!.isFinite else { throw TrainingError.nonFinite(quantity: "sft/ptx_loss", step: step + 1) }
            try (ptx * Float(config.ptxCoefficient / Double(communicator.size))).backward()
        }
        lastAllReducedBytes = try communicator.allReduceGradients(model.parameters(), weight: 1)
        // The norm is measured even without clipping (an infinite bound scales nothing): a finite loss can still
        // have a NaN gradient, and one AdamW step with it would make every later checkpoint NaN.
        let clipping = config.maximumGradientNorm > 0
        let norm = clipGradientNorm(model.parameters(), maxNorm: clipping ? Float(config.maximumGradientNorm) : .infinity)
        guard norm.isFinite else { throw TrainingError.nonFinite(quantity: "sft/grad_norm", step: step + 1) }
        let rate = schedule(step)
        optimizer.learningRate = rate
        optimizer.step()
        step += 1
        lastTrainingLoss = value
        var metrics = ["sft/loss": value, "sft/learning_rate": Double(rate),
                       "sft/supervised_tokens": communicator.size == 1 ? localTokens : globalTokens]
        if clipping { metrics["sft/grad_norm"] = Double(norm) }
        if let mixLoss { metrics["sft/ptx_loss"] = mixLoss }
        return metrics
    }

    /// The token-weighted mean loss over the whole validation set (nil when there is none).
    ///
    /// With several ranks, each measures its shard of the validation batches and the sums are all-reduced (every
    /// rank must call this together).
    public func validationLoss() throws -> Double? {
        guard !validationExamples.isEmpty else { return nil }
        let chunks = (validationExamples.count + config.validationBatchSize - 1) / config.validationBatchSize
        let sums = try withoutGradients {
            var total = 0.0, tokens = 0
            for chunkIndex in communicator.shard(of: chunks) {
                let start = chunkIndex * config.validationBatchSize
                let chunk = Array(validationExamples[start..<min(start + config.validationBatchSize, validationExamples.count)])
                let batch = SFTBatch(examples: chunk, padToken: padToken, completionOnly: config.completionOnly)
                let n = batch.supervisedTokenCount
                total += Double(try model.supervisedFineTuningLoss(batch).value.scalars[0]) * Double(n)
                tokens += n
            }
            return try communicator.allReduceSum([total, Double(tokens)])
        }
        return sums[1] > 0 ? sums[0] / sums[1] : nil
    }

    // MARK: - Loop

    /// Trains until `totalSteps` updates (or until `progress` answers `.stop`), continuing from `step`, so a
    /// trainer restored with `resume(from:)` finishes the run.
    ///
    /// With a checkpoint directory, a checkpoint (`step-NNNNNN`, see `saveCheckpoint(in:keep:)`) is written every
    /// `checkpointEvery` updates (0 = only at the end), when the run is stopped, and after the last update — always
    /// before the best-validation parameters are restored — and the newest `keepCheckpoints` are kept.
    ///
    /// - Parameters:
    ///   - checkpointDirectory: where to write checkpoints (nil = none).
    ///   - checkpointEvery: updates between checkpoints.
    ///   - keepCheckpoints: checkpoints kept on disk.
    ///   - progress: Receives a `.step` event per update, an `.evaluation` event per validation and a
    ///     `.checkpoint` event per checkpoint.
    /// - Returns: A summary; the model holds the best-validation parameters when `keepBestCheckpoint` is set.
    /// - Throws: `TrainingError.nonFinite` for a NaN loss or gradient (the last good checkpoint stays the latest), a model
    ///   error for bad input, file errors.
    @discardableResult
    public func train(checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress = { _ in .continue }) throws -> SFTResult {
        while step < totalSteps {
            let metrics = try trainStep(nextShard())
            var disposition = try communicator.agree(progress(.step(step: step, totalSteps: totalSteps, metrics: metrics)))
            // Without checkpoints a stopped run is measured once more; with them, the evaluation schedule (and so
            // the best-validation bookkeeping) must not depend on where the run was stopped.
            let stopEvaluation = disposition == .stop && checkpointDirectory == nil
            if step % config.evaluationInterval == 0 || step == totalSteps || stopEvaluation {
                if let evaluation = try evaluate() {
                    if try communicator.agree(progress(.evaluation(step: step, metrics: evaluation))) == .stop { disposition = .stop }
                }
            }
            let due = step == totalSteps || disposition == .stop || (checkpointEvery > 0 && step % checkpointEvery == 0)
            if let checkpointDirectory, due {
                let url = communicator.isRoot ? try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                    : checkpointDirectory.appendingPathComponent(CheckpointFolder.name(step: step))
                if try communicator.agree(progress(.checkpoint(step: step, path: url.path))) == .stop { disposition = .stop }
            }
            if disposition == .stop { break }
        }
        var restored = false
        if config.keepBestCheckpoint, let best = bestParameters, bestStep != step {
            try model.load(stateDictionary: best)
            restored = true
        }
        return SFTResult(steps: step, finalTrainingLoss: lastTrainingLoss ?? .nan, bestValidationLoss: bestValidationLoss,
                         bestStep: bestStep, restoredBest: restored)
    }

    /// Measures the validation loss now and remembers the parameters if it is the best so far.
    ///
    /// - Returns: `sft/validation_loss` and `sft/best_validation_loss`, or nil without validation data.
    public func evaluate() throws -> [String: Double]? {
        guard let loss = try validationLoss() else { return nil }
        if bestValidationLoss == nil || loss < bestValidationLoss! {
            bestValidationLoss = loss
            bestStep = step
            if config.keepBestCheckpoint {
                bestParameters = model.namedParameters().reduce(into: [:]) { copies, named in
                    copies[named.0] = Tensor(shape: named.1.value.shape, scalars: named.1.value.scalars)
                }
            }
        }
        return ["sft/validation_loss": loss, "sft/best_validation_loss": bestValidationLoss!]
    }
}
