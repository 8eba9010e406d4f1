// Logit warpers and the categorical draw, in Hugging Face's order: temperature → top-k → top-p
// (transformers `generation/logits_process.py`). Kernels work on one row in place;
// the array versions are for tests and callers outside the decode loop.
import Foundation

/// Row-wise sampling helpers. Removed entries are set to −∞.
public enum LogitsWarping {
    /// Keeps the entries ≥ the k-th largest (ties at the boundary are kept, as in HF); k ≤ 0 means off.
    public static func topK(_ logits: [Float], k: Int) -> [Float] {
        var row = logits
        var scratch = [Float](repeating: 0, count: row.count)
        row.withUnsafeMutableBufferPointer { r in
            scratch.withUnsafeMutableBufferPointer { s in applyTopK(r.baseAddress!, r.count, k: k, scratch: s.baseAddress!) }
        }
        return row
    }

    /// Nucleus filtering: sorts ascending, removes entries whose cumulative probability is ≤ 1 − p, and
    /// always keeps the most likely entry (`minTokensToKeep = 1`). p ≥ 1 means off; p = 0 is greedy.
    public static func topP(_ logits: [Float], p: Float) -> [Float] {
        var row = logits
        var probabilities = [Float](repeating: 0, count: row.count)
        var order = [Int32](repeating: 0, count: row.count)
        row.withUnsafeMutableBufferPointer { r in
            probabilities.withUnsafeMutableBufferPointer { pr in
                order.withUnsafeMutableBufferPointer { o in
                    applyTopP(r.baseAddress!, r.count, p: p, probabilities: pr.baseAddress!, order: o.baseAddress!)
                }
            }
        }
        return row
    }

    /// In-place top-k over `n` entries; `scratch` holds at least `k` floats.
    static func applyTopK(_ row: UnsafeMutablePointer<Float>, _ n: Int, k: Int, scratch: UnsafeMutablePointer<Float>) {
        if k <= 0 || k >= n { return }
        let threshold = kthLargest(row, n, k, heap: scratch)
        for j in 0..<n where row[j] < threshold { row[j] = -.infinity }
    }

    /// The k-th largest of `a[0..<n]` (1-based k) with a size-k min-heap: one comparison for most entries.
    static func kthLargest(_ a: UnsafePointer<Float>, _ n: Int, _ k: Int, heap: UnsafeMutablePointer<Float>) -> Float {
        @inline(__always) func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < k && heap[l] < heap[smallest] { smallest = l }
                if r < k && heap[r] < heap[smallest] { smallest = r }
                if smallest == i { return }
                let t = heap[i]; heap[i] = heap[smallest]; heap[smallest] = t
                i = smallest
            }
        }
        heap.update(from: a, count: k)
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for j in k..<n where a[j] > heap[0] {
            heap[0] = a[j]
            siftDown(0)
        }
        return heap[0]
    }

    /// In-place top-p over `n` entries; `probabilities` and `order` are scratch of `n` entries each.
    static func applyTopP(_ row: UnsafeMutablePointer<Float>, _ n: Int, p: Float,
                          probabilities: UnsafeMutablePointer<Float>, order: UnsafeMutablePointer<Int32>) {
        if p >= 1 || n <= 1 { return }
        // softmax of the current (possibly top-k filtered) row.
        var m = -Float.infinity, best = 0
        for j in 0..<n where row[j] > m { m = row[j]; best = j }
        if m == -.infinity { return }
        var total: Float = 0
        for j in 0..<n {
            let e = Foundation.exp(row[j] - m)
            probabilities[j] = e
            total += e
        }
        let inv = 1 / total
        for j in 0..<n { probabilities[j] *= inv }
        // An entry with probability ≤ (1 − p)/n has ascending cumulative mass ≤ 1 − p, so it is removed
        // without sorting; only the rest is sorted (usually few entries after top-k or in a trained model).
        let floor = (1 - p) / Float(n)
        var count = 0
        var removedMass: Float = 0
        for j in 0..<n {
            if probabilities[j] > floor || j == best { order[count] = Int32(j); count += 1 } else { removedMass += probabilities[j] }
        }
        var candidates = UnsafeMutableBufferPointer(start: order, count: count)
        candidates.sort { probabilities[Int($0)] < probabilities[Int($1)] }
        var cumulative = removedMass
        for c in 0..<count {
            let j = Int(order[c])
            cumulative += probabilities[j]
            // HF keeps the last `minTokensToKeep` (= 1) sorted entries regardless.
            if cumulative <= 1 - p && c < count - 1 { row[j] = -.infinity }
        }
        for j in 0..<n where probabilities[j] <= floor && j != best { row[j] = -.infinity }
    }

    /// A categorical draw from softmax(row) using one uniform number in [0, 1).
    static func sample(_ row: UnsafePointer<Float>, _ n: Int, uniform u: Double) -> Int {
        var m = -Float.infinity
        for j in 0..<n where row[j] > m { m = row[j] }
        var total: Double = 0
        for j in 0..<n where row[j] > -.infinity { total += Double(Foundation.exp(row[j] - m)) }
        let target = u * total
        var cumulative: Double = 0
        var last = 0
        for j in 0..<n where row[j] > -.infinity {
            cumulative += Double(Foundation.exp(row[j] - m))
            last = j
            if cumulative > target { return j }
        }
        return last
    }

    /// A categorical draw from unnormalised non-negative `weights` summing to `total`.
    static func sample(weights: UnsafePointer<Float>, _ n: Int, total: Float, uniform u: Double) -> Int {
        let target = Float(u) * total
        var cumulative: Float = 0
        for j in 0..<n {
            cumulative += weights[j]
            if cumulative > target { return j }
        }
        var last = n - 1
        while last > 0 && weights[last] == 0 { last -= 1 }
        return last
    }

    /// Index of the largest entry (the first on ties).
    static func argmax(_ row: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where row[j] > row[best] { best = j }
        return best
    }
}
