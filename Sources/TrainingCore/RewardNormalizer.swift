// Reward normalisation r ↦ g·r + b: gain and bias for mean 0 and standard deviation 1 (Ziegler et al. 2019,
// arXiv 1909.08593, §2), or a bias only so reference outputs score mean 0 (Ouyang et al. 2022, arXiv 2203.02155, §3.5).
import Foundation

/// An affine map applied to raw rewards so that a calibration sample has a chosen mean (and spread).
public struct RewardNormalizer: Codable, Equatable, Sendable {
    public var gain: Double
    public var bias: Double

    /// The identity map.
    public init(gain: Double = 1, bias: Double = 0) {
        self.gain = gain
        self.bias = bias
    }

    /// Gain and bias so that `samples` map to mean `targetMean` and standard deviation `targetStandardDeviation`
    /// (lm-human-preferences' and Rainier's normalisation). A constant sample gets gain 1.
    public static func fit(samples: [Double], targetMean: Double = 0, targetStandardDeviation: Double = 1) -> RewardNormalizer {
        precondition(!samples.isEmpty, "RewardNormalizer.fit needs at least one sample")
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count)
        let gain = variance > 0 ? targetStandardDeviation / variance.squareRoot() : 1
        return RewardNormalizer(gain: gain, bias: targetMean - gain * mean)
    }

    /// Bias only, so that reference outputs score mean 0 (InstructGPT).
    public static func fitBiasOnly(referenceScores: [Double]) -> RewardNormalizer {
        precondition(!referenceScores.isEmpty, "RewardNormalizer.fitBiasOnly needs at least one score")
        return RewardNormalizer(gain: 1, bias: -referenceScores.reduce(0, +) / Double(referenceScores.count))
    }

    /// g·r + b.
    public func callAsFunction(_ raw: Double) -> Double { gain * raw + bias }
}
