// RLOOConfig and GRPOConfig: the hyperparameters of the critic-free online methods (RLOO, arXiv 2402.14740; GRPO,
// arXiv 2402.03300), with toy-scale defaults. The fields both share are listed in the same order in each.
import Foundation
import TrainingCore

/// The settings of an RLOO run (REINFORCE leave-one-out; Ahmadian et al. 2024; TRL `RLOOConfig`).
///
/// Defaults are this library's toy scale (TRL's where it has one): k = 4, β = 0.05, ε = 0.2, no advantage
/// normalisation, one gradient step per generation (TRL `num_iterations = 1`, so the ratio is 1 and the loss is
/// REINFORCE with the leave-one-out baseline). TRL's lr (1e−6) is for large models; the default here is 1e−4.
public struct RLOOConfig: Codable, Equatable, Sendable {
    /// Iterations (each: generate, score, `epochs` optimizer steps). Default 100.
    public var iterations = 100
    /// Distinct prompts per iteration; the batch holds `promptsPerIteration · generations` episodes. Default 8.
    public var promptsPerIteration = 8
    /// k, completions sampled per prompt (≥ 2). Default 4.
    public var generations = 4
    /// β of the KL penalty in the reward, `R = r − β Σ_t (log π_old − log π_ref)`. Default 0.05.
    public var klCoefficient = 0.05
    /// Whiten the advantages over the batch. Default false.
    public var normalizeAdvantages = false
    /// ε, the lower clip range of the sequence ratio. Default 0.2.
    public var clipRange: Float = 0.2
    /// ε_high, the upper clip range (0 = same as `clipRange`). Default 0.
    public var clipRangeHigh: Float = 0
    /// Optimizer steps per generation (TRL `num_iterations`). Default 1.
    public var epochs = 1
    /// AdamW learning rate (constant). Default 1e−4.
    public var learningRate: Float = 1e-4
    /// Clip the global gradient norm (0 = off). Default 1.
    public var maximumGradientNorm: Float = 1
    /// Episodes per forward/backward pass (gradients accumulate over the step batch). Default 32.
    public var microBatchSize = 32
    /// Sampling temperature τ (log-probabilities are taken at the same τ). Default 1.
    public var temperature: Float = 1
    /// Maximum new tokens per completion. Default 24.
    public var maximumNewTokens = 24
    /// Added to the score of completions that reach no stop token (≤ 0). Default 0.
    public var missingStopPenalty: Float = 0
    /// Seed of prompt order and sampling. Default 0.
    public var seed: UInt64 = 0

    public init() {}

    /// Checks every field; throws `ConfigError` naming the first bad one.
    public func validate() throws {
        try validateShared(iterations: iterations, prompts: promptsPerIteration, generations: generations, beta: klCoefficient,
                           clip: clipRange, clipHigh: clipRangeHigh, epochs: epochs, learningRate: learningRate,
                           gradientNorm: maximumGradientNorm, microBatch: microBatchSize, temperature: temperature,
                           maximumNewTokens: maximumNewTokens, penalty: missingStopPenalty)
    }

    public static let fieldDocumentation: [(name: String, description: String)] = sharedDocumentation(
        generations: "k, completions per prompt (≥ 2; the leave-one-out baseline averages the other k − 1)",
        beta: "β of the KL penalty subtracted from the reward (k1, summed over tokens)",
        extra: [("normalizeAdvantages", "whiten the advantages over the batch")])
}

/// The settings of a GRPO run (group relative policy optimisation; Shao et al. 2024; TRL `GRPOConfig`).
///
/// Defaults are this library's toy scale (TRL's where it has one): G = 8, β = 0.04 (TRL's default is 0, no reference
/// model), ε = 0.2, `scaleRewards` group, `lossAggregation` dapo, one gradient step per generation.
public struct GRPOConfig: Codable, Equatable, Sendable {
    /// Iterations (each: generate, score, `epochs` optimizer steps). Default 100.
    public var iterations = 100
    /// Distinct prompts per iteration; the batch holds `promptsPerIteration · generations` episodes. Default 8.
    public var promptsPerIteration = 8
    /// G, completions sampled per prompt (≥ 2). Default 8.
    public var generations = 8
    /// β of the per-token k3 KL term in the loss (0 = none). Default 0.04.
    public var klCoefficient = 0.04
    /// How the group-centred rewards are scaled: `group`, `batch` or `none`. Default group.
    public var scaleRewards = "group"
    /// The loss aggregation: `grpo`, `bnpo`, `dr_grpo` or `dapo`. Default dapo.
    public var lossAggregation = "dapo"
    /// ε, the lower clip range of the per-token ratio. Default 0.2.
    public var clipRange: Float = 0.2
    /// ε_high, the upper clip range (0 = same as `clipRange`; DAPO uses 0.28). Default 0.
    public var clipRangeHigh: Float = 0
    /// Optimizer steps per generation (TRL `num_iterations`). Default 1.
    public var epochs = 1
    /// AdamW learning rate (constant). Default 1e−4.
    public var learningRate: Float = 1e-4
    /// Clip the global gradient norm (0 = off). Default 1.
    public var maximumGradientNorm: Float = 1
    /// Episodes per forward/backward pass (gradients accumulate over the step batch). Default 32.
    public var microBatchSize = 32
    /// Sampling temperature τ (log-probabilities are taken at the same τ). Default 1.
    public var temperature: Float = 1
    /// Maximum new tokens per completion (also Dr. GRPO's normaliser). Default 24.
    public var maximumNewTokens = 24
    /// Added to the score of completions that reach no stop token (≤ 0). Default 0.
    public var missingStopPenalty: Float = 0
    /// Seed of prompt order and sampling. Default 0.
    public var seed: UInt64 = 0

