// Vectorised transcendental functions for the hot row kernels (softmax, log-softmax, GELU).
// `exp` is a Cody–Waite range reduction plus a degree-6 polynomial on SIMD8 lanes (8 lanes: wider vectors
// spill registers on the baseline x86-64 target and run slower than scalar code). Relative error is below
// 2e-7; inputs at or below −88 give exactly 0 (so masked −∞ logits contribute nothing), inputs above 88.7
// saturate at the largest float instead of +∞, and NaN inputs give an unspecified value: callers that must
// detect NaN check their inputs or outputs (the trainers check losses).
import Foundation

/// Fast elementwise math over raw buffers.
public enum FastMath {
    public typealias Vector = SIMD8<Float>

    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Clamping the low end at −88 makes n = −127 there, whose exponent bits are 0: the result is exactly 0.
        let c = pointwiseMin(pointwiseMax(x, Vector(repeating: -88)), Vector(repeating: 88.72))
        // Adding 1.5·2²³ rounds to the nearest integer and leaves n in the low mantissa bits of j.
        let j = c * 1.442695040888963 + 12_582_912.0
        let n = j - 12_582_912.0
        var r = c - n * 0.693359375
        r = r + n * 2.12194440e-4  // ln2 split in two parts so that r is exact (Cody–Waite)
        // e^r for |r| ≤ ln2/2 by Taylor to degree 6, Horner form.
        var p = Vector(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // Scale by 2^n through the exponent bits.
        let bits = (unsafeBitCast(j, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: Vector.self)
    }

    /// dst[i] = exp(src[i] − shift) for i < count; returns the sum (accumulated in Float). `dst` may alias `src`.
    @inlinable
    public static func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var i = 0
        var acc = Vector(repeating: 0)
        let s = Vector(repeating: shift)
        while i + 8 <= count {
            let v = exp(UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self) - s)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: Vector.self)
            acc += v
            i += 8
        }
        var total = acc.sum()
        if i < count {
            var tail = Vector(repeating: -.infinity)
            for j in 0..<(count - i) { tail[j] = src[i + j] - shift }
            let v = exp(tail)
            for j in 0..<(count - i) { dst[i + j] = v[j]; total += v[j] }
        }
        return total
    }

    /// Sum of exp(src[i] − shift) without storing the terms.
    @inlinable
    public static func sumExpShifted(_ src: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
        var i = 0
        var acc = Vector(repeating: 0)
        let s = Vector(repeating: shift)
        while i + 8 <= count {
            acc += exp(UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self) - s)
            i += 8
        }
        var total = acc.sum()
        if i < count {
            var tail = Vector(repeating: -.infinity)
            for j in 0..<(count - i) { tail[j] = src[i + j] - shift }
            total += exp(tail).sum()
        }
        return total
    }

    /// Maximum of `count` floats (−∞ when empty).
    @inlinable
    public static func maximum(_ src: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        var acc = Vector(repeating: -.infinity)
        while i + 8 <= count {
            acc = pointwiseMax(acc, UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self))
            i += 8
        }
        var m = acc.max()
        while i < count { if src[i] > m { m = src[i] }; i += 1 }
        return m
    }

    /// GELU (tanh form) of a vector: 0.5·x·(1 + tanh(u)) = x · σ(2u) = x / (1 + e^(−2u)).
    @inlinable @inline(__always)
    public static func gelu(_ x: Vector) -> Vector {
        let u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
        return x / (1 + exp(-2 * u))
    }

    /// dst[i] = gelu(src[i]).
    @inlinable
    public static func gelu(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = gelu(UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self))
            UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: Vector.self)
            i += 8
        }
        while i < count { dst[i] = Tensor.gelu(src[i]); i += 1 }
    }
}

extension FastMath {
    /// dst[i] = g[i] · gelu′(x[i]) (tanh form), overwriting, or adding into dst when `accumulate`.
    @inlinable
    public static func geluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                    count: Int, accumulate: Bool) {
        var i = 0
        while i + 8 <= count {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: Vector.self)
            let u = 0.7978845608028654 * (xv + 0.044715 * xv * xv * xv)
            let s = 1 / (1 + exp(-2 * u))   // σ(2u), so tanh(u) = 2s − 1
            let t = 2 * s - 1
            let du = 0.7978845608028654 * (1 + 3 * 0.044715 * xv * xv)
            var d = gv * (0.5 * (1 + t) + 0.5 * xv * (1 - t * t) * du)
            if accumulate { d += UnsafeRawPointer(dst + i).loadUnaligned(as: Vector.self) }
            UnsafeMutableRawPointer(dst + i).storeBytes(of: d, as: Vector.self)
            i += 8
        }
        while i < count {
            let d = g[i] * Tensor.geluDerivative(x[i])
            dst[i] = accumulate ? dst[i] + d : d
            i += 1
        }
    }
}
