// RewardModelConfig: every hyperparameter of reward-model training, with toy-scale
// defaults (Ouyang et al. 2022, arXiv 2203.02155, §3.5 and App. C.2).
import Foundation
import TrainingCore

/// How the trained reward model's raw scores are shifted (and scaled) before use (see the RewardModeling article).
public enum RewardNormalization: String, Codable, CaseIterable, Sendable {
    /// Raw scores.
    case none
    /// A bias so that reference outputs score mean 0 (InstructGPT §3.5).
    case referenceMean
    /// Gain and bias so that reference outputs score mean 0 and standard deviation 1 (Ziegler et al. 2019,
    /// arXiv 1909.08593, §2; lm-human-preferences).
    case referenceMeanAndStandardDeviation
}

/// The settings of a reward-model run.
///
/// Defaults are this library's toy scale: 1 epoch, 32 prompts per batch and a learning rate of 3e−4, which is steady
/// for a model initialised from an SFT checkpoint. Paper scale: InstructGPT
/// used lr 9e−6, one epoch, 64 prompts per batch with all C(K,2) comparisons of a prompt in one element.
public struct RewardModelConfig: Codable, Equatable, Sendable {
    /// Peak learning rate of AdamW. Default 3e−4.
    public var learningRate: Double = 3e-4
    /// Passes over the comparisons (InstructGPT: 1; more overfits quickly). Default 1.
    public var epochs: Int = 1
    /// Updates of the whole run; when positive it replaces `epochs` (the data order reshuffles at each epoch's end).
    /// Default 0.
    public var steps: Int = 0
    /// Prompts per update; each prompt brings all of its compared completions. Default 32.
    public var batchSize: Int = 32
    /// Linear warm-up steps before cosine decay. Default 5.
    public var warmupSteps: Int = 5
    /// The learning rate decays (cosine) to `learningRate · minimumLearningRateRatio`. Default 0.1.
    public var minimumLearningRateRatio: Double = 0.1
    /// Decoupled weight decay on matrices. Default 0.
    public var weightDecay: Double = 0
    /// Clip the global gradient norm to this value; 0 turns clipping off. Default 1.
    public var maximumGradientNorm: Double = 1
    /// Margin m in −log σ(r_w − r_l − m) (TRL). Default 0.
    public var margin: Double = 0
    /// Coefficient c of the centring term c·mean((r_w + r_l)²) (TRL recommends 0.01). Default 0.
    public var centeringCoefficient: Double = 0
    /// Train on every pair of a ranking as an independent example instead of InstructGPT's grouped K-choose-2
    /// batching (only for comparison; InstructGPT found it overfits). Default false.
    public var explodeRankings: Bool = false
    /// Score all completions of a prompt in one row that holds the prompt once (`prompt ‖ c₁ ‖ … ‖ c_K`, each
    /// completion seeing only the prompt and itself) instead of K rows `prompt ‖ cᵢ`. The scores are the same;
    /// the prompt's tokens are computed once instead of K times. Default true.
    public var sharePrompts: Bool = true
    /// Form each epoch's batches from groups of similar length (shuffled within windows of 16 batches, then sorted
    /// by length, and the windows' batches in shuffled order), so that less of each batch is padding. Default true.
    public var groupByLength: Bool = true
    /// Post-training normalisation on reference outputs. Default `referenceMean`.
    public var normalization: RewardNormalization = .referenceMean
    /// Evaluate held-out accuracy every this many steps (and after the last). Default 50.
    public var evaluationInterval: Int = 50
    /// Completions per scoring forward pass during evaluation. Default 64.
    public var scoringBatchSize: Int = 64
    /// Bootstrap resamples for confidence intervals. Default 1000.
    public var bootstrapResamples: Int = 1000
    /// Seed of the head initialisation, data order and bootstrap. Default 0.
    public var seed: UInt64 = 0

    /// A configuration with every default.
    public init() {}

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the first bad field, its value and what to use instead.
    public func validate() throws(ConfigurationError) {
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "must be positive and finite, such as 3e-4")
        try require(steps >= 0, "steps", steps, "must be ≥ 0 (0: train for `epochs` passes), such as 500")
        try require(epochs >= 1, "epochs", epochs, "must be at least 1 (InstructGPT trained for 1)")
        try require(batchSize >= 1, "batchSize", batchSize, "must be at least 1, such as 32")
        try require(warmupSteps >= 0, "warmupSteps", warmupSteps, "must be ≥ 0, such as 5")
        try require((0...1).contains(minimumLearningRateRatio), "minimumLearningRateRatio", minimumLearningRateRatio, "must be in [0, 1], such as 0.1")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "must be ≥ 0, such as 0")
        try require(maximumGradientNorm >= 0 && maximumGradientNorm.isFinite, "maximumGradientNorm", maximumGradientNorm, "must be ≥ 0 (0 turns clipping off), such as 1")
        try require(margin.isFinite, "margin", margin, "must be finite, such as 0")
        try require(centeringCoefficient >= 0 && centeringCoefficient.isFinite, "centeringCoefficient", centeringCoefficient, "must be ≥ 0, such as 0 or 0.01")
        try require(evaluationInterval >= 1, "evaluationInterval", evaluationInterval, "must be at least 1, such as 50")
        try require(scoringBatchSize >= 1, "scoringBatchSize", scoringBatchSize, "must be at least 1, such as 64")
        try require(bootstrapResamples >= 1, "bootstrapResamples", bootstrapResamples, "must be at least 1, such as 1000")
    }
}
