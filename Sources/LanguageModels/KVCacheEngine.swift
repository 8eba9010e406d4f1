// Graph-free GPT-2 inference with a preallocated key/value cache, for generation.
// Shapes: B rows, n new positions per call (n = P for the prefill, 1 per decode step), C channels, H heads,
// D = C/H, L layers, V vocabulary. The cache is [L, B, capacity, C] for keys and for values: head h of a position
// is columns h·D..<(h+1)·D, as in the qkv projection's output, so one decode step reads each row's cached keys
// (and then values) of all heads front to back. Every projection is one BLAS product over all B·n rows; attention
// runs per row (decode) or per (row, head) (prefill) in parallel. Nothing here allocates per step except tiny
// per-thread scratch.
import Foundation
import TensorCore

/// Raw pointers to one block's weights (valid while the engine's `keepAlive` tensors live).
struct BlockPointers {
    let ln1w, ln1b, qkvW, qkvB, projW, projB, ln2w, ln2b, fcW, fcB, outW, outB: UnsafePointer<Float>
}

/// One block's projection weights repacked for decode steps (see `SkinnyWeight`).
struct SkinnyBlockWeights {
    let qkv, proj, fc, out: SkinnyWeight
}

/// Runs a GPT's current weights over appended positions, keeping keys and values of all earlier positions.
final class KVCacheEngine {
    let L: Int, C: Int, H: Int, D: Int, V: Int, B: Int, capacity: Int, maxChunk: Int
    let epsilon: Float
    let blocks: [BlockPointers]
    let wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, lnfw: UnsafePointer<Float>, lnfb: UnsafePointer<Float>
    /// The weight tensors, retained so the pointers above stay valid.
    private let keepAlive: [Tensor]
    /// Copies of the projection weights for decode steps (B ≤ 64 rows), empty for larger batches.
    let skinnyBlocks: [SkinnyBlockWeights]
    /// The tied vocabulary projection repacked for decode steps, when the batch and the table are small enough.
    let skinnyHead: SkinnyWeight?

    let keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    /// `[B, capacity]`: 1 where the cached position is a real token.
    let keyMask: UnsafeMutablePointer<Float>
    /// Scratch for up to `B · maxChunk` rows; `activated` holds GELU(mlp) (a separate buffer: the in-place
    /// loop's aliased pointers defeat LLVM's runtime overlap check and it falls back to scalar code).
    let x, h, qkv, attended, mlp, activated: UnsafeMutablePointer<Float>
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

        // The engine lives for one generate call, so these copies always match the model's current weights.
        // Packing costs about one decode step's worth of weight reads; each decode step then runs faster.
        let (C, V, B) = (self.C, self.V, self.B)
        if B <= 64 {
            skinnyBlocks = blocks.map { w in
                SkinnyBlockWeights(qkv: SkinnyWeight(weight: w.qkvW, outFeatures: 3 * C, inFeatures: C, rows: B),
                                   proj: SkinnyWeight(weight: w.projW, outFeatures: C, inFeatures: C, rows: B),
                                   fc: SkinnyWeight(weight: w.fcW, outFeatures: 4 * C, inFeatures: C, rows: B),
                                   out: SkinnyWeight(weight: w.outW, outFeatures: C, inFeatures: 4 * C, rows: B))
            }
            // A GPT-2-sized vocabulary table (50k × 768) would double a large allocation for one call; keep the
            // transposed product there.
            skinnyHead = V * C <= 1 << 23 ? SkinnyWeight(weight: wte, outFeatures: V, inFeatures: C, rows: B) : nil
        } else {
            skinnyBlocks = []
            skinnyHead = nil
        }

