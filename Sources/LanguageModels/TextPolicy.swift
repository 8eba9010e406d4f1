// TextPolicy: a language model with its tokenizer, sampling completions of text prompts in batches with the
// KV-cache generator (left-padded prompts, stop at the task's stop token, PAD after it).
import Foundation
import Tokenizers
import Validation

/// A policy over text: prompts in, sampled completions out.
///
/// ```swift
/// let policy = try TextPolicy(directory: URL(fileURLWithPath: "runs/sft/checkpoint"))
/// var rng = SeededGenerator(seed: 0)
/// let answers = try policy.complete(["Q: Reverse the word lamp.\nA:"], options: policy.options(temperature: 1), using: &rng)
/// ```
public struct TextPolicy {
    /// The language model that samples.
    public let model: GPT
    /// Encodes prompts and decodes completions; its ids must be the model's vocabulary.
    public let tokenizer: any Tokenizer
    /// The id that left-pads prompts and fills rows after their stop token.
    public let padToken: Int32
    /// Ids that end a completion (the instruction task's `"\n"`, byte 10, and EOS).
    public let stopTokens: [Int32]

    /// Wraps a model.
    ///
    /// - Parameters:
    ///   - padToken: Default the tokenizer's `<|pad|>`, else its vocabulary size (never embedded).
    ///   - stopTokens: Default: the encoding of `"\n"` and `<|endoftext|>` when the tokenizer has it.
    public init(model: GPT, tokenizer: any Tokenizer, padToken: Int32? = nil, stopTokens: [Int32]? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.padToken = padToken ?? tokenizer.id(forSpecialToken: "<|pad|>") ?? Int32(tokenizer.vocabularySize)
        if let stopTokens {
            self.stopTokens = stopTokens
        } else {
            var stops = (try? tokenizer.encode("\n")).flatMap { $0.count == 1 ? $0 : nil } ?? []
            if let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") { stops.append(eos) }
            self.stopTokens = stops
        }
    }

    /// Loads a model directory written by `GPT.save(to:writeExtraFiles:)` with its tokenizer.
    public init(directory: URL) throws {
        let (model, _) = try GPT.load(from: directory)
        self.init(model: model, tokenizer: try loadTokenizer(from: directory))
    }

    /// Sampling options with this policy's stop and padding ids.
    public func options(temperature: Float = 1, maximumNewTokens: Int = 32, topK: Int = 0, topP: Float = 1,
                        greedy: Bool = false) -> GenerationOptions {
        GenerationOptions(maximumNewTokens: maximumNewTokens, temperature: temperature, topK: topK, topP: topP,
                          greedy: greedy, stopTokens: stopTokens, padToken: padToken)
    }

    /// Samples one completion per prompt, `batchSize` prompts per generation call.
    ///
    /// A completion is the decoded text up to and including its stop token (special tokens other than the stop
    /// token are dropped); a completion that never stops is cut at `maximumNewTokens`.
    ///
    /// - Throws: `LanguageModelError.invalid` naming a prompt that is empty or too long for the context with
    ///   `maximumNewTokens`, or a generation error.
    public func complete<G: RandomNumberGenerator>(_ prompts: [String], options: GenerationOptions, batchSize: Int = 64,
                                                   using generator: inout G) throws -> [String] {
        let encoded = try prompts.map { try tokenizer.encode($0) }
        let room = model.config.contextLength - options.maximumNewTokens
        if let long = encoded.firstIndex(where: { $0.count > room || $0.isEmpty }) {
            throw LanguageModelError.invalid(.invalidValue(
                field: "prompt \(long + 1)", value: "\(encoded[long].count) tokens",
                requirement: "with maximumNewTokens \(options.maximumNewTokens) a prompt must have 1...\(room) tokens to fit the context of "
                    + "\(model.config.contextLength); shorten the prompt or lower maximumNewTokens"))
        }
        var out: [String] = []
        out.reserveCapacity(prompts.count)
        var start = 0
        while start < encoded.count {
            let chunk = Array(encoded[start..<min(start + max(1, batchSize), encoded.count)])
            let result = try model.generate(prompts: TokenBatch(leftPadding: chunk, padToken: padToken), options: options,
                                            using: &generator)
            for b in 0..<chunk.count {
                let ids = result.responses.realTokens(row: b)
                out.append(try decode(ids))
            }
            start += chunk.count
        }
        return out
    }

    /// Text of generated ids: stop tokens that are ordinary text (such as "\n") are kept, special ids dropped.
    func decode(_ ids: [Int32]) throws -> String {
        let special = Set(tokenizer.specialTokenIDs)
        return try tokenizer.decode(ids.filter { !special.contains($0) })
    }
}
