// GELU (tanh approximation, GPT-2's `gelu_new`) with a vectorised rational tanh, for the MLPs of the
// training and inference paths. libm's tanhf was ~20% of a tiny-config train step; this kernel runs several lanes
// at a time (as auto-vectorised scalar code). The tanh is Eigen's float rational approximation (numerator degree 13, denominator degree 6,
// clamped to ±7.9053), with maximum absolute error 4e-7 against tanh on [−9, 9].
import Foundation
import TensorCore

enum FastMath {
    static let geluC: Float = 0.7978845608028654   // √(2/π)
    static let geluA: Float = 0.044715

    /// Written as scalar code with selects, no calls and no reductions, so that LLVM vectorises the loops
    /// below (Swift's generic SIMD clamping compiled to a scalar loop through the stack).
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let limit: Float = 7.90531110763549805
        let xc = x < -limit ? -limit : (x > limit ? limit : x)
        let x2 = xc * xc
        var p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13
        p = p * x2 + -8.60467152213735e-11
        p = p * x2 + 5.12229709037114e-08
        p = p * x2 + 1.48572235717979e-05
        p = p * x2 + 6.37261928875436e-04
        p = p * x2 + 4.89352455891786e-03
        p = p * xc
        var q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04
        q = q * x2 + 2.26843463243900e-03
        q = q * x2 + 4.89352518554385e-03
        return p / q
    }

    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + tanh(geluC * (x + geluA * x * x * x)))
    }

    @inline(__always)
    static func geluDerivative(_ x: Float) -> Float {
        let t = tanh(geluC * (x + geluA * x * x * x))
        let du = geluC * (1 + (3 * geluA) * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    }

    /// dst = gelu(src) over `count` elements (may alias).
    static func gelu(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        Compute.parallelFor(count, costPerItem: 16, minimumWork: 1 << 16) { range in
            for i in range { dst[i] = gelu(src[i]) }
        }
    }

    /// dx (=|+=) g ⊙ gelu′(x) over `count` elements.
    static func geluBackward(x src: UnsafePointer<Float>, gradient g: UnsafePointer<Float>,
                             into dx: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        Compute.parallelFor(count, costPerItem: 24, minimumWork: 1 << 16) { range in
            if accumulate {
                for i in range { dx[i] += g[i] * geluDerivative(src[i]) }
            } else {
                for i in range { dx[i] = g[i] * geluDerivative(src[i]) }
            }
        }
    }
}

extension Variable {
    /// GELU with the tanh approximation (as `gelu()`), through the vectorised kernel in both directions.
    public func fastGELU() -> Variable {
        let x = self
        let xv = value
        var y = Tensor(uninitializedShape: xv.shape)
        xv.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in FastMath.gelu(src.baseAddress!, dst.baseAddress!, count: src.count) }
        }
        return Variable.record(y, parents: [x]) { g in
            xv.withUnsafeBufferPointer { src in
                g.withUnsafeBufferPointer { pg in
                    x.withGradientBuffer { dx, beta in
                        FastMath.geluBackward(x: src.baseAddress!, gradient: pg.baseAddress!, into: dx, count: src.count,
                                              accumulate: beta != 0)
                    }
                }
            }
        }
    }
}