        let cacheCount = L * B * capacity * C
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
        activated = .allocate(capacity: rows * 4 * C)
        last = .allocate(capacity: B * C)
        logits = .allocate(capacity: B * V)
    }

    deinit {
        for p in [keys, values, keyMask, x, h, qkv, attended, mlp, activated, last, logits] { p.deallocate() }
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

        // Decode steps (a few rows) use the repacked weights; the prefill's B·P rows use the ordinary product.
        let skinny = !skinnyBlocks.isEmpty && rows <= B
        for (l, w) in blocks.enumerated() {
            let packed = skinny ? skinnyBlocks[l] : nil
            Kernels.layerNorm(x, h, rows: rows, C, weight: w.ln1w, bias: w.ln1b, epsilon: epsilon)
            Kernels.linear(h, rows: rows, inFeatures: C, weight: w.qkvW, packed: packed?.qkv, bias: w.qkvB,
                           outFeatures: 3 * C, into: qkv, accumulate: false)
            storeKeysAndValues(layer: l, n: n)
            attend(layer: l, n: n)
            // x += attended · projᵀ + b  (the residual add is BLAS's beta = 1)
            Kernels.linear(attended, rows: rows, inFeatures: C, weight: w.projW, packed: packed?.proj, bias: w.projB,
                           outFeatures: C, into: x, accumulate: true)
            Kernels.layerNorm(x, h, rows: rows, C, weight: w.ln2w, bias: w.ln2b, epsilon: epsilon)
            Kernels.linear(h, rows: rows, inFeatures: C, weight: w.fcW, packed: packed?.fc, bias: w.fcB,
                           outFeatures: 4 * C, into: mlp, accumulate: false)
            Kernels.gelu(mlp, into: activated, count: rows * 4 * C)
            Kernels.linear(activated, rows: rows, inFeatures: 4 * C, weight: w.outW, packed: packed?.out, bias: w.outB,
                           outFeatures: C, into: x, accumulate: true)
        }
        length += n
        // Final layer norm and the tied vocabulary projection, for each row's newest position only.
        for b in 0..<B {
            Kernels.layerNorm(x + (b * n + n - 1) * C, last + b * C, rows: 1, C, weight: lnfw, bias: lnfb, epsilon: epsilon)
        }
        if let head = skinnyHead {
            head.multiply(last, rows: B, into: logits, ldc: V, beta: 0)
        } else {
            BLAS.sgemm(transposeA: false, transposeB: true, m: B, n: V, k: C, alpha: 1, a: last, lda: C,
                       b: wte, ldb: C, beta: 0, c: logits, ldc: V)
        }
        return logits
    }

    /// Offset of position 0 of row `b` in layer `l` of the key (or value) cache.
    private func cacheOffset(layer l: Int, row b: Int) -> Int {
        (l * B + b) * capacity * C
    }

    private func storeKeysAndValues(layer l: Int, n: Int) {
        for b in 0..<B {
            let base = cacheOffset(layer: l, row: b) + length * C
            for i in 0..<n {
                let src = qkv + (b * n + i) * 3 * C
                (keys + base + i * C).update(from: src + C, count: C)
                (values + base + i * C).update(from: src + 2 * C, count: C)
            }
        }
    }

    /// Causal attention of the n new positions over all cached positions, into `attended`.
    private func attend(layer l: Int, n: Int) {
        if n == 1 { attendOnePosition(layer: l); return }
        let total = length + n
        let scale = 1 / Float(D).squareRoot()
        let B = self.B, H = self.H, D = self.D, C = self.C, start = length
        let keyMask = self.keyMask, qkv = self.qkv, out = attended
        let keys = self.keys + cacheOffset(layer: l, row: 0), values = self.values + cacheOffset(layer: l, row: 0)
        let rowStride = capacity * C
        Compute.parallelFor(B * H, costPerItem: 4 * n * total * D, minimumWork: 1 << 15) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * total)
            defer { scores.deallocate() }
            for bh in range {
                let b = bh / H, head = bh % H
                let k = keys + b * rowStride + head * D, v = values + b * rowStride + head * D
                let m = keyMask + b * capacity
                let q = qkv + b * n * 3 * C + head * D
                let o = out + b * n * C + head * D
                // S = Q·Kᵀ · scale  [n, total]; mask future and padded keys; Y = P·V  [n, D]
                BLAS.sgemmSingleThreaded(transposeA: false, transposeB: true, m: n, n: total, k: D, alpha: scale,
                                         a: q, lda: 3 * C, b: k, ldb: C, beta: 0, c: scores, ldc: total)
                for i in 0..<n {
                    let row = scores + i * total
                    let visible = start + i + 1
                    for j in 0..<total where j >= visible || m[j] == 0 { row[j] = -.infinity }
                    Kernels.softmaxRow(row, total)
                }
                BLAS.sgemmSingleThreaded(transposeA: false, transposeB: false, m: n, n: D, k: total, alpha: 1,
                                         a: scores, lda: total, b: v, ldb: C, beta: 0, c: o, ldc: C)
            }
        }
    }

    /// A decode step's attention: one query per (row, head) against the row's `length + 1` cached positions.
    ///
    /// Rows run in parallel. Within a row, the scores of all heads are computed in one pass over the cached keys
    /// and the weighted values in one pass over the cached values, so each pass reads one contiguous
    /// `[total, C]` block: the step is bound by reading the cache (L·B·total·C·8 bytes), and a front-to-back
    /// stream is what the hardware prefetchers follow best.
    private func attendOnePosition(layer l: Int) {
        let total = length + 1
        let scale = 1 / Float(D).squareRoot()
        let H = self.H, D = self.D, C = self.C, capacity = self.capacity
        let keyMask = self.keyMask, qkv = self.qkv, out = attended
        let keys = self.keys + cacheOffset(layer: l, row: 0), values = self.values + cacheOffset(layer: l, row: 0)
        Compute.parallelFor(B, costPerItem: 4 * total * C, minimumWork: 1 << 15) { range in
            // scores [H, total] for one row at a time.
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: H * total)
            defer { scores.deallocate() }
            for b in range {
                let k = keys + b * capacity * C, v = values + b * capacity * C
                let m = keyMask + b * capacity
                let q = qkv + b * 3 * C
                let o = out + b * C
                for j in 0..<total {
                    let kj = k + j * C
                    if m[j] == 0 {
                        for head in 0..<H { scores[head * total + j] = -.infinity }
                    } else {
                        for head in 0..<H { scores[head * total + j] = scale * FastMath.dot(q + head * D, kj + head * D, count: D) }
                    }
                }
                for head in 0..<H { Kernels.softmaxRow(scores + head * total, total) }
                o.initialize(repeating: 0, count: C)
                for j in 0..<total where m[j] != 0 {
                    let vj = v + j * C
                    for head in 0..<H { Kernels.axpy(scores[head * total + j], vj + head * D, into: o + head * D, D) }
                }
            }
        }
    }
}

