// Tokenised prompt–completion examples and the completion-only SFT loss (see the SFT article).
// Shape letters: B examples, T padded sequence length, V vocabulary.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// One tokenised demonstration.
public struct SFTExample: Equatable, Sendable {
    /// The prompt's ids (conditioning only, never a label in completion-only training).
    public var promptTokens: [Int32]
    /// The completion's ids, including its stop token.
    public var completionTokens: [Int32]

    public init(promptTokens: [Int32], completionTokens: [Int32]) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Tokenises prompt–completion records.
    ///
    /// - Parameters:
    ///   - records: The demonstrations.
    ///   - tokenizer: Encodes prompt and completion separately (so the boundary is exact).
    ///   - contextLength: The model's context; every prompt‖completion must fit.
    /// - Throws: `TrainingError.emptyData` for no records, `ConfigurationError` naming the record that does not fit or
    ///   has an empty prompt or completion.
    public static func encode(_ records: [PromptCompletionRecord], tokenizer: any Tokenizer,
                              contextLength: Int) throws -> [SFTExample] {
        guard !records.isEmpty else { throw TrainingError.emptyData(what: "the demonstration set") }
        return try records.enumerated().map { index, record in
            let prompt = try tokenizer.encode(record.prompt), completion = try tokenizer.encode(record.completion)
            guard !prompt.isEmpty, !completion.isEmpty else {
                throw ConfigurationError.emptyInput(what: "the prompt or completion of demonstration \(index + 1)", fix: "every record needs both")
            }
            guard prompt.count + completion.count <= contextLength else {
                throw ConfigurationError.tooLong(what: "demonstration \(index + 1) (prompt \(prompt.count) + completion \(completion.count))", length: prompt.count + completion.count,
                                                limit: contextLength, fix: "shorten it or use a model with a longer context")
            }
            return SFTExample(promptTokens: prompt, completionTokens: completion)
        }
    }
}

/// A batch of demonstrations as one right-padded block with shifted labels, as TRL builds it.
///
/// Row b is `prompt ‖ completion ‖ PAD…`. Position t's label is the token at t + 1; `lossMask[b, t]` is 1 when
/// that label is a supervised token: a completion token (or, without completion-only training, any real token
/// after the first). Labels where the mask is 0 are never read, whatever they hold.
public struct SFTBatch: Sendable {
    /// `[B, T]` prompt‖completion, right-padded.
    public var inputs: TokenBatch
    /// `[B·T]` next-token labels (the padding id past the end of a row).
    public var labels: [Int32]
    /// `[B, T]` 1 where `labels` is supervised.
    public var lossMask: Tensor

    /// The number of supervised tokens: the denominator of the token-weighted mean.
    public var supervisedTokenCount: Int { Int(lossMask.sum()) }

    /// Builds the batch.
    ///
    /// - Parameters:
    ///   - examples: At least one example.
    ///   - padToken: The padding id (never a real token; masked out).
    ///   - completionOnly: Supervise completion tokens only (default), or every token after the first.
    ///   - length: Pad to this width instead of the longest row (padding never changes the loss).
    public init(examples: [SFTExample], padToken: Int32, completionOnly: Bool = true, length: Int? = nil) {
        precondition(!examples.isEmpty, "SFTBatch needs at least one example")
        let rows = examples.map { $0.promptTokens + $0.completionTokens }
        let inputs = TokenBatch(rightPadding: rows, padToken: padToken, length: length)
        let T = inputs.length
        var labels = [Int32](repeating: padToken, count: inputs.tokens.count)
        var mask = [Float](repeating: 0, count: inputs.tokens.count)
        for (b, example) in examples.enumerated() {
            let total = rows[b].count
            let firstSupervised = completionOnly ? example.promptTokens.count : 1
            for t in 0..<(total - 1) {
                labels[b * T + t] = rows[b][t + 1]
                if t + 1 >= firstSupervised { mask[b * T + t] = 1 }
            }
        }
        self.inputs = inputs
        self.labels = labels
        self.lossMask = Tensor(shape: [examples.count, T], scalars: mask)
    }
}

