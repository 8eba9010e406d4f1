// Critic-free advantages: RLOO's leave-one-out baseline (arXiv 2402.14740) and GRPO's group normalisation
// (arXiv 2402.03300, §4.1.2).
// Rewards are laid out in groups of G consecutive samples of the same prompt: [prompt 0 × G, prompt 1 × G, …].
import Foundation
import TrainingCore

/// How GRPO scales the group-centred rewards (TRL `scale_rewards`); ``GRPOConfig/scaleRewards``, spelled `group`,
/// `batch` or `none` in configuration files.
public enum GRPORewardScaling: String, ConfigurationChoice {
    /// Divide by the group's standard deviation (Bessel-corrected) + 1e−4 (the GRPO paper).
    case group
    /// Divide by the whole batch's standard deviation + 1e−4.
    case batch
    /// Centre only (Dr. GRPO).
    case none
}

/// RLOO advantages: `A_i = R_i − (Σ_{j≠i} R_j)/(G − 1)` within each group of `groupSize` (Ahmadian et al.
/// 2024; TRL `rloo_trainer.py`). The baseline of a sample never includes the sample itself.
///
/// - Parameters:
///   - rewards: B = groups × groupSize rewards, grouped consecutively.
///   - groupSize: G ≥ 2.
///   - normalize: whiten the advantages over the batch, `(A − mean)/(std + 1e−4)` (TRL `normalize_advantages`).
/// - Returns: B advantages.
public func leaveOneOutAdvantages(rewards: [Float], groupSize: Int, normalize: Bool = false) -> [Float] {
    precondition(groupSize >= 2 && rewards.count % groupSize == 0,
                 "leaveOneOutAdvantages: \(rewards.count) rewards do not form groups of \(groupSize) ≥ 2")
    var advantages = [Float](repeating: 0, count: rewards.count)
    for start in stride(from: 0, to: rewards.count, by: groupSize) {
        let total = (start..<(start + groupSize)).reduce(0.0) { $0 + Double(rewards[$1]) }
        for i in start..<(start + groupSize) {
            let baseline = (total - Double(rewards[i])) / Double(groupSize - 1)
            advantages[i] = Float(Double(rewards[i]) - baseline)
        }
    }
    return normalize ? standardized(advantages) : advantages
}

/// GRPO advantages: `A_i = (R_i − mean_group R) / (std + 1e−4)` with the scaling of `scaling` (Shao et al. 2024;
/// TRL `grpo_trainer.py`). A group whose rewards are all equal gets exactly zero advantage.
///
/// - Parameters:
///   - rewards: B = groups × groupSize rewards, grouped consecutively.
///   - groupSize: G ≥ 2.
///   - scaling: `.group` (default), `.batch` or `.none`.
public func groupNormalizedAdvantages(rewards: [Float], groupSize: Int, scaling: GRPORewardScaling = .group) -> [Float] {
    precondition(groupSize >= 2 && rewards.count % groupSize == 0,
                 "groupNormalizedAdvantages: \(rewards.count) rewards do not form groups of \(groupSize) ≥ 2")
    let batchStd = standardDeviation(rewards[...])
    var advantages = [Float](repeating: 0, count: rewards.count)
    for start in stride(from: 0, to: rewards.count, by: groupSize) {
        let group = rewards[start..<(start + groupSize)]
        let mean = group.reduce(0.0) { $0 + Double($1) } / Double(groupSize)
        // Centre exactly: a zero-variance group gives 0, not rounding noise.
        let constant = group.allSatisfy { $0 == group.first! }
        let scale: Double
        switch scaling {
        case .group: scale = standardDeviation(group) + 1e-4
        case .batch: scale = batchStd + 1e-4
        case .none: scale = 1
        }
        for i in start..<(start + groupSize) {
            advantages[i] = constant ? 0 : Float((Double(rewards[i]) - mean) / scale)
        }
    }
    return advantages
}

/// The Bessel-corrected standard deviation (0 for fewer than two values).
func standardDeviation(_ values: ArraySlice<Float>) -> Double {
    guard values.count > 1 else { return 0 }
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let squares = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
    return (squares / Double(values.count - 1)).squareRoot()
}

/// `(x − mean)/(std + 1e−4)` over the whole array.
func standardized(_ x: [Float]) -> [Float] {
    let mean = x.reduce(0.0) { $0 + Double($1) } / Double(max(x.count, 1))
    let scale = standardDeviation(x[...]) + 1e-4
    return x.map { Float((Double($0) - mean) / scale) }
}
