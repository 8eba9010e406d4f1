// Graph-free GPT-2 inference with a preallocated key/value cache, for generation.
// Shapes: B rows, n new positions per call (n = P for the prefill, 1 per decode step), C channels, H heads,
// D = C/H, L layers, V vocabulary. The cache is [L, B, H, capacity, D] for keys and for values, so the keys of
// one (layer, row, head) are a contiguous [t, D] matrix. Every projection is one BLAS sgemm over all B·n rows;
// attention runs per (row, head) in parallel. Nothing here allocates per step except tiny per-thread scratch.
import Foundation
import TensorCore

/// Raw pointers to one block's weights (valid while the engine's `keepAlive` tensors live).
struct BlockPointers {
    let ln1w, ln1b, qkvW, qkvB, projW, projB, ln2w, ln2b, fcW, fcB, outW, outB: UnsafePointer<Float>
}

/// Runs a GPT's current weights over appended positions, keeping keys and values of all earlier positions.
final class KVCacheEngine {
    let L: Int, C: Int, H: Int, D: Int, V: Int, B: Int, capacity: Int, maxChunk: Int
    let epsilon: Float
    let blocks: [BlockPointers]
    let wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, lnfw: UnsafePointer<Float>, lnfb: UnsafePointer<Float>
    /// The weight tensors, retained so the pointers above stay valid.
    private let keepAlive: [Tensor]

    let keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    /// `[B, capacity]`: 1 where the cached position is a real token.
    let keyMask: UnsafeMutablePointer<Float>
    /// Scratch for up to `B · maxChunk` rows.
    let x, h, qkv, attended, mlp: UnsafeMutablePointer<Float>
    /// `[B, C]` final hidden state of each row's newest position, and `[B, V]` its logits.
    let last, logits: UnsafeMutablePointer<Float>
    /// Cache positions filled so far (the same for every row; padding is masked, not skipped).
    private(set) var length = 0

    init(model: GPT, batchSize: Int, capacity: Int, maxChunk: Int) {
        let config = model.config
        L = config.layerCount; C = config.embeddingSize; H = config.headCount; D = C / H
        V = config.vocabularySize; B = batchSize
        self.capacity = capacity
        self.maxChunk = max(maxChunk, 1)
        epsilon = config.layerNormEpsilon
        var tensors = [Tensor]()
        func pin(_ v: Variable) -> UnsafePointer<Float> {
            tensors.append(v.value)
            // Tensor storage is a heap buffer that lives as long as a tensor referencing it (kept in keepAlive).
            return v.value.withUnsafeBufferPointer { $0.baseAddress! }
        }
        blocks = model.blocks.map { b in
            BlockPointers(ln1w: pin(b.attentionNormWeight), ln1b: pin(b.attentionNormBias), qkvW: pin(b.qkvWeight),
                          qkvB: pin(b.qkvBias), projW: pin(b.attentionOutputWeight), projB: pin(b.attentionOutputBias),
                          ln2w: pin(b.mlpNormWeight), ln2b: pin(b.mlpNormBias), fcW: pin(b.mlpHiddenWeight),
                          fcB: pin(b.mlpHiddenBias), outW: pin(b.mlpOutputWeight), outB: pin(b.mlpOutputBias))
        }
        wte = pin(model.tokenEmbedding); wpe = pin(model.positionEmbedding)
        lnfw = pin(model.finalNormWeight); lnfb = pin(model.finalNormBias)
        keepAlive = tensors

        let cacheCount = L * B * H * capacity * D
        keys = .allocate(capacity: cacheCount)
        values = .allocate(capacity: cacheCount)
        keyMask = .allocate(capacity: B * capacity)
        keyMask.initialize(repeating: 0, count: B * capacity)
        let rows = B * self.maxChunk
        x = .allocate(capacity: rows * C)
        h = .allocate(capacity: rows * C)
        qkv = .allocate(capacity: rows * 3 * C)
        attended = .allocate(capacity: rows * C)
        mlp = .allocate(capacity: rows * 4 * C)
        last = .allocate(capacity: B * C)
        logits = .allocate(capacity: B * V)
    }

