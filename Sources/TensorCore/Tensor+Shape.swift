// Shape operations: reshape (free), permute/transpose, slice, concatenate, broadcast and reduce-to-shape.
import Foundation

extension Tensor {
    /// The same elements with a new shape of equal element count. One dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        return Tensor(shape: resolved, storage: storage)
    }

    /// Reorders the axes: output axis i is input axis `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permutation \(order) is invalid for rank \(rank)")
        if order == Array(0..<rank) { return self }
        let outShape = order.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let strideForOut = order.map { inStrides[$0] }
        let out = Tensor(uninitializedShape: outShape)
        let src = pointer
        let dst = out.pointer
        // Iterate the output in order; the innermost axis is a strided copy.
        let inner = outShape.last ?? 1
        let innerStride = strideForOut.last ?? 1
        let outer = count / Swift.max(inner, 1)
        if count == 0 { return out }
        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
        var offset = 0
        for o in 0..<outer {
            let d = dst + o * inner
            let s = src + offset
            for j in 0..<inner { d[j] = s[j * innerStride] }
            // Advance the multi-index over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offset += strideForOut[axis]
                if index[axis] < outShape[axis] { break }
                offset -= strideForOut[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// Swaps two axes (default: the last two).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(axis(a), axis(b))
        return permuted(order)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = self.axis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax],
                     "slice \(range) out of bounds for axis \(ax) of shape \(shape)")
        var outShape = shape
        outShape[ax] = range.count
        let outer = shape[..<ax].reduce(1, *)
        let inner = shape[(ax + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: outShape)
        let src = pointer, dst = out.pointer
        let block = range.count * inner
        for o in 0..<outer {
            (dst + o * block).update(from: src + (o * shape[ax] + range.lowerBound) * inner, count: block)
        }
        return out
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let ax = first.axis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                         "cannot concatenate shapes \(tensors.map(\.shape)) along axis \(ax)")
        }
        var outShape = first.shape
        outShape[ax] = tensors.reduce(0) { $0 + $1.shape[ax] }
        let outer = first.shape[..<ax].reduce(1, *)
        let inner = first.shape[(ax + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: outShape)
        let dst = out.pointer
        let outBlock = outShape[ax] * inner
        var offset = 0
        for t in tensors {
            let block = t.shape[ax] * inner
            for o in 0..<outer { (dst + o * outBlock + offset).update(from: t.pointer + o * block, count: block) }
            offset += block
        }
        return out
    }

    /// The shape that results from broadcasting two shapes (NumPy rules), or nil if they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// This tensor repeated along broadcast axes to `target` shape.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Tensor.broadcastShape(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let out = Tensor(uninitializedShape: target)
        let src = pointer, dst = out.pointer
        let strides = Tensor.broadcastStrides(shape, to: target)
        Tensor.forEachOffset(shape: target, strides: [strides]) { outIndex, offsets, inner, innerStrides in
            let s = src + offsets[0], d = dst + outIndex
            let st = innerStrides[0]
            for j in 0..<inner { d[j] = s[j * st] }
        }
        return out
    }

    /// Sums over broadcast axes so that the result has `target` shape (the gradient of `broadcast(to:)`).
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        var result = self
        // Sum away leading axes, then axes where the target has extent 1.
        while result.rank > target.count { result = result.sum(axis: 0) }
        for i in 0..<target.count where target[i] == 1 && result.shape[i] != 1 {
            result = result.sum(axis: i, keepingDimension: true)
        }
        precondition(result.shape == target, "cannot reduce \(shape) to \(target)")
        return result
    }

    /// Element strides of `shape` when broadcast to `target` (0 on broadcast axes).
    @usableFromInline static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(of: shape)
        let lead = target.count - shape.count
        return (0..<target.count).map { i in
            i < lead ? 0 : (shape[i - lead] == 1 && target[i] != 1 ? 0 : own[i - lead])
        }
    }

    /// Walks a shape in row-major order, calling `body(outputOffset, inputOffsets, innerCount, innerStrides)`
    /// once per innermost row, where each input has its own (possibly zero) strides.
    @usableFromInline static func forEachOffset(
        shape: [Int], strides: [[Int]],
        _ body: (Int, [Int], Int, [Int]) -> Void
    ) {
        let total = shape.reduce(1, *)
        if total == 0 { return }
        let rank = shape.count
        if rank == 0 {
            body(0, strides.map { _ in 0 }, 1, strides.map { _ in 0 })
            return
        }
        let inner = shape[rank - 1]
        let innerStrides = strides.map { $0[rank - 1] }
        var index = [Int](repeating: 0, count: rank - 1)
        var offsets = [Int](repeating: 0, count: strides.count)
        var out = 0
        while out < total {
            body(out, offsets, inner, innerStrides)
            out += inner
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                for k in 0..<strides.count { offsets[k] += strides[k][axis] }
                if index[axis] < shape[axis] { break }
                for k in 0..<strides.count { offsets[k] -= strides[k][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
