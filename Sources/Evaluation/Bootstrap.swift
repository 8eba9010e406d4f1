// Seeded percentile-bootstrap confidence intervals for any metric that averages (or summarises) per-item values.
import Foundation

/// A point estimate with a confidence interval.
public struct ConfidenceInterval: Equatable, Codable, Sendable {
    /// The statistic on the full sample.
    public var estimate: Double
    /// The lower end of the interval.
    public var lower: Double
    /// The upper end of the interval.
    public var upper: Double
    /// The nominal coverage, such as 0.95.
    public var confidence: Double

    /// Creates an interval.
    ///
    /// - Parameters:
    ///   - estimate: The point estimate.
    ///   - lower: The lower end.
    ///   - upper: The upper end.
    ///   - confidence: The nominal coverage. Default 0.95.
    public init(estimate: Double, lower: Double, upper: Double, confidence: Double = 0.95) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.confidence = confidence
    }
}

/// The q-quantile of sorted values with linear interpolation between order statistics (NumPy's default).
///
/// Position `q·(n−1)` is interpolated between its neighbours: for `[1, 2, 3, 4]`, q = 0.5 gives 2.5 and
/// q = 0.25 gives 1.75.
///
/// - Parameters:
///   - sortedValues: Values in ascending order.
///   - q: The quantile in [0, 1].
/// - Returns: The interpolated quantile.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` or ``EvaluationError/invalid(_:)``.
public func quantile(sortedValues: [Double], _ q: Double) throws(EvaluationError) -> Double {
    guard !sortedValues.isEmpty else { throw .emptyInput(metric: "quantile") }
    guard q >= 0, q <= 1 else { throw .invalid(.invalidValue(field: "q", value: "\(q)", requirement: "must be in [0, 1]")) }
    let position = q * Double(sortedValues.count - 1)
    let low = Int(position.rounded(.down))
    let high = min(low + 1, sortedValues.count - 1)
    let fraction = position - Double(low)
    return sortedValues[low] + (sortedValues[high] - sortedValues[low]) * fraction
}

/// A percentile-bootstrap confidence interval for a statistic of items, resampling item indices.
///
/// Draws `resamples` samples of `itemCount` indices with replacement, evaluates `statistic` on each, and returns
/// the `(1 − confidence)/2` and `(1 + confidence)/2` quantiles (``quantile(sortedValues:_:)``) of those values
/// around the statistic of the full sample `0..<itemCount`. Resampling indices keeps paired data together, so
/// the same helper serves pairwise accuracy (chosen and rejected scores of item i) or per-prompt metrics.
///
/// - Parameters:
///   - itemCount: The number of items, ≥ 1.
///   - confidence: The coverage in (0, 1). Default 0.95.
///   - resamples: The number of bootstrap resamples, ≥ 1. Default 1000.
///   - generator: The random source (for example ``SplitMix64``); the same seed gives the same interval.
///   - statistic: The metric of a multiset of item indices (indices may repeat).
/// - Returns: The estimate on all items and the interval.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` for no items, ``EvaluationError/invalid(_:)``
///   for a bad `confidence` or `resamples`.
public func bootstrapConfidenceInterval<G: RandomNumberGenerator>(
    itemCount: Int, confidence: Double = 0.95, resamples: Int = 1000, using generator: inout G,
    statistic: ([Int]) -> Double
) throws(EvaluationError) -> ConfidenceInterval {
    guard itemCount >= 1 else { throw .emptyInput(metric: "bootstrapConfidenceInterval") }
    guard confidence > 0, confidence < 1 else {
        throw .invalid(.invalidValue(field: "confidence", value: "\(confidence)", requirement: "must be in (0, 1), such as 0.95"))
    }
    guard resamples >= 1 else {
        throw .invalid(.invalidValue(field: "resamples", value: "\(resamples)", requirement: "must be at least 1, such as 1000"))
    }
    let estimate = statistic(Array(0..<itemCount))
    var values: [Double] = []
    values.reserveCapacity(resamples)
    var indices = [Int](repeating: 0, count: itemCount)
    for _ in 0..<resamples {
        for k in 0..<itemCount { indices[k] = Int(generator.next(upperBound: UInt64(itemCount))) }
        values.append(statistic(indices))
    }
    values.sort()
    let alpha = (1 - confidence) / 2
    return ConfidenceInterval(estimate: estimate,
                              lower: try quantile(sortedValues: values, alpha),
                              upper: try quantile(sortedValues: values, 1 - alpha),
                              confidence: confidence)
}