    deinit {
        for p in [keys, values, keyMask, x, h, qkv, attended, mlp, last, logits] { p.deallocate() }
    }

    /// Appends `n` positions to every row and returns the logits `[B, V]` of each row's last new position.
    ///
    /// - Parameters:
    ///   - tokens: `[B, n]` ids (padding already replaced by a valid id).
    ///   - mask: `[B, n]`, 1 for real tokens.
    ///   - positions: `[B, n]` position ids.
    @discardableResult
    func append(tokens: [Int32], mask: [Float], positions: [Int32], n: Int) -> UnsafeMutablePointer<Float> {
        precondition(n >= 1 && n <= maxChunk && length + n <= capacity, "KV cache: cannot append \(n) positions at \(length) (capacity \(capacity), chunk \(maxChunk))")
        let rows = B * n, C = self.C
        // x = wte[token] + wpe[position]
        for r in 0..<rows {
            let dst = x + r * C, te = wte + Int(tokens[r]) * C, pe = wpe + Int(positions[r]) * C
            for j in 0..<C { dst[j] = te[j] + pe[j] }
        }
        for b in 0..<B { for i in 0..<n { keyMask[b * capacity + length + i] = mask[b * n + i] } }

        for (l, w) in blocks.enumerated() {
            Kernels.layerNorm(x, h, rows: rows, C, weight: w.ln1w, bias: w.ln1b, epsilon: epsilon)
            Kernels.linear(h, rows: rows, inFeatures: C, weight: w.qkvW, bias: w.qkvB, outFeatures: 3 * C, into: qkv, accumulate: false)
            storeKeysAndValues(layer: l, n: n)
            attend(layer: l, n: n)
            // x += attended · projᵀ + b  (the residual add is BLAS's beta = 1)
            Kernels.linear(attended, rows: rows, inFeatures: C, weight: w.projW, bias: w.projB, outFeatures: C, into: x, accumulate: true)
            Kernels.layerNorm(x, h, rows: rows, C, weight: w.ln2w, bias: w.ln2b, epsilon: epsilon)
            Kernels.linear(h, rows: rows, inFeatures: C, weight: w.fcW, bias: w.fcB, outFeatures: 4 * C, into: mlp, accumulate: false)
            Kernels.gelu(mlp, count: rows * 4 * C)
            Kernels.linear(mlp, rows: rows, inFeatures: 4 * C, weight: w.outW, bias: w.outB, outFeatures: C, into: x, accumulate: true)
        }
        length += n
        // Final layer norm and the tied vocabulary projection, for each row's newest position only.
        for b in 0..<B {
            Kernels.layerNorm(x + (b * n + n - 1) * C, last + b * C, rows: 1, C, weight: lnfw, bias: lnfb, epsilon: epsilon)
        }
        BLAS.sgemm(transposeA: false, transposeB: true, m: B, n: V, k: C, alpha: 1, a: last, lda: C,
                   b: wte, ldb: C, beta: 0, c: logits, ldc: V)
        return logits
    }

    private func cacheOffset(layer l: Int, row b: Int, head: Int) -> Int {
        ((l * B + b) * H + head) * capacity * D
    }

    private func storeKeysAndValues(layer l: Int, n: Int) {
        for b in 0..<B {
            for head in 0..<H {
                let base = cacheOffset(layer: l, row: b, head: head) + length * D
                for i in 0..<n {
                    let src = qkv + (b * n + i) * 3 * C + head * D
                    (keys + base + i * D).update(from: src + C, count: D)
                    (values + base + i * D).update(from: src + 2 * C, count: D)
                }
            }
        }
    }

