// Neural-network kernels over the last axis (rows of length C): softmax, log-softmax, layer norm,
// embedding gather, cross-entropy, dropout. Rows are processed in parallel when large.
import Foundation

extension Tensor {
    /// Numerically stable softmax over `axis` (default: last).
    public func softmax(axis: Int = -1) -> Tensor {
        let ax = self.axis(axis)
        if ax != rank - 1 { return transposed(ax, -1).softmax().transposed(ax, -1) }
        let out = Tensor(uninitializedShape: shape)
        let c = shape.last ?? 1, rows = count / Swift.max(c, 1)
        let src = pointer, dst = out.pointer
        Compute.parallelFor(rows, costPerItem: 8 * c) { r in
            for row in r { Tensor.softmaxRow(src + row * c, dst + row * c, c) }
        }
        return out
    }

    /// Numerically stable log-softmax over `axis` (default: last).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let ax = self.axis(axis)
        if ax != rank - 1 { return transposed(ax, -1).logSoftmax().transposed(ax, -1) }
        let out = Tensor(uninitializedShape: shape)
        let c = shape.last ?? 1, rows = count / Swift.max(c, 1)
        let src = pointer, dst = out.pointer
        Compute.parallelFor(rows, costPerItem: 8 * c) { r in
            for row in r {
                let s = src + row * c, d = dst + row * c
                let lse = Tensor.logSumExp(s, c)
                for j in 0..<c { d[j] = s[j] - lse }
            }
        }
        return out
    }

    /// softmax of one row of length `c`, written to `dst` (may alias `src`).
    @inlinable
    public static func softmaxRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ c: Int) {
        let m = FastMath.maximum(src, count: c)
        if m == -.infinity {  // every entry masked: define the row as zeros
            for j in 0..<c { dst[j] = 0 }
            return
        }
        let s = FastMath.expShifted(src, dst, count: c, shift: m)
        let inv = 1 / s
        for j in 0..<c { dst[j] *= inv }
    }

    /// log Σ exp over a row of length `c`.
    @inlinable
    public static func logSumExp(_ src: UnsafePointer<Float>, _ c: Int) -> Float {
        let m = FastMath.maximum(src, count: c)
        if m == -.infinity || m == .infinity { return m }
        return m + Foundation.log(FastMath.sumExpShifted(src, count: c, shift: m))
    }

    /// Layer normalisation over the last axis: `(x − mean) / sqrt(var + eps) · weight + bias`.
    ///
    /// - Returns: the output, and per-row mean and reciprocal standard deviation (for the backward pass).
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> (output: Tensor, mean: Tensor, rstd: Tensor) {
        let c = shape.last ?? 1, rows = count / Swift.max(c, 1)
        precondition(weight.shape == [c] && bias.shape == [c], "layerNorm weight/bias must be [\(c)], got \(weight.shape), \(bias.shape)")
        let out = Tensor(uninitializedShape: shape)
        let mean = Tensor(uninitializedShape: Array(shape.dropLast()))
        let rstd = Tensor(uninitializedShape: Array(shape.dropLast()))
        let x = pointer, y = out.pointer, w = weight.pointer, b = bias.pointer, pm = mean.pointer, pr = rstd.pointer
        Compute.parallelFor(rows, costPerItem: 8 * c) { r in
            for row in r {
                (pm[row], pr[row]) = Tensor.layerNormRow(x + row * c, y + row * c, c, weight: w, bias: b, epsilon: epsilon)
            }
        }
        return (out, mean, rstd)
    }

    /// Layer norm of one row of length `c` into `dst` (may alias `src`); returns its mean and 1/σ.
    @inlinable
    public static func layerNormRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ c: Int,
                                    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) -> (mean: Float, rstd: Float) {
        // Both sums with eight partial sums (FastMath's fixed order): a single running Float sum cannot be
        // vectorised and waits on each addition.
        let mu = FastMath.sum(src, count: c) / Float(c)
        let rs = 1 / (FastMath.sumOfSquaredDeviations(src, count: c, mean: mu) / Float(c) + epsilon).squareRoot()
        for j in 0..<c { dst[j] = (src[j] - mu) * rs * weight[j] + bias[j] }
        return (mu, rs)
    }

    /// Rows of `self` (a [V, C] table) picked by integer `indices` of any shape → `indices.shape + [C]`.
    public func gatherRows(_ indices: [Int32], shape indexShape: [Int]) -> Tensor {
        precondition(rank == 2, "gatherRows needs a [rows, columns] table, got \(shape)")
        let c = shape[1]
        let out = Tensor(uninitializedShape: indexShape + [c])
        let src = pointer, dst = out.pointer
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && Int(index) < shape[0], "row index \(index) out of range 0..<\(shape[0])")
            (dst + i * c).update(from: src + Int(index) * c, count: c)
        }
        return out
    }

    /// A dropout mask scaled by 1/(1−p): each element is 0 with probability p, else 1/(1−p).
    ///
    /// With a ``RowwiseGenerator`` of R rows, the elements are R equal consecutive blocks (the rows of a batch-major
    /// tensor), block r drawn, in order, from a generator split off row r's (one draw of it per mask, whatever the
    /// row's padded length).
    public static func dropoutMask<G: RandomNumberGenerator>(_ shape: [Int], probability p: Float, using generator: inout G) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        var mask = Tensor(uninitializedShape: shape)
        let scale = 1 / (1 - p)
        if var rowwise = generator as? RowwiseGenerator {
            let rows = rowwise.rows.count
            precondition(mask.count % rows == 0, "dropout: \(mask.count) elements do not split into \(rows) rows")
            let perRow = mask.count / rows
            mask.withUnsafeMutableBufferPointer { m in
                for r in 0..<rows {
                    // One draw of the row's generator per mask, so that a row's masks do not depend on the
                    // padded length of its batch; its elements in order from the generator split off.
                    var row = rowwise.rows[r].split()
                    for i in (r * perRow)..<((r + 1) * perRow) { m[i] = row.nextUniformFloat() < p ? 0 : scale }
                }
            }
            generator = rowwise as! G
            return mask
        }
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<m.count { m[i] = generator.nextUniformFloat() < p ? 0 : scale }
        }
        return mask
    }
}
