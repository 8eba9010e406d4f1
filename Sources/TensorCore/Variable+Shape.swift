// Differentiable shape ops: reshape, permute, transpose, slice, concatenate, row replacement.
import Foundation

extension Variable {
    public func reshaped(_ newShape: [Int]) -> Variable {
        let old = shape
        return Variable.record(value.reshaped(newShape), parents: [self]) { [self] g in
            self.accumulateGradient(g.reshaped(old))
        }
    }

    public func permuted(_ order: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Variable.record(value.permuted(order), parents: [self]) { [self] g in
            self.accumulateGradient(g.permuted(inverse))
        }
    }

    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Variable {
        var order = Array(0..<value.rank)
        order.swapAt(value.axis(a), value.axis(b))
        return permuted(order)
    }

    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let ax = value.axis(axis)
        let full = shape
        return Variable.record(value.slice(axis: ax, range), parents: [self]) { [self] g in
            // Scatter the gradient back into zeros of the full shape.
            let dx = Tensor(zeros: full)  // written through its pointer (fresh, uniquely owned)
            let outer = full[..<ax].reduce(1, *), inner = full[(ax + 1)...].reduce(1, *)
            let block = range.count * inner
            let pd = dx.pointer, pg = g.pointer
            for o in 0..<outer {
                (pd + (o * full[ax] + range.lowerBound) * inner).update(from: pg + o * block, count: block)
            }
            self.accumulateGradient(dx)
        }
    }

    public static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        let out = Tensor.concatenate(parts.map(\.value), axis: axis)
        let ax = out.axis(axis)
        return record(out, parents: parts) { g in
            var start = 0
            for p in parts {
                let n = p.shape[ax]
                if p.requiresGrad { p.accumulateGradient(g.slice(axis: ax, start..<(start + n))) }
                start += n
            }
        }
    }

    /// This `[N, C]` table with row `indices[i]` replaced by row i of `rows` (`[indices.count, C]`), as
    /// `torch.index_copy` along axis 0: the table is not changed. Backward sends each replaced row's gradient to
    /// `rows` and every other row's to the table, so a frozen table with trainable `rows` trains only those rows
    /// (Hugging Face PEFT's trainable tokens).
    ///
    /// - Precondition: `indices` are distinct and inside `0..<N`; `rows` is `[indices.count, C]`.
    public func replacingRows(_ indices: [Int], with rows: Variable) -> Variable {
        let table = self
        precondition(table.value.rank == 2 && rows.value.rank == 2, "replacingRows: table \(table.shape) and rows \(rows.shape) must be matrices")
        let n = table.shape[0], c = table.shape[1]
        precondition(rows.shape == [indices.count, c], "replacingRows: rows \(rows.shape) must be [\(indices.count), \(c)]")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < n } && Set(indices).count == indices.count,
                     "replacingRows: indices must be distinct rows of 0..<\(n)")
        var out = table.value   // copied on the first write: the table keeps its rows
        let pr = rows.value.pointer
        out.withUnsafeMutableBufferPointer { po in
            for (i, index) in indices.enumerated() { (po.baseAddress! + index * c).update(from: pr + i * c, count: c) }
        }
        return Variable.record(out, parents: [table, rows]) { g in
            let pg = g.pointer
            if rows.requiresGrad {
                let dr = Tensor(uninitializedShape: [indices.count, c])
                for (i, index) in indices.enumerated() { (dr.pointer + i * c).update(from: pg + index * c, count: c) }
                rows.accumulateGradient(dr)
            }
            if table.requiresGrad {
                var dt = g
                dt.withUnsafeMutableBufferPointer { pd in
                    for index in indices { (pd.baseAddress! + index * c).update(repeating: 0, count: c) }
                }
                table.accumulateGradient(dt)
            }
        }
    }
}
