// The settings of RLP's reward-retraining step (Lang et al. 2024, arXiv 2403.19279, §4.1–4.2, §5.1, §5.3),
// with the paper's values as defaults.
import Foundation
import TrainingCore

/// Which RLP variant retrains the reward model (RLP §4.2).
public enum RLPVariant: String, Codable, CaseIterable, Sendable {
    /// Unsupervised multi-view learning: Bradley–Terry on the human comparisons plus λ·L_M on policy samples.
    case uml
    /// Synthetic preference generation: Bradley–Terry on the human comparisons plus synthetic ones (λ = 0).
    case spg
}

/// Where the retrained reward model starts (the paper does not say; this library's choice is listed in the RLP
/// article).
public enum RewardRetrainingInitialization: String, Codable, CaseIterable, Sendable {
    /// A fresh head on a copy of the SFT model, as the first reward model ("retrain"). The default.
    case fromSFT
    /// A copy of the first reward model, fine-tuned further.
    case fromPreviousRewardModel
}

/// Settings of RLP's reward retraining (the policy retraining is plain PPO, configured by `PPOConfig`).
public struct RLPConfig: Codable, Equatable, Sendable {
    /// Responses sampled from the policy per unlabelled prompt, n (RLP: 10). Default 10.
    public var samplesPerPrompt = 10
    /// Sampling temperature for the policy samples (RLP: 1.0 for training data). Default 1.
    public var samplingTemperature = 1.0
    /// λ, the weight of the multi-view loss in RLP-UML (RLP: 0.5). Default 0.5.
    public var multiViewWeight = 0.5
    /// β, the weight of the symmetrised KL inside L_M (RLP: 1). Default 1.
    public var symmetrizedKLWeight = 1.0
    /// Width of the hidden layers of the encoder's μ and σ networks and of the critic (the paper does not give it).
    /// Default 64.
    public var encoderHiddenSize = 64
    /// Size of the code z (the paper does not give it). Default 16.
    public var codeSize = 16
    /// Prompts per UML step; each gives two views (two different responses). Default 16.
    public var viewBatchSize = 16
    /// γ, the least confidence (largest cluster's share) for SPG to keep a prompt (RLP: 0.5). Default 0.5.
    public var confidenceThreshold = 0.5
    /// Where the retrained reward model starts. Default `fromSFT`.
    public var initialization: RewardRetrainingInitialization = .fromSFT
    /// Seed of the encoder and critic initialisation, view pairing, reparameterisation noise and SPG's rejected
    /// draws. Default 0.
    public var seed: UInt64 = 0

    public init() {}

    /// - Throws: `ConfigurationError` naming the first bad field.
    public func validate() throws(ConfigurationError) {
        try require(samplesPerPrompt >= 2, "samplesPerPrompt", samplesPerPrompt, "must be at least 2 (RLP uses 10)")
        try require(samplingTemperature > 0 && samplingTemperature.isFinite, "samplingTemperature", samplingTemperature, "must be positive, such as 1.0")
        try require(multiViewWeight >= 0 && multiViewWeight.isFinite, "multiViewWeight", multiViewWeight, "must be ≥ 0 (RLP: 0.5)")
        try require(symmetrizedKLWeight >= 0 && symmetrizedKLWeight.isFinite, "symmetrizedKLWeight", symmetrizedKLWeight, "must be ≥ 0, such as 1")
        try require(encoderHiddenSize >= 1, "encoderHiddenSize", encoderHiddenSize, "must be at least 1, such as 64")
        try require(codeSize >= 1, "codeSize", codeSize, "must be at least 1, such as 16")
        try require(viewBatchSize >= 2, "viewBatchSize", viewBatchSize, "must be at least 2 (the MI critic's negatives pair different prompts)")
        try require((0...1).contains(confidenceThreshold), "confidenceThreshold", confidenceThreshold, "must be in [0, 1] (RLP: 0.5)")
    }
}
