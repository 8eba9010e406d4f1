// The data-parallel gradient: every rank's weighted parameter gradients summed over ranks, one all-reduce per
// bucket of consecutive gradients.
import NeuralNetworks
import TensorCore

/// The default bucket: 2²⁰ Float32 gradients (4 MiB), large enough that the per-message latency is small next to
/// the transfer, small enough that the staging buffer stays cheap.
public let defaultGradientBucketScalars = 1 << 20

extension Communicator {
    /// Replaces every rank's gradients by `Σ_r weight_r · grad_r`, the same on every rank.
    ///
    /// The gradients of `parameters` (those that require gradients, in order) are copied, times `weight`, into
    /// buckets of at most `bucketScalars` values, and each bucket is summed over ranks with one all-reduce. A
    /// parameter that has a gradient on some rank gets one on every rank (zeros where it had none), and one that
    /// has none anywhere keeps none, so that optimizers that skip a parameter without a gradient skip it everywhere.
    ///
    /// With `weight` = 1/size this is the plain average. For a loss that is a mean over examples or tokens of the
    /// global batch, give each rank the share of the global count it holds (`n_r / Σ n`): the sum is then exactly
    /// the gradient of the global batch's mean, however uneven the shards.
    ///
    /// - Returns: The bytes this rank all-reduced (0 in a job of one process).
    /// - Throws: `DistributedError` when a collective fails.
    @discardableResult
    public func allReduceGradients(_ parameters: [Variable], weight: Float,
                                   bucketScalars: Int = defaultGradientBucketScalars) throws(DistributedError) -> Int {
        guard bucketScalars > 0 else {
            throw DistributedError.invalidArgument("bucketScalars is \(bucketScalars); a bucket must hold at least one gradient value")
        }
        let trained = parameters.filter(\.requiresGrad)
        if size == 1 {
            if weight != 1 {
                for parameter in trained where parameter.grad != nil {
                    parameter.grad!.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= weight } }
                }
            }
            return 0
        }
        // Which parameters have a gradient somewhere.
        var present = trained.map { Int64($0.grad == nil ? 0 : 1) }
        try present.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try allReduceSum(b) }
        let reduced = trained.indices.filter { present[$0] > 0 }.map { trained[$0] }
        for parameter in reduced where parameter.grad == nil { parameter.grad = Tensor(zeros: parameter.value.shape) }

        let total = reduced.reduce(0) { $0 + $1.value.count }
        var bucket = [Float](repeating: 0, count: min(bucketScalars, max(total, 1)))
        // The gradients as one stream of values, cut into buckets: (parameter, offset in it) of a bucket's start.
        var parameterIndex = 0, offset = 0, bytes = 0
        while parameterIndex < reduced.count {
            // Fill the bucket.
            var filled = 0
            var pieces: [(parameter: Int, offset: Int, count: Int, at: Int)] = []
            var p = parameterIndex, o = offset
            while filled < bucket.count && p < reduced.count {
                let count = min(reduced[p].value.count - o, bucket.count - filled)
                let at = filled
                reduced[p].grad!.withUnsafeBufferPointer { g in
                    bucket.withUnsafeMutableBufferPointer { b in
                        for i in 0..<count { b[at + i] = g[o + i] * weight }
                    }
                }
                pieces.append((p, o, count, at))
                filled += count
                o += count
                if o == reduced[p].value.count { (p, o) = (p + 1, 0) }
            }
            try bucket.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in
                try allReduceSum(UnsafeMutableBufferPointer(rebasing: b[0..<filled]))
            }
            bytes += filled * MemoryLayout<Float>.size
            for piece in pieces {
                reduced[piece.parameter].grad!.withUnsafeMutableBufferPointer { g in
                    bucket.withUnsafeBufferPointer { b in
                        for i in 0..<piece.count { g[piece.offset + i] = b[piece.at + i] }
                    }
                }
            }
            (parameterIndex, offset) = (p, o)
        }
        return bytes
    }

    /// Averages the gradients of `module`'s parameters over ranks (`allReduceGradients` with weight 1/size).
    ///
    /// - Returns: The bytes this rank all-reduced.
    @discardableResult
    public func averageGradients(of module: Module, bucketScalars: Int = defaultGradientBucketScalars) throws(DistributedError) -> Int {
        try allReduceGradients(module.parameters(), weight: 1 / Float(size), bucketScalars: bucketScalars)
    }
}
