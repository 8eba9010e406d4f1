// Reductions over one axis (sum, mean, max, argmax) and over the whole tensor.
import Foundation

extension Tensor {
    /// The tensor viewed as [outer, axis, inner] around `axis`.
    @usableFromInline
    func splitAround(_ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        let ax = self.axis(axis)
        return (shape[..<ax].reduce(1, *), shape[ax], shape[(ax + 1)...].reduce(1, *))
    }

    func reducedShape(_ axis: Int, keeping: Bool) -> [Int] {
        var s = shape
        if keeping { s[self.axis(axis)] = 1 } else { s.remove(at: self.axis(axis)) }
        return s
    }

    /// Sum over `axis`.
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, length, inner) = splitAround(axis)
        let out = Tensor(zeros: reducedShape(axis, keeping: keepingDimension))
        let src = pointer, dst = out.pointer
        Compute.parallelFor(outer, costPerItem: length * inner, minimumWork: 1 << 17) { r in
            for o in r {
                let d = dst + o * inner
                for l in 0..<length {
                    let s = src + (o * length + l) * inner
                    for i in 0..<inner { d[i] += s[i] }
                }
            }
        }
        return out
    }

    /// Mean over `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        sum(axis: axis, keepingDimension: keepingDimension) * (1 / Float(shape[self.axis(axis)]))
    }

    /// Maximum over `axis`.
    public func max(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, length, inner) = splitAround(axis)
        precondition(length > 0, "max over an empty axis")
        let out = Tensor(uninitializedShape: reducedShape(axis, keeping: keepingDimension))
        let src = pointer, dst = out.pointer
        for o in 0..<outer {
            let d = dst + o * inner
            d.update(from: src + o * length * inner, count: inner)
            for l in 1..<length {
                let s = src + (o * length + l) * inner
                for i in 0..<inner where s[i] > d[i] { d[i] = s[i] }
            }
        }
        return out
    }

    /// Index of the maximum over `axis` (first one on ties), as floats.
    public func argmax(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, length, inner) = splitAround(axis)
        precondition(length > 0, "argmax over an empty axis")
        let out = Tensor(uninitializedShape: reducedShape(axis, keeping: keepingDimension))
        let src = pointer, dst = out.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var best = src[o * length * inner + i], bestIndex = 0
                for l in 1..<length {
                    let v = src[(o * length + l) * inner + i]
                    if v > best { best = v; bestIndex = l }
                }
                dst[o * inner + i] = Float(bestIndex)
            }
        }
        return out
    }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Float {
        var s: Double = 0
        let p = pointer
        for i in 0..<count { s += Double(p[i]) }
        return Float(s)
    }

    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? .nan : sum() / Float(count) }

    /// Largest element.
    public func max() -> Float { scalars.max() ?? -.infinity }

    /// True when no element is NaN or infinite.
    public var isFinite: Bool {
        let p = pointer
        for i in 0..<count where !p[i].isFinite { return false }
        return true
    }
}
