// The settings of Rainier's two training stages and its inference (Liu et al. 2022, arXiv 2210.03078), at toy scale.
import Foundation
import PPO
import TrainingCore

/// Settings of stage I (imitation), the reward calibration, stage II (PPO) and inference.
///
/// Paper values (Liu et al. 2022; the authors' `args.py` and training scripts): imitation batch 64 at lr 1e−5 for
/// 50k–100k steps; PPO with 64 questions per iteration, τ = 0.7, top-k 50, β = 0.2 fixed, whitened rewards, γ = 1, λ
/// = 0.95, 4 full-batch epochs, lr 2e−5; inference with M = 10 statements at top-p 0.5 and max aggregation. Defaults
/// keep every paper value except the step counts and learning rates, which suit the tiny models of the toy world.
public struct RainierConfig: Codable, Equatable, Sendable {
    /// Seed of stage I, the calibration samples and inference sampling. Default 0.
    public var seed: UInt64 = 0
    /// Stage-I (imitation) updates. Default 500.
    public var imitationSteps = 500
    /// Stage-I examples per update. Default 32.
    public var imitationBatchSize = 32
    /// Stage-I learning rate. Default 3e−3.
    public var imitationLearningRate = 3e-3
    /// γ, the weight of a language-modelling loss on the introspector's pretraining text added to every stage-I
    /// update (InstructGPT's pretraining mix, arXiv 2203.02155 §3.5, applied to imitation), so that fine-tuning a
    /// small model at a high learning rate does not erase what it read in pretraining — Rainier fine-tunes T5-large
    /// at 1e−5, which barely moves it. Needs ``RainierTrainer/pretraining``. Default 0 (off, as in the paper).
    /// Stage II's mix is `ppo.ptxCoefficient`.
    public var imitationPtxCoefficient = 0.0
    /// Stage II: PPO against the knowledge reward; see ``RainierConfig/rainierPPO()``.
    public var ppo = RainierConfig.rainierPPO()
    /// Whether the critic is a separate value model initialised from the stage-I model (Rainier's
    /// `--use_model_ckpt_for_value`) rather than a value head on the policy's trunk. Default true.
    public var separateValueModel = true
    /// Knowledge statements M sampled per question at inference. Default 10.
    public var knowledgeSamples = 10
    /// Top-p of inference sampling (τ = 1). Default 0.5.
    public var inferenceTopP: Float = 0.5
    /// How the M + 1 probability vectors combine. Default max.
    public var aggregation = KnowledgeAggregation.max

    public init() {}

    /// Rainier's PPO settings (the authors' `ppo.py` and `args.py`) with toy-scale iterations and learning rate: 64
    /// questions per iteration, 16 new tokens, τ = 0.7, top-k 50, β = 0.2 fixed, k1, whitened rewards, γ = 1,
    /// λ = 0.95, 4 epochs on the whole batch, ε = ε_v = 0.2, c_v = 1, lr 3e−4 (linear decay), gradient clipping off, no
    /// missing-stop penalty.
    public static func rainierPPO() -> PPOConfig {
        var c = PPOConfig()
        c.iterations = 60
        c.batchSize = 64
        c.maximumNewTokens = 16
        c.temperature = 0.7
        c.topK = 50
        c.missingStopPenalty = 0
        c.klCoefficient = 0.2
        c.adaptiveKL = false
        c.whitenRewards = true
        c.gamma = 1
        c.lambda = 0.95
        c.epochs = 4
        c.miniBatchSize = 0
        c.clipRange = 0.2
        c.valueClipRange = 0.2
        c.valueCoefficient = 1
        c.learningRate = 3e-4
        c.learningRateDecay = .linear
        c.maximumGradientNorm = 0
        return c
    }

    /// Checks every field (and the PPO settings).
    ///
    /// - Throws: `ConfigurationError` naming the field.
    public func validate() throws(ConfigurationError) {
        try require(imitationSteps >= 1, "imitationSteps", imitationSteps, "it must be at least 1 (e.g. 300)")
        try require(imitationBatchSize >= 1, "imitationBatchSize", imitationBatchSize, "it must be at least 1 (e.g. 32)")
        try require(imitationLearningRate > 0 && imitationLearningRate.isFinite, "imitationLearningRate", imitationLearningRate, "it must be positive (e.g. 1e-3)")
        try require(imitationPtxCoefficient >= 0 && imitationPtxCoefficient.isFinite, "imitationPtxCoefficient", imitationPtxCoefficient,
                    "it must be ≥ 0 (0 = no pretraining mix), such as 1")
        try require(knowledgeSamples >= 1, "knowledgeSamples", knowledgeSamples, "it must be at least 1 (Rainier uses 10)")
        try require(inferenceTopP > 0 && inferenceTopP <= 1, "inferenceTopP", inferenceTopP, "it must lie in (0, 1] (Rainier uses 0.5)")
        try ppo.validate()
    }
}