/// A percentile-bootstrap confidence interval for the mean of per-item values.
///
/// Use it with per-item metric values: win-rate credits (1, ½, 0), gold scores, 0/1 correctness, per-prompt
/// dist-n. All values equal give the degenerate interval `[v, v]`.
///
/// - Parameters:
///   - values: One value per item.
///   - confidence: The coverage in (0, 1). Default 0.95.
///   - resamples: The number of resamples. Default 1000.
///   - generator: The random source.
/// - Returns: The mean and its interval.
/// - Throws: As ``bootstrapConfidenceInterval(itemCount:confidence:resamples:using:statistic:)``.
public func bootstrapConfidenceInterval<G: RandomNumberGenerator>(
    values: [Double], confidence: Double = 0.95, resamples: Int = 1000, using generator: inout G
) throws(EvaluationError) -> ConfidenceInterval {
    try bootstrapConfidenceInterval(itemCount: values.count, confidence: confidence, resamples: resamples,
                                    using: &generator) { indices in
        var sum = 0.0
        for i in indices { sum += values[i] }
        return sum / Double(indices.count)
    }
}

/// A paired percentile-bootstrap interval for mean(a) − mean(b), where `a[i]` and `b[i]` measure two systems on
/// the same item i (the same prompt): items are resampled together, so the interval reflects the per-item
/// differences rather than two independent spreads. It is the interval to read when two systems answer the same
/// prompts: theirs can overlap while the paired difference excludes 0.
///
/// - Parameters:
///   - a: One value per item for the first system.
///   - b: The second system's values on the same items, in the same order.
///   - confidence: The coverage in (0, 1). Default 0.95.
///   - resamples: The number of resamples. Default 1000.
///   - generator: The random source.
/// - Returns: The mean difference and its interval.
/// - Throws: ``EvaluationError/invalid(_:)`` when the counts differ; otherwise as
///   ``bootstrapConfidenceInterval(values:confidence:resamples:using:)``.
public func pairedDifferenceInterval<G: RandomNumberGenerator>(
    _ a: [Double], _ b: [Double], confidence: Double = 0.95, resamples: Int = 1000, using generator: inout G
) throws(EvaluationError) -> ConfidenceInterval {
    guard a.count == b.count else {
        throw .invalid(.invalidValue(field: "b", value: "\(b.count) values",
                                           requirement: "it must pair one value per item of a (\(a.count) values), in the same order"))
    }
    return try bootstrapConfidenceInterval(values: zip(a, b).map { $0 - $1 }, confidence: confidence,
                                           resamples: resamples, using: &generator)
}

/// A percentile-bootstrap interval that resamples whole clusters within strata: each resample draws, in every
/// stratum, as many clusters as it has, with replacement. Use it when items are not independent — several
/// questions about one entity, several seeds of one experiment — so that the interval reflects the clusters'
/// spread, not the items'. Pass `a − b` statistics of the same resample to get a paired difference.
///
/// - Parameters:
///   - clusterCounts: The number of clusters in each stratum (each ≥ 1).
///   - confidence: The coverage in (0, 1). Default 0.95.
///   - resamples: The number of resamples, ≥ 1. Default 1000.
///   - generator: The random source; the same seed gives the same interval.
///   - statistic: The metric of one cluster multiset per stratum (indices may repeat).
/// - Returns: The estimate on all clusters and the interval.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` for no strata or an empty stratum; as
///   ``bootstrapConfidenceInterval(itemCount:confidence:resamples:using:statistic:)`` for a bad `confidence` or
///   `resamples`.
public func clusterBootstrapInterval<G: RandomNumberGenerator>(
    clusterCounts: [Int], confidence: Double = 0.95, resamples: Int = 1000, using generator: inout G,
    statistic: ([[Int]]) -> Double
) throws(EvaluationError) -> ConfidenceInterval {
    guard !clusterCounts.isEmpty, clusterCounts.allSatisfy({ $0 >= 1 }) else { throw .emptyInput(metric: "clusterBootstrapInterval") }
    guard confidence > 0, confidence < 1 else {
        throw .invalid(.invalidValue(field: "confidence", value: "\(confidence)", requirement: "must be in (0, 1), such as 0.95"))
    }
    guard resamples >= 1 else {
        throw .invalid(.invalidValue(field: "resamples", value: "\(resamples)", requirement: "must be at least 1, such as 1000"))
    }
    var picks = clusterCounts.map { Array(0..<$0) }
    let estimate = statistic(picks)
    var values: [Double] = []
    values.reserveCapacity(resamples)
    for _ in 0..<resamples {
        for s in picks.indices {
            let n = clusterCounts[s]
            for k in 0..<n { picks[s][k] = Int(generator.next(upperBound: UInt64(n))) }
        }
        values.append(statistic(picks))
    }
    values.sort()
    let alpha = (1 - confidence) / 2
    return ConfidenceInterval(estimate: estimate, lower: try quantile(sortedValues: values, alpha),
                              upper: try quantile(sortedValues: values, 1 - alpha), confidence: confidence)
}
