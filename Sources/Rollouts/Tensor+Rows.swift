// Rows and columns of [B, …] tensors and token batches, for cutting a rollout into minibatches.
import Foundation
import LanguageModels
import TensorCore

extension Tensor {
    /// The rows `indices` of a `[B, …]` tensor, in that order.
    public func rows(_ indices: [Int]) -> Tensor {
        let width = count / Swift.max(shape[0], 1)
        var out = [Float]()
        out.reserveCapacity(indices.count * width)
        withUnsafeBufferPointer { p in
            for i in indices { out += p[(i * width)..<((i + 1) * width)] }
        }
        return Tensor(shape: [indices.count] + shape.dropFirst(), scalars: out)
    }
}

extension TokenBatch {
    /// The rows `indices`, in that order.
    public func rows(_ indices: [Int]) -> TokenBatch {
        var ids = [Int32]()
        ids.reserveCapacity(indices.count * length)
        for i in indices { ids += tokens[(i * length)..<((i + 1) * length)] }
        return TokenBatch(tokens: ids, batchSize: indices.count, length: length, mask: mask.rows(indices))
    }

    /// The columns `range`.
    public func columns(_ range: Range<Int>) -> TokenBatch {
        var ids = [Int32]()
        ids.reserveCapacity(batchSize * range.count)
        for b in 0..<batchSize { ids += tokens[(b * length + range.lowerBound)..<(b * length + range.upperBound)] }
        return TokenBatch(tokens: ids, batchSize: batchSize, length: range.count, mask: mask.slice(axis: 1, range))
    }

    /// The columns from the first that holds a real token in any row to the end (at least one column):
    /// the left padding that every row shares.
    public func withoutSharedLeftPadding() -> TokenBatch {
        let first = mask.withUnsafeBufferPointer { m in
            (0..<length).first { t in (0..<batchSize).contains { m[$0 * length + t] != 0 } } ?? Swift.max(length - 1, 0)
        }
        return first == 0 ? self : columns(first..<length)
    }

    /// The number of leading columns that hold a real token in some row (at least 1): the width left after
    /// dropping the right padding that every row shares.
    public var widthWithoutSharedRightPadding: Int {
        let last = mask.withUnsafeBufferPointer { m in
            (0..<length).last { t in (0..<batchSize).contains { m[$0 * length + t] != 0 } } ?? 0
        }
        return Swift.max(last + 1, 1)
    }
}
