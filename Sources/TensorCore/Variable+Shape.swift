// Differentiable shape ops: reshape, permute, transpose, slice, concatenate.
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
}
