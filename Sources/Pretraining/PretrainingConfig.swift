// The settings of a language-model pretraining run, with their defaults and the checks that run before any work.
import Foundation
import LanguageModels
import NeuralNetworks
import TrainingCore

/// Everything that decides a pretraining run (nanoGPT's `train.py` globals, as one documented value).
///
/// Every field has a default, so `PretrainingConfig()` is a small model on the byte tokenizer that trains in a
/// few minutes on a laptop CPU. `validate()` runs in `PretrainingTrainer.init` and rejects settings that cannot
/// work, naming the field, its value and the fix.
public struct PretrainingConfig: Codable, Equatable, Sendable {
    // MARK: Data and tokenizer

    /// Path of the training text: a UTF-8 text file (one document) or a `.jsonl` file whose records have a
    /// `text` field (one document each). Default `""`: `rlft pretrain` then uses the built-in instruction
    /// task's pretraining corpus; library callers pass documents to the trainer directly.
    public var data: String = ""
    /// Which tokenizer to use. Default `"byte"`: the 256 bytes plus `<|endoftext|>` and `<|pad|>`.
    /// `"bpe:N"` trains a byte-level BPE of N tokens on the training text with `BPETrainer`; any other value is
    /// a directory holding tokenizer files (`tokenizer.json`, `vocab.json` + `merges.txt`, …).
    public var tokenizer: String = "byte"

    // MARK: Model shape

    /// Transformer blocks. Default 2.
    public var layerCount: Int = 2
    /// Attention heads per block; must divide `embeddingSize`. Default 4.
    public var headCount: Int = 4
    /// Width of the residual stream. Default 128.
    public var embeddingSize: Int = 128
    /// Positions the model can attend over (its `n_positions`). Default 128.
    public var contextLength: Int = 128
    /// Dropout probability in training (residual, attention and embedding). Default 0.
    public var dropout: Float = 0

    // MARK: Optimisation

    /// Optimizer updates. Default 500.
    public var steps: Int = 500
    /// Blocks per update. Default 16.
    public var batchSize: Int = 16
    /// Tokens per block (≤ `contextLength`); each block gives `blockLength − 1` next-token predictions. Default 128.
    public var blockLength: Int = 128
    /// Peak learning rate, reached after the warm-up. Default 1e-3.
    public var learningRate: Float = 1e-3
    /// Updates of linear warm-up from `learningRate / warmupSteps` to `learningRate`. Default 50.
    public var warmupSteps: Int = 50
    /// The cosine decay ends at `learningRate · minimumLearningRateRatio` on the last step. Default 0.1.
    public var minimumLearningRateRatio: Float = 0.1
    /// AdamW decoupled weight decay, applied to matrices only (nanoGPT's rule). Default 0.1.
    public var weightDecay: Float = 0.1
    /// AdamW β₁. Default 0.9.
    public var beta1: Float = 0.9
    /// AdamW β₂. Default 0.95.
    public var beta2: Float = 0.95
    /// Clip the global gradient norm to this value before each update; 0 turns clipping off. Default 1.
    public var maximumGradientNorm: Float = 1

    // MARK: Validation, samples and checkpoints

    /// Fraction of the token stream (its tail) held out for validation, in [0, 0.5]; 0 turns validation off.
    /// Default 0.1.
    public var validationFraction: Double = 0.1
    /// Compute the validation loss every this many updates and at the end; 0 = only at the end. Default 100.
    public var validationInterval: Int = 100
    /// Most validation blocks per evaluation (taken evenly from the held-out tail). Default 32.
    public var validationBlocks: Int = 32
    /// Generate a sample every this many updates and at the end; 0 turns samples off. Default 100.
    public var sampleInterval: Int = 100
    /// New tokens per sample (sampled at temperature 1 from an `<|endoftext|>` prompt). Default 96.
    public var sampleLength: Int = 96
    /// Write a checkpoint every this many updates; the final one is always written. Default 100.
    public var checkpointInterval: Int = 100
    /// Checkpoints to keep (older ones are deleted once a newer one is complete). Default 3.
    public var keepCheckpoints: Int = 3

