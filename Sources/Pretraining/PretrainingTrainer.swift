// Language-model pretraining: random token blocks, next-token cross-entropy, AdamW with warm-up and cosine decay,
// gradient clipping, periodic validation, samples and checkpoints, and exact resume.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import Runs
import TensorCore
import Tokenizers
import TrainingCore

/// Trains a GPT from scratch on text (nanoGPT's `train.py`, split into a step, an evaluation and a loop).
///
/// ```swift
/// var config = PretrainingConfig()
/// config.steps = 200
/// let documents = try PretrainingText.documents(at: URL(fileURLWithPath: "corpus.txt"))
/// let trainer = try PretrainingTrainer(config: config, documents: documents, outputDirectory: URL(fileURLWithPath: "runs/lm"))
/// try trainer.train { event in
///     if case .step(let step, _, let metrics) = event { print(step, metrics["loss/train"]!) }
///     return .continue
/// }
/// // runs/lm/model now holds the final model and tokenizer; `PretrainingTrainer.resume(from:documents:)`
/// // continues an interrupted run bit for bit.
/// ```
///
/// Metric keys: `loss/train`, `loss/validation`, `lr`, `grad_norm`, `tokens_per_second`.
/// The run directory holds `config.json`, `metrics.jsonl`, `samples.jsonl`, `checkpoints/step-NNNNNN/`
/// (model directory, `optimizer.safetensors`, `state.json`) and, at the end, `model/`.
public final class PretrainingTrainer {
    /// The validated configuration.
    public let config: PretrainingConfig
    /// The model being trained.
    public let model: GPT
    /// The tokenizer of the model.
    public let tokenizer: any Tokenizer
    /// The token stream and its split.
    public let data: TokenBlocks
    /// The run directory, or nil to keep everything in memory (checkpoints are then not written).
    public let outputDirectory: URL?
    /// Optimizer updates taken so far.
    public internal(set) var step = 0

    let optimizer: AdamW
    /// The ranks training together (one process by default). Every rank draws the same global batch of blocks and
    /// trains on its contiguous shard of its rows, its gradient weighted by its share of the rows (every row has
    /// the same number of predictions), so every rank takes the one-process step; validation batches are shared
    /// out and their sums all-reduced. Only rank 0 opens the run directory and writes metrics, samples and
    /// checkpoints. Dropout masks are drawn per row (see `exampleSeeding`).
    public let communicator: any Communicator
    /// Draw each row's dropout masks from a generator seeded by (seed, step, the row's index in the global batch),
    /// so that N ranks draw the masks of one process. Always on with more than one rank; off by default in one
    /// process (one generator for the whole batch, as before).
    public var exampleSeeding = false
    let endOfText: Int32
    var dataGenerator: SeededGenerator
    var dropoutGenerator: SeededGenerator
    var sampleGenerator: SeededGenerator
    let run: RunDirectory?

    /// Starts a new run.
    ///
    /// - Parameters:
    ///   - config: the settings; validated here.
    ///   - documents: the training texts (see `PretrainingText.documents(at:)`).
    ///   - outputDirectory: where to write the run; nil keeps it in memory.
    ///   - communicator: The ranks of a data-parallel job (default: this process alone); only rank 0 writes.
    /// - Throws: `ConfigurationError` for bad settings; `TrainingError.emptyData` for too little text; tokenizer and
    ///   file errors.
    public convenience init(config: PretrainingConfig, documents: [String], outputDirectory: URL?,
                            communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        if config.threads > 0 { Compute.threadCount = config.threads }
        let tokenizer = try PretrainingTrainer.makeTokenizer(config, documents: documents)
        let modelConfig = config.modelConfig(vocabularySize: tokenizer.vocabularySize)
        var initGenerator = SeededGenerator(seed: config.seed)
        let model = try GPT(config: modelConfig, using: &initGenerator)
        try self.init(config: config, model: model, tokenizer: tokenizer, documents: documents, outputDirectory: outputDirectory,
                      communicator: communicator)
        if let run {
            try run.writeAtomically(try PretrainingTrainer.encoder.encode(config), to: "config.json")
        }
    }