extension SFTBatch {
    /// Packs demonstrations, in order, into rows of at most `rowLength` tokens; a row takes the next example
    /// while it fits whole. Each example is its own sequence of the row (numbered 1, 2, … in the mask, see
    /// `TokenBatch`), so attention stays within it and its positions start at 0; labels never cross from one
    /// example into the next. The loss equals that of the same examples unpacked.
    ///
    /// - Parameters:
    ///   - examples: At least one example, each at most `rowLength` tokens.
    ///   - padToken: The padding id.
    ///   - completionOnly: Supervise completion tokens only (default), or every token after each example's first.
    ///   - rowLength: The row width, usually the model's context length.
    public init(packing examples: [SFTExample], padToken: Int32, completionOnly: Bool = true, rowLength: Int) {
        precondition(!examples.isEmpty, "SFTBatch needs at least one example")
        let rows = SFTBatch.packedRows(examples, rowLength: rowLength)
        let T = rows.map { $0.reduce(0) { $0 + $1.promptTokens.count + $1.completionTokens.count } }.max()!
        var ids = [Int32](repeating: padToken, count: rows.count * T)
        var segments = [Float](repeating: 0, count: rows.count * T)
        var labels = [Int32](repeating: padToken, count: rows.count * T)
        var mask = [Float](repeating: 0, count: rows.count * T)
        for (b, row) in rows.enumerated() {
            var start = b * T
            for (k, example) in row.enumerated() {
                let sequence = example.promptTokens + example.completionTokens
                let firstSupervised = completionOnly ? example.promptTokens.count : 1
                for (t, id) in sequence.enumerated() {
                    ids[start + t] = id
                    segments[start + t] = Float(k + 1)
                    if t + 1 < sequence.count {
                        labels[start + t] = sequence[t + 1]
                        if t + 1 >= firstSupervised { mask[start + t] = 1 }
                    }
                }
                start += sequence.count
            }
        }
        self.inputs = TokenBatch(tokens: ids, batchSize: rows.count, length: T,
                                 mask: Tensor(shape: [rows.count, T], scalars: segments))
        self.labels = labels
        self.lossMask = Tensor(shape: [rows.count, T], scalars: mask)
    }
}

extension SFTBatch {
    /// The rows `init(packing:padToken:completionOnly:rowLength:)` packs `examples` into, in order. Packing the
    /// examples of consecutive rows again gives the same rows (data-parallel shards are whole rows).
    public static func packedRows(_ examples: [SFTExample], rowLength: Int) -> [[SFTExample]] {
        var rows: [[SFTExample]] = []
        var used = rowLength
        for example in examples {
            let n = example.promptTokens.count + example.completionTokens.count
            precondition(n <= rowLength, "SFTBatch: an example of \(n) tokens does not fit a row of \(rowLength)")
            if used + n > rowLength { rows.append([]); used = 0 }
            rows[rows.count - 1].append(example)
            used += n
        }
        return rows
    }
}

extension GPT {
    /// The SFT loss: mean negative log-likelihood of the supervised tokens, averaged over all supervised tokens
    /// of the batch (token-weighted, TRL's normalisation), not over per-example means:
    /// `L = −Σ_{b,t} m[b,t]·log π(label[b,t] | tokens[b, ≤t]) / Σ m`.
    ///
    /// - Parameters:
    ///   - batch: The batch.
    ///   - generator: When given, dropout (the model's `config.dropout`) is drawn from it (training mode).
    /// - Returns: A scalar; 0 when nothing is supervised.
    /// - Throws: `LanguageModelError` for ids outside the vocabulary or rows longer than the context.
    public func supervisedFineTuningLoss(_ batch: SFTBatch, generator: inout SeededGenerator?) throws -> Variable {
        let hidden: Variable
        if var g = generator {
            hidden = try hiddenStates(batch.inputs, training: &g)
            generator = g
        } else {
            hidden = try hiddenStates(batch.inputs)
        }
        let logits = self.logits(hidden)                                        // [B, T, V]
        var targets = batch.labels
        batch.lossMask.withUnsafeBufferPointer { m in
            for i in 0..<targets.count where m[i] == 0 { targets[i] = -100 }
        }
        return logits.crossEntropy(targets: targets, ignoreIndex: -100)
    }

    /// `supervisedFineTuningLoss` in training mode with dropout drawn from `generator` (a ``TensorCore/RowwiseGenerator``
    /// draws each row's masks from that row's generator).
    public func supervisedFineTuningLoss<G: RandomNumberGenerator>(_ batch: SFTBatch, training generator: inout G) throws -> Variable {
        let logits = self.logits(try hiddenStates(batch.inputs, training: &generator))
        var targets = batch.labels
        batch.lossMask.withUnsafeBufferPointer { m in
            for i in 0..<targets.count where m[i] == 0 { targets[i] = -100 }
        }
        return logits.crossEntropy(targets: targets, ignoreIndex: -100)
    }

    /// `supervisedFineTuningLoss` without dropout.
    public func supervisedFineTuningLoss(_ batch: SFTBatch) throws -> Variable {
        var none: SeededGenerator? = nil
        return try supervisedFineTuningLoss(batch, generator: &none)
    }
}