    // MARK: Reproducibility

    /// Seed of the initial weights, the block positions, dropout and the samples. Default 0.
    public var seed: UInt64 = 0
    /// Threads for the kernels; 0 = every active processor. A resumed run must use the same count to be
    /// bit-identical. Default 0.
    public var threads: Int = 0

    public init() {}

    /// The model configuration for a tokenizer of `vocabularySize` ids.
    public func modelConfig(vocabularySize: Int) -> GPTConfig {
        GPTConfig(layerCount: layerCount, headCount: headCount, embeddingSize: embeddingSize, contextLength: contextLength,
                  vocabularySize: vocabularySize, dropout: dropout)
    }

    /// The learning rate schedule: linear warm-up, then cosine decay to the floor at `steps`.
    public var schedule: LearningRateSchedule {
        .warmupCosine(peak: learningRate, warmupSteps: min(warmupSteps, steps), totalSteps: steps,
                      minimumRatio: minimumLearningRateRatio)
    }

    /// How the `tokenizer` field is read.
    public enum TokenizerChoice: Equatable, Sendable {
        /// The byte tokenizer with `<|endoftext|>` and `<|pad|>`.
        case byte
        /// A BPE of this many tokens, trained on the training text.
        case trainedBPE(vocabularySize: Int)
        /// Tokenizer files in this directory.
        case directory(String)
    }

    /// The parsed `tokenizer` field.
    ///
    /// - Throws: `ConfigurationError` for `bpe:` followed by something other than a whole number ≥ 258.
    public func tokenizerChoice() throws(ConfigurationError) -> TokenizerChoice {
        if tokenizer == "byte" { return .byte }
        if tokenizer.hasPrefix("bpe:") {
            guard let n = Int(tokenizer.dropFirst(4)), n >= 258 else {
                throw ConfigurationError.invalidValue(field: "tokenizer", value: "\"\(tokenizer)\"",
                                                      requirement: "bpe:N needs a whole number N ≥ 258 (the 256 bytes and the two special tokens), e.g. bpe:1024")
            }
            return .trainedBPE(vocabularySize: n)
        }
        guard !tokenizer.isEmpty else {
            throw ConfigurationError.invalidValue(field: "tokenizer", value: "\"\"", requirement: "it must be \"byte\", \"bpe:N\" or a tokenizer directory")
        }
        return .directory(tokenizer)
    }

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the field, its value and what to change.
    public func validate() throws(ConfigurationError) {
        _ = try tokenizerChoice()
        try require(layerCount >= 1, "layerCount", layerCount, "it must be at least 1")
        try require(headCount >= 1, "headCount", headCount, "it must be at least 1")
        try require(embeddingSize >= 1, "embeddingSize", embeddingSize, "it must be positive, e.g. 128")
        if embeddingSize % headCount != 0 {
            let divisors = (1...min(embeddingSize, 64)).filter { embeddingSize % $0 == 0 }.suffix(4)
            try require(false, "headCount", headCount,
                        "it must divide embeddingSize (\(embeddingSize)); choose one of \(divisors.map(String.init).joined(separator: ", "))")
        }
        try require(contextLength >= 2, "contextLength", contextLength, "it must be at least 2, e.g. 128")
        try require(dropout >= 0 && dropout < 1, "dropout", dropout, "it must be a probability in [0, 1), e.g. 0 or 0.1")
        try require(steps >= 1, "steps", steps, "it must be at least 1")
        try require(batchSize >= 1, "batchSize", batchSize, "it must be at least 1")
        try require(blockLength >= 2, "blockLength", blockLength, "it must be at least 2 (one prediction needs two tokens)")
        try require(blockLength <= contextLength, "blockLength", blockLength,
                    "it must not exceed contextLength (\(contextLength)); lower blockLength or raise contextLength")
        try require(learningRate.isFinite && learningRate > 0, "learningRate", learningRate, "it must be positive and finite, e.g. 1e-3")
        try require(warmupSteps >= 0, "warmupSteps", warmupSteps, "it must be ≥ 0 (0 = no warm-up)")
        try require(minimumLearningRateRatio >= 0 && minimumLearningRateRatio <= 1, "minimumLearningRateRatio",
                    minimumLearningRateRatio, "it must be in [0, 1], e.g. 0.1")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "it must be ≥ 0, e.g. 0.1")
        try require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "it must be in [0, 1), e.g. 0.9")
        try require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "it must be in [0, 1), e.g. 0.95")
        try require(maximumGradientNorm >= 0 && maximumGradientNorm.isFinite, "maximumGradientNorm", maximumGradientNorm,
                    "it must be ≥ 0 (0 turns clipping off), e.g. 1")
        try require(validationFraction >= 0 && validationFraction <= 0.5, "validationFraction", validationFraction,
                    "it must be in [0, 0.5] (0 turns validation off), e.g. 0.1")
        try require(validationInterval >= 0, "validationInterval", validationInterval, "it must be ≥ 0 (0 = only at the end)")
        try require(validationBlocks >= 1, "validationBlocks", validationBlocks, "it must be at least 1, e.g. 32")
        try require(sampleInterval >= 0, "sampleInterval", sampleInterval, "it must be ≥ 0 (0 turns samples off)")
        try require(sampleLength >= 1 && sampleLength < contextLength, "sampleLength", sampleLength,
                    "it must be in 1..<contextLength (\(contextLength)) because the prompt takes one position")
        try require(checkpointInterval >= 0, "checkpointInterval", checkpointInterval, "it must be ≥ 0 (0 = only the final checkpoint)")
        try require(keepCheckpoints >= 1, "keepCheckpoints", keepCheckpoints, "it must be at least 1")
        try require(threads >= 0, "threads", threads, "it must be ≥ 0 (0 = every processor)")
    }
}