    public init() {}

    /// `scaleRewards` as an enum.
    public var rewardScaling: GRPORewardScaling? { GRPORewardScaling(rawValue: scaleRewards) }
    /// `lossAggregation` as an enum.
    public var aggregation: GRPOLossAggregation? { GRPOLossAggregation(rawValue: lossAggregation) }

    /// Checks every field; throws `ConfigError` naming the first bad one.
    public func validate() throws {
        try validateShared(iterations: iterations, prompts: promptsPerIteration, generations: generations, beta: klCoefficient,
                           clip: clipRange, clipHigh: clipRangeHigh, epochs: epochs, learningRate: learningRate,
                           gradientNorm: maximumGradientNorm, microBatch: microBatchSize, temperature: temperature,
                           maximumNewTokens: maximumNewTokens, penalty: missingStopPenalty)
        try require(rewardScaling != nil, "scaleRewards", scaleRewards, "it must be group, batch or none")
        try require(aggregation != nil, "lossAggregation", lossAggregation, "it must be grpo, bnpo, dr_grpo or dapo")
    }

    public static let fieldDocumentation: [(name: String, description: String)] = sharedDocumentation(
        generations: "G, completions per prompt (≥ 2); advantages are normalised within each group",
        beta: "β of the per-token k3 KL term in the loss (0 = none)",
        extra: [("scaleRewards", "advantage scaling: group (std of the group), batch, none"),
                ("lossAggregation", "grpo (per-sequence token means), bnpo (token mean per micro-batch), dr_grpo (÷ B·maxNewTokens), dapo (token mean of the step)")])
}

func validateShared(iterations: Int, prompts: Int, generations: Int, beta: Double, clip: Float, clipHigh: Float, epochs: Int,
                    learningRate: Float, gradientNorm: Float, microBatch: Int, temperature: Float, maximumNewTokens: Int,
                    penalty: Float) throws {
    try require(iterations >= 1, "iterations", iterations, "it must be at least 1, such as 100")
    try require(prompts >= 1, "promptsPerIteration", prompts, "it must be at least 1, such as 8")
    try require(generations >= 2, "generations", generations, "it must be at least 2: the baseline comes from the other samples of the prompt")
    try require(beta >= 0 && beta.isFinite, "klCoefficient", beta, "it must be ≥ 0, such as 0.05")
    try require(clip > 0 && clip < 1, "clipRange", clip, "it must be in (0, 1), such as 0.2")
    try require(clipHigh >= 0, "clipRangeHigh", clipHigh, "it must be ≥ 0 (0 = same as clipRange)")
    try require(epochs >= 1, "epochs", epochs, "it must be at least 1")
    try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "it must be positive, such as 1e-4")
    try require(gradientNorm >= 0, "maximumGradientNorm", gradientNorm, "it must be ≥ 0 (0 = off)")
    try require(microBatch >= 1, "microBatchSize", microBatch, "it must be at least 1, such as 32")
    try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "it must be positive, such as 1")
    try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "it must be at least 1")
    try require(penalty <= 0, "missingStopPenalty", penalty, "it must be ≤ 0 (a penalty), such as -1 or 0")
}

func sharedDocumentation(generations: String, beta: String, extra: [(name: String, description: String)])
    -> [(name: String, description: String)] {
    [("iterations", "iterations (generate, score, update)"),
     ("promptsPerIteration", "distinct prompts per iteration"),
     ("generations", generations),
     ("klCoefficient", beta)] + extra + [
     ("clipRange", "ε, lower clip range of the ratio"),
     ("clipRangeHigh", "ε_high, upper clip range (0 = clipRange)"),
     ("epochs", "optimizer steps per generation (num_iterations)"),
     ("learningRate", "AdamW learning rate"),
     ("maximumGradientNorm", "gradient-norm clip (0 = off)"),
     ("microBatchSize", "episodes per forward/backward pass"),
     ("temperature", "sampling temperature"),
     ("maximumNewTokens", "maximum new tokens per completion"),
     ("missingStopPenalty", "added to the score of completions without a stop token (≤ 0)"),
     ("seed", "seed of prompt order and sampling")]
}