    /// Continues pretraining a model that already exists (its own size and tokenizer; the configuration's model
    /// and tokenizer fields are not used), for example a fresh model on a tokenizer trained elsewhere.
    ///
    /// - Parameters:
    ///   - config: the settings of the run (steps, batch, learning rate, blocks, seed); validated here.
    ///   - model: the model to train in place.
    ///   - tokenizer: its tokenizer, with `<|endoftext|>`.
    ///   - documents: the training texts.
    ///   - outputDirectory: where to write the run; nil keeps it in memory.
    ///   - communicator: the ranks of a data-parallel run (default: this process alone).
    /// - Throws: `ConfigurationError` for bad settings or a tokenizer without `<|endoftext|>`; `TrainingError.emptyData`
    ///   for too little text.
    public init(config: PretrainingConfig, model: GPT, tokenizer: any Tokenizer, documents: [String], outputDirectory: URL?,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try config.validate()
        guard config.blockLength <= model.config.contextLength else {
            throw ConfigurationError.invalidValue(field: "blockLength", value: "\(config.blockLength)",
                                                  requirement: "a block must fit the model's context of \(model.config.contextLength) tokens; use at most that")
        }
        guard let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") else {
            throw ConfigurationError.invalidValue(field: "tokenizer", value: "\"\(config.tokenizer)\"",
                                                  requirement: "the tokenizer needs the special token <|endoftext|> to separate documents; add it to the tokenizer files")
        }
        self.config = config
        self.model = model
        self.tokenizer = tokenizer
        self.endOfText = eos
        self.data = try TokenBlocks(documents: documents, tokenizer: tokenizer, endOfText: eos,
                                    blockLength: config.blockLength, validationFraction: config.validationFraction)
        self.outputDirectory = outputDirectory
        self.communicator = communicator
        self.run = communicator.isRoot ? try outputDirectory.map { try RunDirectory($0) } : nil
        self.optimizer = try AdamW(parameters: model.namedParameters(), learningRate: config.learningRate,
                                   betas: (config.beta1, config.beta2), weightDecay: config.weightDecay)
        dataGenerator = SeededGenerator(seed: config.seed &+ 1)
        dropoutGenerator = SeededGenerator(seed: config.seed &+ 2)
        sampleGenerator = SeededGenerator(seed: config.seed &+ 3)
    }

    /// The tokenizer the configuration asks for, with `<|endoftext|>` (and `<|pad|>`) present.
    static func makeTokenizer(_ config: PretrainingConfig, documents: [String]) throws -> any Tokenizer {
        let specials = ["<|endoftext|>", "<|pad|>"]
        switch try config.tokenizerChoice() {
        case .byte:
            return try ByteTokenizer(specialTokens: specials)
        case .trainedBPE(let size):
            let trainer = try BPETrainer(configuration: .init(vocabularySize: size, specialTokens: specials))
            return try trainer.train(on: documents)
        case .directory(let path):
            var tokenizer = try loadTokenizer(from: URL(fileURLWithPath: path))
            try tokenizer.addSpecialTokens(specials)
            return tokenizer
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }

    // MARK: - One update

    /// Takes one optimizer update on a fresh random batch.
    ///
    /// - Returns: `loss/train`, `lr`, `grad_norm` and `tokens_per_second` of this update.
    /// - Throws: `TrainingError.nonFinite` naming the step when the loss or the gradient norm is NaN or
    ///   infinite (the parameters are left as they were before the update).
    public func trainStep() throws -> [String: Double] {
        let start = DispatchTime.now().uptimeNanoseconds
        let learningRate = config.schedule(step)
        optimizer.learningRate = learningRate
        // 1. A batch of random blocks.
        let global = data.trainingBatch(batchSize: config.batchSize, using: &dataGenerator)
        // With several ranks, this rank's rows of it.
        let rows = communicator.shard(of: global.batchSize)
        let batch = communicator.size == 1 || rows.isEmpty ? global
            : TokenBatch(tokens: Array(global.tokens[(rows.lowerBound * global.length)..<(rows.upperBound * global.length)]),
                         batchSize: rows.count, length: global.length)
        // 2. Forward and the mean next-token loss over B·(T − 1) predictions.
        let loss: Variable?
        if rows.isEmpty {
            loss = nil
        } else if config.dropout > 0 && (exampleSeeding || communicator.size > 1) {
            var rowwise = RowwiseGenerator(rows: rows.map { SeededGenerator(seed: config.seed, step: step, example: $0) },
                                           shared: dropoutGenerator)
            loss = try model.languageModelLoss(batch, training: &rowwise)
            dropoutGenerator = rowwise.shared
        } else {
            loss = config.dropout > 0 ? try model.languageModelLoss(batch, training: &dropoutGenerator) : try model.languageModelLoss(batch)
        }
        let localValue = Double(loss?.value.item ?? 0)
        let share = Double(rows.count) / Double(global.batchSize)
        let sums = try communicator.allReduceSum([localValue * share, localValue.isFinite ? 0 : 1])
        guard sums[1] == 0 else { throw TrainingError.nonFinite(quantity: "loss/train", step: step + 1) }
        let lossValue = communicator.size == 1 ? Float(localValue) : Float(sums[0])
        // 3. Backward, average over ranks, clip, update.
        if let loss { try (communicator.size == 1 ? loss : loss * Float(share)).backward() }
        let parameters = model.parameters()
        try communicator.allReduceGradients(parameters, weight: 1)
        let norm = clipGradientNorm(parameters, maxNorm: config.maximumGradientNorm > 0 ? config.maximumGradientNorm : .greatestFiniteMagnitude)
        guard norm.isFinite else {
            optimizer.zeroGradients()
            throw TrainingError.nonFinite(quantity: "grad_norm", step: step + 1)
        }
        optimizer.step()
        optimizer.zeroGradients()
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return ["loss/train": Double(lossValue), "lr": Double(learningRate), "grad_norm": Double(norm),
                "tokens_per_second": Double(config.batchSize * config.blockLength) / max(seconds, 1e-9)]
    }

    /// The mean next-token loss over the fixed validation blocks, or nil when nothing is held out.
    public func validationLoss() throws -> Double? {
        let batches = data.validationBatches(maximumBlocks: config.validationBlocks, batchSize: config.batchSize)
        guard !batches.isEmpty else { return nil }
        var total = 0.0, count = 0
        for batch in batches[communicator.shard(of: batches.count)] {
            let loss = try withoutGradients { try model.languageModelLoss(batch) }
            let predictions = batch.batchSize * (batch.length - 1)
            total += Double(loss.value.item) * Double(predictions)
            count += predictions
        }
        let sums = try communicator.allReduceSum([total, Double(count)])
        return sums[0] / sums[1]
    }

    /// A sample of `sampleLength` tokens from an `<|endoftext|>` prompt at temperature 1, cut at the first
    /// `<|endoftext|>`. Draws from the trainer's own sample generator, which the checkpoint saves.
    public func sample() throws -> String {
        let pad = tokenizer.id(forSpecialToken: "<|pad|>") ?? endOfText
        let options = GenerationOptions(maximumNewTokens: config.sampleLength, stopTokens: [endOfText], padToken: pad)
        let result = try model.generate(prompts: TokenBatch(leftPadding: [[endOfText]], padToken: pad), options: options,
                                        using: &sampleGenerator)
        let ids = result.responses.realTokens(row: 0).filter { $0 != endOfText }
        return try tokenizer.decode(ids, skipSpecialTokens: true)
    }

    // MARK: - The loop

    /// Trains until `config.steps` updates are done or `progress` answers `.stop`.
    ///
    /// After each update it reports `.step`; every `validationInterval` updates (and at the end) `.evaluation`
    /// with `loss/validation`; every `checkpointInterval` updates, at the end and when stopped, `.checkpoint`.
    /// With an output directory, metrics go to `metrics.jsonl`, samples to `samples.jsonl`, and the finished
    /// model to `model/`.
    ///
    /// - Throws: `TrainingError.nonFinite` (the last good checkpoint stays the latest), and file errors.
    public func train(progress: TrainingProgress = { _ in .continue }) throws {
        while step < config.steps {
            let metrics = try trainStep()
            try run?.appendMetrics(step: step, metrics)
            var stop = try communicator.agree(progress(.step(step: step, totalSteps: config.steps, metrics: metrics))) == .stop
            let last = step == config.steps
            if due(config.validationInterval, last: last), let loss = try validationLoss() {
                try run?.appendMetrics(step: step, phase: "validation", ["loss/validation": loss])
                stop = try communicator.agree(progress(.evaluation(step: step, metrics: ["loss/validation": loss]))) == .stop || stop
            }
            if due(config.sampleInterval, last: last) && config.sampleInterval > 0 && run != nil {
                let text = try sample()
                try run?.appendSample(method: "pretrain", prompt: "<|endoftext|>", completion: text, scores: ["step": Double(step)])
            }
            if run != nil && (due(config.checkpointInterval, last: last) || stop) {
                let url = try saveCheckpoint()
                stop = progress(.checkpoint(step: step, path: url.path)) == .stop || stop
            }
            if stop { return }
        }
        if let outputDirectory, communicator.isRoot {
            try CheckpointFolder.replaceDirectory(at: outputDirectory.appendingPathComponent("model")) { url in
                try saveModelDirectory(model, tokenizer: tokenizer, to: url)
            }
        }
    }

    func due(_ interval: Int, last: Bool) -> Bool { last || (interval > 0 && step % interval == 0) }
}