    /// Causal attention of the n new positions over all cached positions, per (row, head), into `attended`.
    private func attend(layer l: Int, n: Int) {
        let total = length + n
        let scale = 1 / Float(D).squareRoot()
        let B = self.B, H = self.H, D = self.D, C = self.C, start = length
        let keys = self.keys, values = self.values, keyMask = self.keyMask, qkv = self.qkv, out = attended
        let capacity = self.capacity
        Compute.parallelFor(B * H, costPerItem: 4 * n * total * D, minimumWork: 1 << 15) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * total)
            defer { scores.deallocate() }
            for bh in range {
                let b = bh / H, head = bh % H
                let k = keys + ((l * B + b) * H + head) * capacity * D
                let v = values + ((l * B + b) * H + head) * capacity * D
                let m = keyMask + b * capacity
                let q = qkv + b * n * 3 * C + head * D
                let o = out + b * n * C + head * D
                if n == 1 {
                    for j in 0..<total { scores[j] = m[j] == 0 ? -.infinity : scale * Kernels.dot(q, k + j * D, D) }
                    Kernels.softmaxRow(scores, total)
                    o.initialize(repeating: 0, count: D)
                    for j in 0..<total where scores[j] != 0 { Kernels.axpy(scores[j], k: v + j * D, into: o, D) }
                } else {
                    // S = Q·Kᵀ · scale  [n, total]; mask future and padded keys; Y = P·V  [n, D]
                    BLAS.sgemmSingleThreaded(transposeA: false, transposeB: true, m: n, n: total, k: D, alpha: scale,
                                             a: q, lda: 3 * C, b: k, ldb: D, beta: 0, c: scores, ldc: total)
                    for i in 0..<n {
                        let row = scores + i * total
                        let visible = start + i + 1
                        for j in 0..<total where j >= visible || m[j] == 0 { row[j] = -.infinity }
                        Kernels.softmaxRow(row, total)
                    }
                    BLAS.sgemmSingleThreaded(transposeA: false, transposeB: false, m: n, n: D, k: total, alpha: 1,
                                             a: scores, lda: total, b: v, ldb: D, beta: 0, c: o, ldc: C)
                }
            }
        }
    }
}

/// Small pointer kernels for the inference path (no graph, no allocation).
enum Kernels {
    /// Σ a·b with eight independent partial sums (scalar code the SLP vectoriser turns into vector ops).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var j = 0
        while j + 8 <= n {
            s0 += a[j] * b[j]; s1 += a[j + 1] * b[j + 1]; s2 += a[j + 2] * b[j + 2]; s3 += a[j + 3] * b[j + 3]
            s4 += a[j + 4] * b[j + 4]; s5 += a[j + 5] * b[j + 5]; s6 += a[j + 6] * b[j + 6]; s7 += a[j + 7] * b[j + 7]
            j += 8
        }
        var s = ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7))
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// y += alpha · x over n elements.
    @inline(__always)
    static func axpy(_ alpha: Float, k x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        for j in 0..<n { y[j] += alpha * x[j] }
    }

    /// In-place softmax; an all −∞ row becomes zeros.
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        Tensor.softmaxRow(row, row, n)
    }

    /// Layer norm of `rows` rows of width c from `src` into `dst`.
    static func layerNorm(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, _ c: Int,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
        for r in 0..<rows {
            _ = Tensor.layerNormRow(src + r * c, dst + r * c, c, weight: weight, bias: bias, epsilon: epsilon)
        }
    }

    /// `out = x·Wᵀ + b` (or `out += x·Wᵀ + b` when `accumulate`), W `[outFeatures, inFeatures]`.
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, outFeatures: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if accumulate {
            for r in 0..<rows {
                let o = out + r * outFeatures
                for j in 0..<outFeatures { o[j] += bias[j] }
            }
        } else {
            for r in 0..<rows { (out + r * outFeatures).update(from: bias, count: outFeatures) }
        }
        BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                   a: x, lda: inFeatures, b: weight, ldb: inFeatures, beta: 1, c: out, ldc: outFeatures)
    }

    /// GELU (tanh approximation, GPT-2's `gelu_new`) in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Compute.parallelFor(count, costPerItem: 16, minimumWork: 1 << 16) { range in
            FastMath.gelu(x + range.lowerBound, x + range.lowerBound, count: range.count)
        }
    }
}
