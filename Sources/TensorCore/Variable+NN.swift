// Differentiable fused neural-network ops over the last axis: softmax, log-softmax, layer norm, embedding,
// and the log-softmax-gather family (cross-entropy, per-token log-probabilities).
// Shape letters: N rows (all leading axes flattened), C the last axis, V the vocabulary.
import Foundation

extension Variable {
    /// Softmax over `axis` (default: last). Backward: dx = y ⊙ (g − Σ g⊙y).
    public func softmax(axis: Int = -1) -> Variable {
        let ax = value.axis(axis)
        if ax != value.rank - 1 { return transposed(ax, -1).softmax().transposed(ax, -1) }
        let y = value.softmax()
        return Variable.record(y, parents: [self]) { [self] g in
            let c = y.shape.last ?? 1, rows = y.count / Swift.max(c, 1)
            let dx = Tensor(uninitializedShape: y.shape)
            let py = y.pointer, pg = g.pointer, pd = dx.pointer
            Compute.parallelFor(rows, costPerItem: 4 * c) { r in
                for row in r {
                    let yr = py + row * c, gr = pg + row * c, dr = pd + row * c
                    var dot: Float = 0
                    for j in 0..<c { dot += gr[j] * yr[j] }
                    for j in 0..<c { dr[j] = yr[j] * (gr[j] - dot) }
                }
            }
            self.accumulateGradient(dx)
        }
    }

    /// Log-softmax over `axis` (default: last). Backward: dx = g − softmax ⊙ Σ g.
    public func logSoftmax(axis: Int = -1) -> Variable {
        let ax = value.axis(axis)
        if ax != value.rank - 1 { return transposed(ax, -1).logSoftmax().transposed(ax, -1) }
        let y = value.logSoftmax()
        return Variable.record(y, parents: [self]) { [self] g in
            let c = y.shape.last ?? 1, rows = y.count / Swift.max(c, 1)
            let dx = Tensor(uninitializedShape: y.shape)
            let py = y.pointer, pg = g.pointer, pd = dx.pointer
            Compute.parallelFor(rows, costPerItem: 4 * c) { r in
                for row in r {
                    let yr = py + row * c, gr = pg + row * c, dr = pd + row * c
                    var s: Float = 0
                    for j in 0..<c { s += gr[j] }
                    for j in 0..<c { dr[j] = gr[j] - Foundation.exp(yr[j]) * s }
                }
            }
            self.accumulateGradient(dx)
        }
    }

