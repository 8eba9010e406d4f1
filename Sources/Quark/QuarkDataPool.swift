// Quark's cumulative data pool (QK `data_pool.py`): every explored (prompt, response, reward), sorted by reward
// and split into K equal quantiles after every addition.
import Foundation

/// One explored sample in the pool.
public struct QuarkPoolItem: Codable, Equatable, Sendable {
    /// The prompt's token ids, without a reward token.
    public var promptTokens: [Int32]
    /// The response's token ids (real tokens only, up to and including a stop token).
    public var responseTokens: [Int32]
    /// The sequence reward (higher is better).
    public var reward: Float
    /// The quantile index i of the reward token r_i it is conditioned on (0 = best); set by re-quantization.
    public var quantile: Int
    /// Insertion order, the tie-break of equal rewards (so re-quantization is deterministic).
    public var serial: Int
    /// The prompt and completion as text, when known (for samples files).
    public var promptText: String?
    public var completionText: String?

    public init(promptTokens: [Int32], responseTokens: [Int32], reward: Float, quantile: Int = 0, serial: Int = 0,
                promptText: String? = nil, completionText: String? = nil) {
        self.promptTokens = promptTokens
        self.responseTokens = responseTokens
        self.reward = reward
        self.quantile = quantile
        self.serial = serial
        self.promptText = promptText
        self.completionText = completionText
    }
}

/// The cumulative pool of explored samples and their reward quantiles.
///
/// On each `add`, items with a non-finite reward are dropped, the new items are appended (the pool is never
/// cleared, as in QK), and the whole pool is re-quantized: sorted by reward, descending (ties by insertion
/// order); with N items and q = ⌊N/K⌋, sorted positions `[i·q, (i+1)·q)` get quantile i, and the remainder
/// `N − K·q` items the last quantile K − 1. So every reward in quantile i is ≥ every reward in quantile i + 1.
///
/// ```swift
/// var pool = QuarkDataPool(quantileCount: 5)
/// pool.add([QuarkPoolItem(promptTokens: [1], responseTokens: [4, 5], reward: 0.9)])
/// pool.items[0].quantile   // 0
/// ```
public struct QuarkDataPool: Codable, Equatable, Sendable {
    /// K.
    public let quantileCount: Int
    /// Every item, sorted by reward descending after the last re-quantization.
    public private(set) var items: [QuarkPoolItem] = []
    /// Items added so far, including dropped ones (the next serial number).
    public private(set) var added = 0

    public init(quantileCount: Int) {
        precondition(quantileCount >= 1, "QuarkDataPool needs at least one quantile")
        self.quantileCount = quantileCount
    }

    public var count: Int { items.count }

    /// Appends `newItems` (dropping non-finite rewards) and re-quantizes the whole pool.
    ///
    /// - Returns: how many items were dropped for a non-finite reward.
    @discardableResult
    public mutating func add(_ newItems: [QuarkPoolItem]) -> Int {
        var dropped = 0
        for var item in newItems {
            item.serial = added
            added += 1
            if item.reward.isFinite { items.append(item) } else { dropped += 1 }
        }
        requantize()
        return dropped
    }

    /// Sorts by reward (descending, ties by serial) and assigns the quantiles.
    public mutating func requantize() {
        items.sort { $0.reward != $1.reward ? $0.reward > $1.reward : $0.serial < $1.serial }
        let q = items.count / quantileCount
        for i in items.indices {
            items[i].quantile = q == 0 ? quantileCount - 1 : min(i / q, quantileCount - 1)
        }
    }

    /// The number of items in each quantile.
    public var quantileSizes: [Int] {
        var sizes = [Int](repeating: 0, count: quantileCount)
        for item in items { sizes[item.quantile] += 1 }
        return sizes
    }

    /// The mean reward of each quantile (NaN for an empty one).
    public var quantileMeanRewards: [Double] {
        var sums = [Double](repeating: 0, count: quantileCount)
        let sizes = quantileSizes
        for item in items { sums[item.quantile] += Double(item.reward) }
        return zip(sums, sizes).map { $1 == 0 ? .nan : $0 / Double($1) }
    }
}
