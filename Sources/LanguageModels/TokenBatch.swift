// TokenBatch: a [B, T] block of token ids with a padding mask (which may carry segment ids for packed rows),
// the input of every model call.
import Foundation
import TensorCore

/// A batch of token sequences padded to one width.
///
/// `tokens` is row-major `[batchSize, length]`; `mask` is a `[batchSize, length]` tensor with 1 for real tokens
/// and 0 for padding. Padded positions may hold any id (even one outside the vocabulary): the model never
/// embeds them. Prompts are left-padded and responses right-padded (see Conventions in the LanguageModels article).
///
/// Packed rows (several sequences in one row, as SFT's packing builds them) number their sequences in the mask
/// instead: 1, 2, 3, … for the first, second, third sequence of the row, 0 for padding. Attention is then
/// block-diagonal (a token sees only earlier tokens of its own sequence), positions restart at 0 in each
/// sequence, and no next-token target crosses a boundary — so a packed row computes exactly what its sequences
/// would compute in rows of their own.
///
/// A row may also begin with a *shared prefix*, marked −1 in the mask: every later sequence of the row sees the
/// prefix as if it stood right before it, and its positions continue from the prefix's length. A prompt followed
/// by K completions (1, 2, …, K) then computes what K rows `prompt ‖ completionᵢ` would, with the prompt computed
/// once (the reward model's comparison batches use this).
///
/// ```swift
/// let prompts = TokenBatch(leftPadding: [[5, 6, 7], [8]], padToken: 0)
/// // tokens [[5, 6, 7], [0, 0, 8]], mask [[1, 1, 1], [0, 0, 1]]
/// ```
public struct TokenBatch: Equatable, Sendable {
    /// `[batchSize, length]` ids, row-major.
    public var tokens: [Int32]
    /// `[batchSize, length]`, 1 for a real token and 0 for padding (or, in packed rows, the token's sequence
    /// number 1, 2, … within its row, and −1 for a shared prefix at the start of the row).
    public var mask: Tensor
    public let batchSize: Int
    public let length: Int

    /// A batch from flat ids and a mask (all ones when omitted).
    public init(tokens: [Int32], batchSize: Int, length: Int, mask: Tensor? = nil) {
        precondition(tokens.count == batchSize * length,
                     "TokenBatch: \(tokens.count) tokens do not fill [\(batchSize), \(length)]")
        precondition(mask == nil || mask!.shape == [batchSize, length],
                     "TokenBatch: mask shape \(mask!.shape) must be [\(batchSize), \(length)]")
        self.tokens = tokens
        self.batchSize = batchSize
        self.length = length
        self.mask = mask ?? Tensor(shape: [batchSize, length], repeating: 1)
    }

    /// Rows of different lengths, padded on the left to the longest row (prompts).
    public init(leftPadding rows: [[Int32]], padToken: Int32, length: Int? = nil) {
        let width = length ?? rows.map(\.count).max() ?? 0
        var ids = [Int32](), mask = [Float]()
        for row in rows {
            precondition(row.count <= width, "TokenBatch: row of \(row.count) tokens is wider than \(width)")
            ids += [Int32](repeating: padToken, count: width - row.count) + row
            mask += [Float](repeating: 0, count: width - row.count) + [Float](repeating: 1, count: row.count)
        }
        self.init(tokens: ids, batchSize: rows.count, length: width, mask: Tensor(shape: [rows.count, width], scalars: mask))
    }

    /// Rows of different lengths, padded on the right to the longest row (responses, LM text).
    public init(rightPadding rows: [[Int32]], padToken: Int32, length: Int? = nil) {
        let width = length ?? rows.map(\.count).max() ?? 0
        var ids = [Int32](), mask = [Float]()
        for row in rows {
            precondition(row.count <= width, "TokenBatch: row of \(row.count) tokens is wider than \(width)")
            ids += row + [Int32](repeating: padToken, count: width - row.count)
            mask += [Float](repeating: 1, count: row.count) + [Float](repeating: 0, count: width - row.count)
        }
        self.init(tokens: ids, batchSize: rows.count, length: width, mask: Tensor(shape: [rows.count, width], scalars: mask))
    }

    /// The real tokens of row `b`, in order.
    public func realTokens(row b: Int) -> [Int32] {
        mask.withUnsafeBufferPointer { m in
            (0..<length).filter { m[b * length + $0] != 0 }.map { tokens[b * length + $0] }
        }
    }

    /// The number of real tokens in each row.
    public var realLengths: [Int] {
        mask.withUnsafeBufferPointer { m in
            (0..<batchSize).map { b in (0..<length).reduce(0) { $0 + (m[b * length + $1] != 0 ? 1 : 0) } }
        }
    }

    /// `[self | other]` along the time axis (e.g. a left-padded prompt and a right-padded response).
    public func concatenated(with other: TokenBatch) -> TokenBatch {
        precondition(batchSize == other.batchSize, "TokenBatch: cannot join \(batchSize) rows with \(other.batchSize)")
        var ids = [Int32]()
        ids.reserveCapacity(batchSize * (length + other.length))
        for b in 0..<batchSize {
            ids += tokens[(b * length)..<((b + 1) * length)]
            ids += other.tokens[(b * other.length)..<((b + 1) * other.length)]
        }
        return TokenBatch(tokens: ids, batchSize: batchSize, length: length + other.length,
                          mask: Tensor.concatenate([mask, other.mask], axis: 1))
    }

    /// Position ids: the number of earlier real tokens of the same sequence in the row, plus the length of the
    /// row's shared prefix, so each sequence's first real token is at 0 (after left padding, and after the
    /// previous sequence of a packed row) or right after the prefix; padded positions get 0 (they are never
    /// attended to).
    public var positions: [Int32] {
        var out = [Int32](repeating: 0, count: tokens.count)
        mask.withUnsafeBufferPointer { m in
            for b in 0..<batchSize {
                var seen: Int32 = 0, prefix: Int32 = 0
                var segment: Float = 0
                for t in 0..<length where m[b * length + t] != 0 {
                    let s = m[b * length + t]
                    if s != segment { (segment, seen) = (s, prefix) }
                    out[b * length + t] = seen
                    seen += 1
                    if s < 0 { prefix = seen }
                }
            }
        }
        return out
    }

    /// Whether every position is a real token of a row's only sequence (no padding, nothing packed), so the
    /// model may skip the mask altogether.
    public var isDense: Bool { mask.withUnsafeBufferPointer { $0.allSatisfy { $0 == 1 } } }
}