    /// Layer normalisation over the last axis with learned `weight` and `bias` (both `[C]`).
    ///
    /// Backward (llm.c's form): with x̂ the normalised input and d = g ⊙ w,
    /// dx = rstd · (d − mean(d) − x̂ · mean(d ⊙ x̂)), dw = Σ g ⊙ x̂, db = Σ g.
    public func layerNorm(weight: Variable, bias: Variable, epsilon: Float = 1e-5) -> Variable {
        let x = self
        let xv = x.value, wv = weight.value
        let (y, mean, rstd) = xv.layerNorm(weight: wv, bias: bias.value, epsilon: epsilon)
        return Variable.record(y, parents: [x, weight, bias]) { g in
            let c = xv.shape.last ?? 1, rows = xv.count / Swift.max(c, 1)
            let px = xv.pointer, pg = g.pointer, pw = wv.pointer, pm = mean.pointer, pr = rstd.pointer
            if x.requiresGrad {
                x.withGradientBuffer { dx, beta in
                    Compute.parallelFor(rows, costPerItem: 10 * c) { r in
                        for row in r {
                            let xr = px + row * c, gr = pg + row * c, dr = dx + row * c
                            let mu = pm[row], rs = pr[row]
                            // mean(d) and mean(d ⊙ x̂) with eight partial sums each (a fixed order).
                            typealias V = FastMath.Vector
                            var sumD = V(repeating: 0), sumDX = V(repeating: 0)
                            let mu8 = V(repeating: mu)
                            var j = 0
                            while j + 8 <= c {
                                let d = UnsafeRawPointer(gr + j).loadUnaligned(as: V.self) * UnsafeRawPointer(pw + j).loadUnaligned(as: V.self)
                                sumD += d
                                sumDX += d * ((UnsafeRawPointer(xr + j).loadUnaligned(as: V.self) - mu8) * rs)
                                j += 8
                            }
                            var meanD = sumD.sum(), meanDX = sumDX.sum()
                            while j < c {
                                let d = gr[j] * pw[j]
                                meanD += d
                                meanDX += d * ((xr[j] - mu) * rs)
                                j += 1
                            }
                            meanD /= Float(c)
                            meanDX /= Float(c)
                            if beta == 0 {
                                for j in 0..<c { dr[j] = rs * (gr[j] * pw[j] - meanD - (xr[j] - mu) * rs * meanDX) }
                            } else {
                                for j in 0..<c { dr[j] += rs * (gr[j] * pw[j] - meanD - (xr[j] - mu) * rs * meanDX) }
                            }
                        }
                    }
                }
            }
            if weight.requiresGrad || bias.requiresGrad {
                var dw = [Float](repeating: 0, count: c), db = [Float](repeating: 0, count: c)
                for row in 0..<rows {
                    let xr = px + row * c, gr = pg + row * c
                    let mu = pm[row], rs = pr[row]
                    for j in 0..<c {
                        dw[j] += gr[j] * (xr[j] - mu) * rs
                        db[j] += gr[j]
                    }
                }
                if weight.requiresGrad { weight.accumulateGradient(Tensor(shape: [c], scalars: dw)) }
                if bias.requiresGrad { bias.accumulateGradient(Tensor(shape: [c], scalars: db)) }
            }
        }
    }

    /// Rows of this `[V, C]` table at `indices` → `indexShape + [C]`. Backward scatter-adds into the table.
    ///
    /// - Throws: `TensorError.indexOutOfRange` for an index outside `0..<V`.
    public func embedding(_ indices: [Int32], shape indexShape: [Int]) throws -> Variable {
        let table = self
        precondition(table.value.rank == 2, "embedding table must be [rows, columns], got \(table.shape)")
        let rows = table.shape[0], c = table.shape[1]
        if let bad = indices.first(where: { $0 < 0 || Int($0) >= rows }) {
            throw TensorError.indexOutOfRange(operation: "embedding", index: Int(bad), limit: rows)
        }
        precondition(indexShape.reduce(1, *) == indices.count, "embedding: \(indices.count) indices for shape \(indexShape)")
        return Variable.record(table.value.gatherRows(indices, shape: indexShape), parents: [table]) { g in
            table.withGradientBuffer { dt, beta in
                if beta == 0 { dt.initialize(repeating: 0, count: rows * c) }
                let pg = g.pointer
                for (i, index) in indices.enumerated() {
                    let d = dt + Int(index) * c, s = pg + i * c
                    for j in 0..<c { d[j] += s[j] }
                }
            }
        }
    }

