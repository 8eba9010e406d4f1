// Differentiable elementwise arithmetic with broadcasting, and unary functions. Each op's backward sits next
// to its forward; broadcast gradients are reduced back to the parent's shape with `sumToShape`.
import Foundation

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        record(a.value + b.value, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient(g.sumToShape(a.shape)) }
            if b.requiresGrad { b.accumulateGradient(g.sumToShape(b.shape)) }
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        record(a.value - b.value, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient(g.sumToShape(a.shape)) }
            if b.requiresGrad { b.accumulateGradient((-g).sumToShape(b.shape)) }
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        return record(av * bv, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient((g * bv).sumToShape(a.shape)) }
            if b.requiresGrad { b.accumulateGradient((g * av).sumToShape(b.shape)) }
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        return record(av / bv, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient((g / bv).sumToShape(a.shape)) }
            // d(a/b)/db = −a/b²
            if b.requiresGrad { b.accumulateGradient((Tensor.binary(g * av, bv) { x, y in -x / (y * y) }).sumToShape(b.shape)) }
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        record(-a.value, parents: [a]) { g in a.accumulateGradient(-g) }
    }

    public static func + (a: Variable, s: Float) -> Variable { record(a.value + s, parents: [a]) { g in a.accumulateGradient(g) } }
    public static func - (a: Variable, s: Float) -> Variable { record(a.value - s, parents: [a]) { g in a.accumulateGradient(g) } }
    public static func * (a: Variable, s: Float) -> Variable { record(a.value * s, parents: [a]) { g in a.accumulateGradient(g * s) } }
    public static func / (a: Variable, s: Float) -> Variable { a * (1 / s) }
    public static func + (s: Float, a: Variable) -> Variable { a + s }
    public static func - (s: Float, a: Variable) -> Variable { -a + s }
    public static func * (s: Float, a: Variable) -> Variable { a * s }

    /// An elementwise op whose derivative is a function of the input and output: `dy/dx = derivative(x, y)`.
    @inlinable
    func unary(_ forward: Tensor, _ derivative: @escaping (Float, Float) -> Float) -> Variable {
        let x = value
        return Variable.record(forward, parents: [self]) { [self] g in
            let dx = Tensor(uninitializedShape: x.shape)
            let px = x.pointer, py = forward.pointer, pg = g.pointer, pd = dx.pointer
            Compute.parallelFor(x.count, minimumWork: 1 << 16) { r in
                for i in r { pd[i] = pg[i] * derivative(px[i], py[i]) }
            }
            self.accumulateGradient(dx)
        }
    }

    public func exp() -> Variable { unary(value.exp()) { _, y in y } }
    public func log() -> Variable { unary(value.log()) { x, _ in 1 / x } }
    public func tanh() -> Variable { unary(value.tanh()) { _, y in 1 - y * y } }
    public func sqrt() -> Variable { unary(value.sqrt()) { _, y in 0.5 / y } }
    public func pow(_ p: Float) -> Variable { unary(value.pow(p)) { x, _ in p * Foundation.pow(x, p - 1) } }
    public func relu() -> Variable { unary(value.relu()) { x, _ in x > 0 ? 1 : 0 } }
    public func sigmoid() -> Variable { unary(value.sigmoid()) { _, y in y * (1 - y) } }
    public func softplus() -> Variable { unary(value.softplus()) { x, _ in Tensor.sigmoid(x) } }
    public func abs() -> Variable { unary(value.abs()) { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) } }
    /// GELU, tanh approximation.
    ///
    /// When a graph is recorded, the forward pass also keeps each element's tanh term t, so that the backward
    /// pass is a few multiplications (gelu′ = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)) instead of a
    /// second rational tanh with its division. The output is bit-identical to `Tensor.gelu` either way.
    public func gelu() -> Variable {
        guard GradientMode.isEnabled, requiresGrad else { return Variable(value.gelu()) }
        let x = value
        let y = Tensor(uninitializedShape: x.shape), tanhs = Tensor(uninitializedShape: x.shape)
        let px = x.pointer, py = y.pointer, pt = tanhs.pointer
        Compute.parallelFor(x.count, costPerItem: 16, minimumWork: 1 << 16) { r in
            FastMath.gelu(px + r.lowerBound, py + r.lowerBound, tanhs: pt + r.lowerBound, count: r.count)
        }
        return Variable.record(y, parents: [self]) { [self] g in
            self.withGradientBuffer { dx, beta in
                let px = x.pointer, pt = tanhs.pointer, pg = g.pointer
                Compute.parallelFor(x.count, costPerItem: 8, minimumWork: 1 << 16) { r in
                    FastMath.geluBackward(px + r.lowerBound, tanhs: pt + r.lowerBound, pg + r.lowerBound, dx + r.lowerBound,
                                          count: r.count, accumulate: beta != 0)
                }
            }
        }
    }
    /// Clamps to [lo, hi]; the gradient is 1 inside the interval and 0 outside (as in PyTorch).
    public func clamped(min lo: Float, max hi: Float) -> Variable {
        unary(value.clamped(min: lo, max: hi)) { x, _ in (x >= lo && x <= hi) ? 1 : 0 }
    }

    /// Elementwise maximum; ties send the gradient to `a`.
    public static func maximum(_ a: Variable, _ b: Variable) -> Variable {
        let av = a.value, bv = b.value
        let pickA = Tensor.binary(av, bv) { $0 >= $1 ? 1 : 0 }
        return record(Tensor.binary(av, bv) { Swift.max($0, $1) }, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient((g * pickA).sumToShape(a.shape)) }
            if b.requiresGrad { b.accumulateGradient((g * (1 - pickA)).sumToShape(b.shape)) }
        }
    }

    /// `condition != 0 ? a : b` elementwise (the condition is a constant tensor).
    public static func `where`(_ condition: Tensor, _ a: Variable, _ b: Variable) -> Variable {
        let out = Tensor.where(condition, a.value, b.value)
        // Route on `!= 0` exactly as the forward does; using the raw condition would scale by its value.
        let c = condition.broadcast(to: out.shape).map { $0 != 0 ? 1 : 0 }
        return record(out, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGradient((g * c).sumToShape(a.shape)) }
            if b.requiresGrad { b.accumulateGradient((g * (1 - c)).sumToShape(b.shape)) }
        }
    }

    /// Replaces elements where `mask != 0` by `fill`; no gradient flows through replaced elements.
    public func maskedFill(_ mask: Tensor, with fill: Float) -> Variable {
        let keep = mask.broadcast(to: shape).map { $0 != 0 ? 0 : 1 }
        return Variable.record(value.maskedFill(mask, with: fill), parents: [self]) { [self] g in
            self.accumulateGradient(g * keep)
        }
    }

    /// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1−p).
    /// Identity when `p == 0`.
    public func dropout<G: RandomNumberGenerator>(probability p: Float, using generator: inout G) -> Variable {
        if p == 0 { return self }
        let mask = Tensor.dropoutMask(shape, probability: p, using: &generator)
        return self * Variable(mask)
    }
}
