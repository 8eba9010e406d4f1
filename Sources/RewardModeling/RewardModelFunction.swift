// A trained reward model as a RewardFunction over text, and its checkpoint directory: the GPT-2 files with the
// head (`score.weight`/`score.bias`), the tokenizer, and `reward_normalizer.json` applied on load.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore

/// A reward model, its tokenizer and its normaliser: text in, normalised rewards out.
///
/// Rows are `prompt ‖ completion` encoded separately and joined, right-padded, scored at the last real token, then
/// mapped through `normalizer` (g·r + b). Other algorithms (PPO, best-of-n) take it as their `RewardFunction`.
///
/// ```swift
/// let reward = try RewardModelFunction.load(from: URL(fileURLWithPath: "runs/rm/checkpoint"))
/// let r = try reward.scores(prompts: ["Q: Reverse the word lamp.\nA:"], completions: [" pmal\n"])
/// ```
public final class RewardModelFunction: RewardFunction {
    public let model: RewardModel
    public let tokenizer: any Tokenizer
    public let normalizer: RewardNormalizer
    public let padToken: Int32
    /// Rows per forward pass. Default 64.
    public var batchSize: Int
    /// Cut a prompt‖completion longer than the model's context to its first `contextLength` tokens instead of
    /// throwing (sampled text can re-encode longer than it was generated, e.g. U+FFFD for a split character).
    /// Default true.
    public var truncatesToContext: Bool = true

    /// Wraps a model.
    ///
    /// - Parameters:
    ///   - padToken: The padding id; default the tokenizer's `<|pad|>` (else its vocabulary size, never embedded).
    public init(model: RewardModel, tokenizer: any Tokenizer, normalizer: RewardNormalizer = RewardNormalizer(),
                padToken: Int32? = nil, batchSize: Int = 64) {
        self.model = model
        self.tokenizer = tokenizer
        self.normalizer = normalizer
        self.padToken = padToken ?? tokenizer.id(forSpecialToken: "<|pad|>") ?? Int32(tokenizer.vocabularySize)
        self.batchSize = max(1, batchSize)
    }

    /// Raw (unnormalised) rewards.
    ///
    /// - Throws: `ConfigurationError` for an empty pair, or one longer than the model's context when
    ///   `truncatesToContext` is off.
    public func rawScores(prompts: [String], completions: [String]) throws -> [Float] {
        guard prompts.count == completions.count else {
            throw ConfigurationError.countMismatch(what: "completions", expected: prompts.count, found: completions.count, fix: "give one completion per prompt")
        }
        let context = model.trunk.config.contextLength
        let rows: [[Int32]] = try zip(prompts, completions).enumerated().map { i, pair in
            var row = try tokenizer.encode(pair.0) + tokenizer.encode(pair.1)
            guard !row.isEmpty else {
                throw ConfigurationError.emptyInput(what: "prompt‖completion \(i + 1)", fix: "a reward model needs at least one token")
            }
            if truncatesToContext && row.count > context { row.removeLast(row.count - context) }
            guard row.count <= context else {
                throw ConfigurationError.tooLong(what: "prompt‖completion \(i + 1)", length: row.count, limit: context,
                                                 fix: "shorten the completion (e.g. fewer new tokens)")
            }
            return row
        }
        return try RewardModelTrainer.scores(model: model, rows: rows, padToken: padToken, batchSize: batchSize)
    }

    /// Normalised rewards `g·r + b`, one per pair.
    public func scores(prompts: [String], completions: [String]) throws -> [Float] {
        try rawScores(prompts: prompts, completions: completions).map { Float(normalizer(Double($0))) }
    }

    // MARK: - Checkpoints

    /// The normaliser's file name inside a checkpoint directory.
    public static let normalizerFileName = "reward_normalizer.json"

    /// Writes the model (GPT-2 layout plus `score.weight`/`score.bias`), the tokenizer and the normaliser.
    public func save(to directory: URL) throws {
        let normalizer = self.normalizer, tokenizer = self.tokenizer
        try model.save(to: directory, metadata: ["reward_gain": "\(normalizer.gain)", "reward_bias": "\(normalizer.bias)"]) { dir in
            try tokenizer.save(to: dir)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(normalizer).write(to: dir.appendingPathComponent(RewardModelFunction.normalizerFileName), options: .atomic)
        }
    }

    /// Loads a directory written by `save(to:)`; the normaliser is applied to every score (identity when the file
    /// is absent).
    ///
    /// - Throws: `CheckpointError` for missing or malformed model files, a tokenizer error, or a decoding error.
    public static func load(from directory: URL) throws -> RewardModelFunction {
        let model = try RewardModel.load(from: directory)
        let tokenizer = try loadTokenizer(from: directory)
        let url = directory.appendingPathComponent(normalizerFileName)
        var normalizer = RewardNormalizer()
        if FileManager.default.fileExists(atPath: url.path) {
            normalizer = try JSONDecoder().decode(RewardNormalizer.self, from: Data(contentsOf: url))
        }
        return RewardModelFunction(model: model, tokenizer: tokenizer, normalizer: normalizer)
    }

    /// A reward model whose head has the normaliser folded in (w ← g·w, b ← g·b + bias), for code that wants
    /// normalised scores from a bare ``LanguageModels/RewardModel``.
    public func normalizedModel() -> RewardModel {
        let g = Float(normalizer.gain), b = Float(normalizer.bias)
        let head = ScalarHead(weight: model.head.weight.value * g,
                              bias: Tensor(shape: [1], scalars: [model.head.bias.value.scalars[0] * g + b]))
        return RewardModel(trunk: model.trunk, head: head)
    }
}