    /// Log-probabilities of `targets` under `softmax(logits / temperature)`, one per row.
    ///
    /// This is the teacher-forced scoring primitive: `logits` is `[..., V]`, `targets` has one id per row,
    /// and the result has the leading shape. Rows whose target is negative get 0 and no gradient.
    /// Backward: d logits = g · (onehot(target) − softmax) / temperature.
    public func selectedLogProbabilities(targets: [Int32], temperature: Float = 1) -> Variable {
        let logits = self
        let v = logits.shape.last ?? 1
        let rows = logits.value.count / Swift.max(v, 1)
        precondition(targets.count == rows, "selectedLogProbabilities: \(targets.count) targets for \(rows) rows")
        precondition(temperature > 0, "temperature must be positive, got \(temperature)")
        let lv = logits.value
        let invT = 1 / temperature
        var lse = [Float](repeating: 0, count: rows)
        let out = Tensor(uninitializedShape: Array(logits.shape.dropLast()))
        let pl = lv.pointer, po = out.pointer
        lse.withUnsafeMutableBufferPointer { plse in
            Compute.parallelFor(rows, costPerItem: 4 * v) { r in
                let scaled = UnsafeMutablePointer<Float>.allocate(capacity: v)
                defer { scaled.deallocate() }
                for row in r {
                    let t = targets[row]
                    if t < 0 { po[row] = 0; continue }
                    precondition(Int(t) < v, "target id \(t) out of range 0..<\(v)")
                    let lr = Variable.temperatureScaled(pl + row * v, scaled, v, invT)
                    let l = Tensor.logSumExp(lr, v)
                    plse[row] = l
                    po[row] = lr[Int(t)] - l
                }
            }
        }
        return Variable.record(out, parents: [logits]) { g in
            // `lv` is captured so the logits buffer outlives the forward pass even if `logits.value` changes.
            let pl = lv.pointer, pg = g.pointer
            logits.withGradientBuffer { dl, beta in
                Compute.parallelFor(rows, costPerItem: 4 * v) { r in
                    let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: v)
                    defer { probabilities.deallocate() }
                    for row in r {
                        let t = targets[row]
                        let dr = dl + row * v
                        let gr = t < 0 ? 0 : pg[row] * invT
                        if gr == 0 {
                            if beta == 0 { dr.initialize(repeating: 0, count: v) }
                            continue
                        }
                        // softmax(ℓ/τ) = exp(ℓ/τ − lse)
                        let lr = Variable.temperatureScaled(pl + row * v, probabilities, v, invT)
                        _ = FastMath.expShifted(lr, probabilities, count: v, shift: lse[row])
                        if beta == 0 {
                            for j in 0..<v { dr[j] = -gr * probabilities[j] }
                        } else {
                            for j in 0..<v { dr[j] -= gr * probabilities[j] }
                        }
                        dr[Int(t)] += gr
                    }
                }
            }
        }
    }

    /// The row `ℓ·invT`: `row` itself when invT is 1, else written into `scratch`.
    @inlinable
    static func temperatureScaled(_ row: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>, _ v: Int, _ invT: Float) -> UnsafePointer<Float> {
        if invT == 1 { return row }
        for j in 0..<v { scratch[j] = row[j] * invT }
        return UnsafePointer(scratch)
    }

    /// Fused cross-entropy of `logits` `[..., V]` against integer `targets` (one per row).
    ///
    /// Rows whose target equals `ignoreIndex` are skipped. With `weights` (one per row), each row's loss is
    /// multiplied by its weight. The result is the weighted sum divided by the sum of weights of the kept rows
    /// (a token-weighted mean); it is 0 when no row is kept.
    public func crossEntropy(targets: [Int32], ignoreIndex: Int32 = -100, weights: [Float]? = nil) -> Variable {
        let rows = targets.count
        precondition(weights == nil || weights!.count == rows, "crossEntropy: \(weights!.count) weights for \(rows) rows")
        var kept = targets
        var scale = [Float](repeating: 0, count: rows)
        var total: Float = 0
        for i in 0..<rows {
            if targets[i] == ignoreIndex { kept[i] = -1; continue }
            // A negative id that is not the ignore index would silently count as a zero-loss row.
            precondition(targets[i] >= 0, "crossEntropy: target \(targets[i]) at row \(i) is negative but not the ignore index \(ignoreIndex)")
            let w = weights?[i] ?? 1
            scale[i] = w
            total += w
        }
        if total == 0 { return Variable.record(Tensor(0), parents: [self]) { _ in } }
        let lp = selectedLogProbabilities(targets: kept)
        for i in 0..<rows { scale[i] = -scale[i] / total }
        return (lp * Variable(Tensor(shape: lp.shape, scalars: scale))).sum()
    }
}