/// Small pointer kernels for the inference path (no graph, no allocation).
enum Kernels {
    /// y += alpha · x over n elements. Explicit vectors over the multiple of 4: the scalar loop's runtime overlap
    /// check costs as much as the work at a head's 32 elements.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = SIMD4<Float>(repeating: alpha)
        var j = 0
        while j + 4 <= n {
            UnsafeMutableRawPointer(y + j).storeBytes(of: load4(y + j) + a * load4(x + j), as: SIMD4<Float>.self)
            j += 4
        }
        while j < n { y[j] += alpha * x[j]; j += 1 }
    }

    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
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

    /// `out = x·Wᵀ + b` (or `out += x·Wᵀ + b` when `accumulate`), W `[outFeatures, inFeatures]`; through `packed`,
    /// W's repacked copy, when one is given (decode steps).
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>,
                       packed: SkinnyWeight? = nil, bias: UnsafePointer<Float>, outFeatures: Int,
                       into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if accumulate {
            for r in 0..<rows {
                let o = out + r * outFeatures
                for j in 0..<outFeatures { o[j] += bias[j] }
            }
        } else {
            for r in 0..<rows { (out + r * outFeatures).update(from: bias, count: outFeatures) }
        }
        if let packed {
            packed.multiply(x, rows: rows, into: out, ldc: outFeatures, beta: 1)
        } else {
            BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                       a: x, lda: inFeatures, b: weight, ldb: inFeatures, beta: 1, c: out, ldc: outFeatures)
        }
    }

    /// `dst = GELU(src)` (tanh approximation, GPT-2's `gelu_new`); `dst` must not overlap `src`, so the loop is
    /// vectorised (with exactly aliased pointers LLVM's overlap check fails and it runs the scalar loop).
    static func gelu(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        Compute.parallelFor(count, costPerItem: 16, minimumWork: 1 << 16) { range in
            FastMath.gelu(src + range.lowerBound, dst + range.lowerBound, count: range.count)
        }
    }
}
