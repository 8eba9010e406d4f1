// Fused causal multi-head self-attention over a packed qkv projection, with an optional key mask that also
// carries segment ids, so that several sequences packed into one row do not attend to each other.
// Shape letters: B batch, T time, C channels, H heads, D = C / H head size.
// Every (b, h) pair is independent: they run in parallel, each with single-threaded sgemm calls that read
// Q, K and V in place from the packed [B, T, 3C] input (row stride 3C), so nothing is copied.
import Foundation

extension Variable {
    /// Causal self-attention.
    ///
    /// - Parameters:
    ///   - qkv: `[B, T, 3C]`, the query, key and value projections side by side (GPT-2's `c_attn` output).
    ///   - heads: H; must divide C.
    ///   - keyMask: optional `[B, T]` with 0 for padding and a positive segment id for real tokens (1 everywhere
    ///     for an ordinary batch). Padded keys get no attention, and a real query attends only to the keys of its
    ///     own segment (packed sequences: a block-diagonal causal mask) and to earlier keys marked negative (a
    ///     prefix shared by the row's segments). A query row with no visible key (left padding) outputs zeros.
    /// - Returns: `[B, T, C]`, the heads' outputs concatenated.
    public static func causalSelfAttention(qkv: Variable, heads: Int, keyMask: Tensor? = nil) -> Variable {
        precondition(qkv.value.rank == 3 && qkv.shape[2] % 3 == 0, "attention: qkv must be [B, T, 3C], got \(qkv.shape)")
        let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3
        precondition(heads > 0 && C % heads == 0, "attention: \(heads) heads do not divide \(C) channels")
        precondition(keyMask == nil || keyMask!.shape == [B, T], "attention: key mask must be [\(B), \(T)], got \(keyMask!.shape)")
        let H = heads, D = C / heads
        let scale = 1 / Float(D).squareRoot()
        let input = qkv.value
        let probabilities = Tensor(uninitializedShape: [B, H, T, T])
        let out = Tensor(uninitializedShape: [B, T, C])
        let pin = input.pointer, pp = probabilities.pointer, po = out.pointer
        let mask = keyMask?.pointer
        let blocks = causalRowBlocks(T)

        Compute.parallelFor(B * H, costPerItem: 4 * T * T * D, minimumWork: 1 << 16) { range in
            for bh in range {
                let b = bh / H, h = bh % H
                let q = pin + b * T * 3 * C + h * D
                let k = q + C, v = q + 2 * C
                let p = pp + bh * T * T
                // S = Q·Kᵀ · scale, lower block triangle only: rows [r0, r1) need keys [0, r1).
                for (r0, r1) in blocks {
                    BLAS.sgemmSingleThreaded(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: D, alpha: scale,
                                             a: q + r0 * 3 * C, lda: 3 * C, b: k, ldb: 3 * C, beta: 0, c: p + r0 * T, ldc: T)
                }
                for i in 0..<T {
                    let row = p + i * T
                    // Keys after the query (causal) get probability 0: softmaxRow below only normalises the first
                    // i + 1 entries, and P·V multiplies the whole row, so they must be 0, not -inf.
                    for j in (i + 1)..<Swift.max(T, i + 1) { row[j] = 0 }
                    // Padded keys are excluded, and so are the keys of other segments when the query is real
                    // (but not those of a shared prefix, which every segment sees).
                    if let mask {
                        let m = mask + b * T
                        let segment = m[i]
                        if segment == 0 {
                            for j in 0...i where m[j] == 0 { row[j] = -.infinity }
                        } else {
                            for j in 0...i where m[j] != segment && m[j] >= 0 { row[j] = -.infinity }
                        }
                    }
                    Tensor.softmaxRow(row, row, i + 1)
                }
                // Y = P·V  [T, D], written into this head's columns of the output.
                for (r0, r1) in blocks {
                    BLAS.sgemmSingleThreaded(transposeA: false, transposeB: false, m: r1 - r0, n: D, k: r1, alpha: 1,
                                             a: p + r0 * T, lda: T, b: v, ldb: 3 * C, beta: 0,
                                             c: po + (b * T + r0) * C + h * D, ldc: C)
                }
            }
        }
        return record(out, parents: [qkv]) { g in
            // The backward reads P and the input through the raw pointers `pp` and `pin`; referencing the tensors
            // here keeps their storage alive until the backward has run (P would otherwise be freed when this
            // function returns, and the input as soon as `qkv.value` is replaced).
            defer { withExtendedLifetime((probabilities, input)) {} }
            let pg = g.pointer
            qkv.withGradientBuffer { dqkv, beta in
                if beta == 0 { dqkv.initialize(repeating: 0, count: B * T * 3 * C) }
                Compute.parallelFor(B * H, costPerItem: 8 * T * T * D, minimumWork: 1 << 16) { range in
                    let dp = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
                    defer { dp.deallocate() }
                    for bh in range {
                        let b = bh / H, h = bh % H
                        let q = pin + b * T * 3 * C + h * D
                        let k = q + C, v = q + 2 * C
                        let dq = dqkv + b * T * 3 * C + h * D
                        let dk = dq + C, dv = dq + 2 * C
                        let p = pp + bh * T * T
                        let dy = pg + b * T * C + h * D
                        // dP = dY·Vᵀ ; dV += Pᵀ·dY   (block triangle)
                        for (r0, r1) in blocks {
                            BLAS.sgemmSingleThreaded(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: D, alpha: 1,
                                                     a: dy + r0 * C, lda: C, b: v, ldb: 3 * C, beta: 0, c: dp + r0 * T, ldc: T)
                            BLAS.sgemmSingleThreaded(transposeA: true, transposeB: false, m: r1, n: D, k: r1 - r0, alpha: 1,
                                                     a: p + r0 * T, lda: T, b: dy + r0 * C, ldb: C, beta: 1, c: dv, ldc: 3 * C)
                        }
                        // dS = P ⊙ (dP − Σⱼ dP⊙P) · scale   (softmax backward, row by row)
                        for i in 0..<T {
                            let pr = p + i * T, dr = dp + i * T
                            // Eight partial sums in a fixed order: one running sum neither vectorises nor overlaps.
                            let dot = FastMath.dot(pr, dr, count: i + 1)
                            for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) * scale }
                            for j in (i + 1)..<Swift.max(T, i + 1) { dr[j] = 0 }
                        }
                        // dQ += dS·K ; dK += dSᵀ·Q   (block triangle)
                        for (r0, r1) in blocks {
                            BLAS.sgemmSingleThreaded(transposeA: false, transposeB: false, m: r1 - r0, n: D, k: r1, alpha: 1,
                                                     a: dp + r0 * T, lda: T, b: k, ldb: 3 * C, beta: 1, c: dq + r0 * 3 * C, ldc: 3 * C)
                            BLAS.sgemmSingleThreaded(transposeA: true, transposeB: false, m: r1, n: D, k: r1 - r0, alpha: 1,
                                                     a: dp + r0 * T, lda: T, b: q + r0 * 3 * C, ldb: 3 * C, beta: 1, c: dk, ldc: 3 * C)
                        }
                    }
                }
            }
        }
    }
}

/// Row blocks [r0, r1) of a causal T×T score matrix. Block b only needs keys [0, r1), so the GEMMs skip the
/// upper block triangle: about 40% fewer attention flops at T = 256 than the full square, while each GEMM
/// keeps at least 64 rows so that it still runs near BLAS speed.
@usableFromInline
func causalRowBlocks(_ T: Int, blockSize: Int = 64) -> [(Int, Int)] {
    stride(from: 0, to: T, by: blockSize).map { ($0, Swift.min($0 + blockSize, T)) }
}