// MARK: - Codable with defaults

extension PretrainingConfig {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, tokenizer, layerCount, headCount, embeddingSize, contextLength, dropout, steps, batchSize, blockLength
        case learningRate, warmupSteps, minimumLearningRateRatio, weightDecay, beta1, beta2, maximumGradientNorm
        case validationFraction, validationInterval, validationBlocks, sampleInterval, sampleLength
        case checkpointInterval, keepCheckpoints, seed, threads
    }

    /// Decodes a configuration in which any field may be missing (it keeps its default).
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try read(.data, &data); try read(.tokenizer, &tokenizer)
        try read(.layerCount, &layerCount); try read(.headCount, &headCount); try read(.embeddingSize, &embeddingSize)
        try read(.contextLength, &contextLength); try read(.dropout, &dropout)
        try read(.steps, &steps); try read(.batchSize, &batchSize); try read(.blockLength, &blockLength)
        try read(.learningRate, &learningRate); try read(.warmupSteps, &warmupSteps)
        try read(.minimumLearningRateRatio, &minimumLearningRateRatio); try read(.weightDecay, &weightDecay)
        try read(.beta1, &beta1); try read(.beta2, &beta2); try read(.maximumGradientNorm, &maximumGradientNorm)
        try read(.validationFraction, &validationFraction); try read(.validationInterval, &validationInterval)
        try read(.validationBlocks, &validationBlocks); try read(.sampleInterval, &sampleInterval)
        try read(.sampleLength, &sampleLength); try read(.checkpointInterval, &checkpointInterval)
        try read(.keepCheckpoints, &keepCheckpoints); try read(.seed, &seed); try read(.threads, &threads)
        // Runs written before the name was shared with the other trainers call the clip "maximumGradientNorm".
        let former = try decoder.container(keyedBy: FormerKeys.self)
        if c.contains(.maximumGradientNorm) == false, let v = try former.decodeIfPresent(Float.self, forKey: .gradientClipNorm) {
            maximumGradientNorm = v
        }
    }

    /// Field names of earlier versions.
    enum FormerKeys: String, CodingKey {
        case gradientClipNorm
    }
}
