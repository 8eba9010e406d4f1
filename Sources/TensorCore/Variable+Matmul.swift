// Differentiable matrix products: batched matmul and the fused linear layer y = x·Wᵀ + b.
// Shapes: x [N, in] (any leading axes flatten into N), W [out, in], b [out], y [N, out].
import Foundation

extension Variable {
    /// Gives `body` a pointer to this variable's gradient buffer and the BLAS `beta` to use: 0 when the buffer
    /// is fresh (uninitialised, must be overwritten), 1 when gradients already accumulated there.
    @inlinable
    public func withGradientBuffer(_ body: (UnsafeMutablePointer<Float>, Float) -> Void) {
        if grad == nil {
            var g = Tensor(uninitializedShape: value.shape)
            g.withUnsafeMutableBufferPointer { body($0.baseAddress!, 0) }
            grad = g
        } else {
            grad!.withUnsafeMutableBufferPointer { body($0.baseAddress!, 1) }
        }
    }

    /// `op(self) · op(other)` over the last two axes (see `Tensor.matmul`).
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) -> Variable {
        let a = self, b = other
        let av = a.value, bv = b.value
        let out = av.matmul(bv, transposeSelf: transposeSelf, transposeOther: transposeOther)
        return Variable.record(out, parents: [a, b]) { g in
            // A batch of matrices times one matrix: flatten the batch so that dB is one GEMM.
            let flat = bv.rank == 2 && av.rank > 2 && !transposeSelf
            let a2 = flat ? av.reshaped([-1, av.shape[av.rank - 1]]) : av
            let g2 = flat ? g.reshaped([-1, g.shape[g.rank - 1]]) : g
            if a.requiresGrad {
                // d op(A) = dC · op(B)ᵀ; when A is stored transposed, dA = op(B) · dCᵀ.
                let da = transposeSelf
                    ? bv.matmul(g, transposeSelf: transposeOther, transposeOther: true)
                    : g.matmul(bv, transposeOther: !transposeOther)
                a.accumulateGradient(da.sumToShape(av.shape))
            }
            if b.requiresGrad {
                // d op(B) = op(A)ᵀ · dC; when B is stored transposed, dB = dCᵀ · op(A).
                let db = transposeOther
                    ? g2.matmul(a2, transposeSelf: true, transposeOther: transposeSelf)
                    : a2.matmul(g2, transposeSelf: !transposeSelf)
                b.accumulateGradient(db.rank > bv.rank ? db.sumToShape(bv.shape) : db)
            }
        }
    }

    /// The fused linear layer `x·Wᵀ + b` with all three GEMMs (forward, dX, dW) through BLAS and the
    /// weight gradient accumulated in place.
    ///
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or nil.
    /// - Returns: `[..., out]` for input `[..., in]`.
    public func linear(weight: Variable, bias: Variable?) -> Variable {
        let x = self
        let inFeatures = x.shape.last ?? 0, outFeatures = weight.shape[0]
        precondition(weight.shape == [outFeatures, inFeatures], "linear: weight \(weight.shape) does not take input \(x.shape)")
        precondition(bias == nil || bias!.shape == [outFeatures], "linear: bias \(bias!.shape) must be [\(outFeatures)]")
        let n = x.value.count / Swift.max(inFeatures, 1)
        let xv = x.value, wv = weight.value
        let y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
        let py = y.pointer
        if let bias {
            // Start from the bias in every row, then accumulate x·Wᵀ with beta = 1.
            let pb = bias.value.pointer
            for i in 0..<n { (py + i * outFeatures).update(from: pb, count: outFeatures) }
        }
        BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures, alpha: 1,
                   a: xv.pointer, lda: inFeatures, b: wv.pointer, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: py, ldc: outFeatures)
        let parents = bias.map { [x, weight, $0] } ?? [x, weight]
        return Variable.record(y, parents: parents) { g in
            let pg = g.pointer
            if x.requiresGrad {
                x.withGradientBuffer { dx, beta in
                    BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures, alpha: 1,
                               a: pg, lda: outFeatures, b: wv.pointer, ldb: inFeatures, beta: beta, c: dx, ldc: inFeatures)
                }
            }
            if weight.requiresGrad {
                weight.withGradientBuffer { dw, beta in
                    BLAS.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n, alpha: 1,
                               a: pg, lda: outFeatures, b: xv.pointer, ldb: inFeatures, beta: beta, c: dw, ldc: inFeatures)
                }
            }
            if let bias, bias.requiresGrad {
                bias.withGradientBuffer { db, beta in
                    if beta == 0 { db.initialize(repeating: 0, count: outFeatures) }
                    for i in 0..<n {
                        let row = pg + i * outFeatures
                        for j in 0..<outFeatures { db[j] += row[j] }
                    }
                }
            }
        }
    }
}
