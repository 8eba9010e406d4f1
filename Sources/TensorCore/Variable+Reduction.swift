// Differentiable reductions: sum and mean (over an axis or everything) and max over an axis.
import Foundation

extension Variable {
    public func sum(axis: Int, keepingDimension: Bool = false) -> Variable {
        let ax = value.axis(axis)
        let full = shape
        var kept = full
        kept[ax] = 1
        return Variable.record(value.sum(axis: ax, keepingDimension: keepingDimension), parents: [self]) { [self] g in
            self.accumulateGradient(g.reshaped(kept).broadcast(to: full))
        }
    }

    public func mean(axis: Int, keepingDimension: Bool = false) -> Variable {
        sum(axis: axis, keepingDimension: keepingDimension) * (1 / Float(shape[value.axis(axis)]))
    }

    /// Sum of all elements, as a one-element variable of shape [].
    public func sum() -> Variable {
        let full = shape
        return Variable.record(Tensor(value.sum()), parents: [self]) { [self] g in
            self.accumulateGradient(Tensor(shape: full, repeating: g.item))
        }
    }

    /// Mean of all elements.
    public func mean() -> Variable { sum() * (1 / Float(Swift.max(value.count, 1))) }

    /// Maximum over an axis; the gradient goes to the first maximal element.
    public func max(axis: Int, keepingDimension: Bool = false) -> Variable {
        let ax = value.axis(axis)
        let x = value
        let arg = value.argmax(axis: ax, keepingDimension: false)
        let (outer, length, inner) = x.splitAround(ax)
        return Variable.record(value.max(axis: ax, keepingDimension: keepingDimension), parents: [self]) { [self] g in
            let dx = Tensor(zeros: x.shape)
            let pd = dx.pointer, pg = g.pointer, pa = arg.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let l = Int(pa[o * inner + i])
                    pd[(o * length + l) * inner + i] += pg[o * inner + i]
                }
            }
            self.accumulateGradient(dx)
        }
    }
}
