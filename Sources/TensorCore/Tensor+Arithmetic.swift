// Elementwise arithmetic with NumPy broadcasting, scalar operations and unary maps.
import Foundation

extension Tensor {
    /// Applies `op` elementwise to two broadcast-compatible tensors.
    @inlinable
    public static func binary(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let pa = a.pointer, pb = b.pointer, po = out.pointer
            let n = a.count
            Compute.parallelFor(n, minimumWork: 1 << 17) { r in
                for i in r { po[i] = op(pa[i], pb[i]) }
            }
            return out
        }
        if b.count == 1 {
            let s = b.pointer[0]
            return a.map { op($0, s) }.reshaped(Tensor.broadcastShape(a.shape, b.shape)!)
        }
        if a.count == 1 {
            let s = a.pointer[0]
            return b.map { op(s, $0) }.reshaped(Tensor.broadcastShape(a.shape, b.shape)!)
        }
        guard let shape = Tensor.broadcastShape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        let out = Tensor(uninitializedShape: shape)
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        let sa = Tensor.broadcastStrides(a.shape, to: shape)
        let sb = Tensor.broadcastStrides(b.shape, to: shape)
        Tensor.forEachOffset(shape: shape, strides: [sa, sb]) { o, offs, inner, st in
            let x = pa + offs[0], y = pb + offs[1], z = po + o
            let s0 = st[0], s1 = st[1]
            if s0 == 1 && s1 == 1 {
                for j in 0..<inner { z[j] = op(x[j], y[j]) }
            } else if s0 == 1 && s1 == 0 {
                let c = y[0]
                for j in 0..<inner { z[j] = op(x[j], c) }
            } else if s0 == 0 && s1 == 1 {
                let c = x[0]
                for j in 0..<inner { z[j] = op(c, y[j]) }
            } else {
                for j in 0..<inner { z[j] = op(x[j * s0], y[j * s1]) }
            }
        }
        return out
    }

    /// Applies `op` to every element.
    @inlinable
    public func map(_ op: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = pointer, o = out.pointer
        Compute.parallelFor(count, minimumWork: 1 << 16) { r in
            for i in r { o[i] = op(p[i]) }
        }
        return out
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        a.shape == b.shape ? sameShape(a, b, add: true) : binary(a, b, +)
    }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(a, b, -) }
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        a.shape == b.shape ? sameShape(a, b, add: false) : binary(a, b, *)
    }

    /// a + b or a ⊙ b for equal shapes (residual connections, gradient products). `binary` reaches its
    /// operator through a closure that the parallel loop calls once per element; here the loops are plain
    /// and vectorise.
    static func sameShape(_ a: Tensor, _ b: Tensor, add: Bool) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        Compute.parallelFor(a.count, minimumWork: 1 << 17) { r in
            let x = pa + r.lowerBound, y = pb + r.lowerBound, z = po + r.lowerBound
            if add {
                for i in 0..<r.count { z[i] = x[i] + y[i] }
            } else {
                for i in 0..<r.count { z[i] = x[i] * y[i] }
            }
        }
        return out
    }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(a, b, /) }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    public static func + (s: Float, a: Tensor) -> Tensor { a.map { s + $0 } }
    public static func - (s: Float, a: Tensor) -> Tensor { a.map { s - $0 } }
    public static func * (s: Float, a: Tensor) -> Tensor { a.map { s * $0 } }
    public static func / (s: Float, a: Tensor) -> Tensor { a.map { s / $0 } }

    /// In-place `self += other` (same shape). Copies first if the storage is shared.
    public static func += (a: inout Tensor, b: Tensor) {
        precondition(a.shape == b.shape, "+= needs equal shapes, got \(a.shape) and \(b.shape)")
        let pb = b.pointer
        a.withUnsafeMutableBufferPointer { pa in
            let base = pa.baseAddress!
            Compute.parallelFor(pa.count, minimumWork: 1 << 18) { r in
                for i in r { base[i] += pb[i] }
            }
        }
    }

    /// In-place scaling.
    public static func *= (a: inout Tensor, s: Float) {
        a.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= s } }
    }

    // MARK: Unary maps

    public func exp() -> Tensor { map { Foundation.exp($0) } }
    public func log() -> Tensor { map { Foundation.log($0) } }
    public func tanh() -> Tensor { map { Foundation.tanh($0) } }
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    public func pow(_ exponent: Float) -> Tensor { map { Foundation.pow($0, exponent) } }
    public func relu() -> Tensor { map { Swift.max($0, 0) } }
    public func sigmoid() -> Tensor { map { Tensor.sigmoid($0) } }
    public func softplus() -> Tensor { map { Tensor.softplus($0) } }
    public func abs() -> Tensor { map { Swift.abs($0) } }
    public func clamped(min lo: Float, max hi: Float) -> Tensor { map { Swift.min(Swift.max($0, lo), hi) } }
    /// GELU, tanh approximation (GPT-2's `gelu_new`).
    public func gelu() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = pointer, o = out.pointer
        Compute.parallelFor(count, costPerItem: 16, minimumWork: 1 << 16) { r in
            FastMath.gelu(p + r.lowerBound, o + r.lowerBound, count: r.count)
        }
        return out
    }

    @inlinable static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
    }

    /// log(1 + eˣ) without overflow.
    @inlinable static func softplus(_ x: Float) -> Float {
        x > 20 ? x : (x < -20 ? Foundation.exp(x) : Foundation.log1p(Foundation.exp(x)))
    }


    /// Elementwise choice: `condition != 0 ? a : b`, with broadcasting over all three.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = broadcastShape(a.shape, b.shape), let shape = broadcastShape(condition.shape, ab) else {
            preconditionFailure("where: shapes \(condition.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let c = condition.broadcast(to: shape), x = a.broadcast(to: shape), y = b.broadcast(to: shape)
        let out = Tensor(uninitializedShape: shape)
        let pc = c.pointer, px = x.pointer, py = y.pointer, po = out.pointer
        for i in 0..<out.count { po[i] = pc[i] != 0 ? px[i] : py[i] }
        return out
    }

    /// Replaces elements where `mask != 0` by `value` (mask broadcasts to this shape).
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        Tensor.where(mask, Tensor(value), self).broadcast(to: shape)
    }
}
