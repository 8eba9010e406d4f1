import Distributed
// Masked reductions and whitening over [B, T] tensors (the conventions are in the TrainingCore article). A mask
// holds 1 for real tokens and 0 for padding; statistics are taken over all rows and all real tokens together.
import TensorCore

/// Σ x·m over every element.
public func maskedSum(_ x: Tensor, mask: Tensor) -> Double {
    precondition(x.shape == mask.shape, "maskedSum: shapes \(x.shape) and \(mask.shape) differ")
    return x.withUnsafeBufferPointer { px in
        mask.withUnsafeBufferPointer { pm in
            var s = 0.0
            for i in 0..<px.count where pm[i] != 0 { s += Double(px[i]) * Double(pm[i]) }
            return s
        }
    }
}

/// Σ x·m / Σ m (0 when the mask is empty).
public func maskedMean(_ x: Tensor, mask: Tensor) -> Double {
    let n = mask.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } }
    return n == 0 ? 0 : maskedSum(x, mask: mask) / n
}

/// Masked variance; `unbiased` multiplies by n/(n−1) as TRL's `masked_var` does.
public func maskedVariance(_ x: Tensor, mask: Tensor, unbiased: Bool = true) -> Double {
    let mean = maskedMean(x, mask: mask)
    var n = 0.0, s = 0.0
    x.withUnsafeBufferPointer { px in
        mask.withUnsafeBufferPointer { pm in
            for i in 0..<px.count where pm[i] != 0 {
                let d = Double(px[i]) - mean
                s += d * d * Double(pm[i])
                n += Double(pm[i])
            }
        }
    }
    if n == 0 { return 0 }
    let variance = s / n
    return unbiased && n > 1 ? variance * n / (n - 1) : variance
}

/// Whitening: `(x − μ) / sqrt(σ² + 1e−8)`, plus μ added back when `shiftMean` is false
/// (lm-human-preferences `utils/core.py::whiten`; TRL `masked_whiten`).
///
/// Padded positions (mask 0) are set to 0 in the result, as TRL does after whitening.
public func whiten(_ x: Tensor, mask: Tensor, shiftMean: Bool = true, unbiased: Bool = true) -> Tensor {
    whiten(x, mask: mask, mean: maskedMean(x, mask: mask), variance: maskedVariance(x, mask: mask, unbiased: unbiased),
           shiftMean: shiftMean)
}

/// `(x − mean) / sqrt(variance + 1e−8)` (plus `mean` when `shiftMean` is false) at the real entries, 0 elsewhere.
func whiten(_ x: Tensor, mask: Tensor, mean: Double, variance: Double, shiftMean: Bool) -> Tensor {
    let scale = 1 / (variance + 1e-8).squareRoot()
    var out = Tensor(zeros: x.shape)
    out.withUnsafeMutableBufferPointer { po in
        x.withUnsafeBufferPointer { px in
            mask.withUnsafeBufferPointer { pm in
                for i in 0..<px.count where pm[i] != 0 {
                    let w = (Double(px[i]) - mean) * scale
                    po[i] = Float(shiftMean ? w : w + mean)
                }
            }
        }
    }
    return out
}

/// Fraction of the variance of `returns` explained by `values`: 1 − Var(R − V) / Var(R), over real tokens.
public func explainedVariance(values: Tensor, returns: Tensor, mask: Tensor) -> Double {
    let varReturns = maskedVariance(returns, mask: mask, unbiased: false)
    if varReturns == 0 { return .nan }
    return 1 - maskedVariance(returns - values, mask: mask, unbiased: false) / varReturns
}

/// `whiten(x, mask:shiftMean:unbiased:)` with the mean and variance of the masked entries of every rank's `x`
/// (sums and counts all-reduced), so that a batch sharded over ranks is whitened as one. In one process, exactly
/// `whiten`.
public func whiten(_ x: Tensor, mask: Tensor, shiftMean: Bool = true, unbiased: Bool = true,
                   communicator: any Communicator) throws -> Tensor {
    guard communicator.size > 1 else { return whiten(x, mask: mask, shiftMean: shiftMean, unbiased: unbiased) }
    let (mean, variance) = try maskedMoments(x, mask: mask, unbiased: unbiased, communicator: communicator)
    return whiten(x, mask: mask, mean: mean, variance: variance, shiftMean: shiftMean)
}

/// The mean and variance of the masked entries of every rank's `x`: the sums Σx, Σx² and the count, all-reduced.
public func maskedMoments(_ x: Tensor, mask: Tensor, unbiased: Bool = true,
                          communicator: any Communicator) throws -> (mean: Double, variance: Double) {
    var sum = 0.0, squares = 0.0, count = 0.0
    x.withUnsafeBufferPointer { px in
        mask.withUnsafeBufferPointer { pm in
            for i in 0..<px.count where pm[i] != 0 {
                let v = Double(px[i])
                sum += v
                squares += v * v
                count += 1
            }
        }
    }
    let sums = try communicator.allReduceSum([sum, squares, count])
    guard sums[2] > 0 else { return (0, 0) }
    let mean = sums[0] / sums[2]
    let denominator = unbiased ? sums[2] - 1 : sums[2]
    return (mean, denominator > 0 ? max(0, sums[1] - sums[2] * mean * mean) / denominator : 0)
}
