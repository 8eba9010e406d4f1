// SFTConfig: every hyperparameter of supervised fine-tuning, with toy-scale defaults
// (InstructGPT, arXiv 2203.02155, §3.5 and App. C.1; TRL's `SFTConfig`).
import Foundation
import TrainingCore

/// The settings of a supervised fine-tuning run.
///
/// Defaults are this library's toy scale (lr 1e−3, 300 steps, completion-only loss), which
/// suit the small byte-level models of the tests and examples. Paper-scale values for comparison: InstructGPT
/// trained 16 epochs at lr 9.65e−6 with cosine decay to 10 %; AlpacaFarm 3 epochs at lr 2e−5.
///
/// With `packing`, several examples share a row of the model's context length (a block-diagonal attention mask
/// and positions that restart at each example keep them independent), so short demonstrations waste no compute
/// on padding; the loss is the same token-weighted mean as without packing.
public struct SFTConfig: Codable, Equatable, Sendable {
    /// Peak learning rate of AdamW. Default 1e−3.
    public var learningRate: Double = 1e-3
    /// Number of optimizer updates. Default 300.
    public var steps: Int = 300
    /// Passes over the training examples; when positive it sets the number of updates to
    /// ⌈epochs · examples / batchSize⌉ (counted in examples, also with packing) and `steps` is not used. Default 0.
    public var epochs: Int = 0
    /// Examples per update. Default 16.
    public var batchSize: Int = 16
    /// Linear warm-up steps before cosine decay. Default 10.
    public var warmupSteps: Int = 10
    /// The learning rate decays (cosine) to `learningRate · minimumLearningRateRatio` at the last step. Default 0.1.
    public var minimumLearningRateRatio: Double = 0.1
    /// Decoupled weight decay on matrices. Default 0.
    public var weightDecay: Double = 0
    /// AdamW β₁. Default 0.9.
    public var beta1: Double = 0.9
    /// AdamW β₂ (InstructGPT used 0.95). Default 0.95.
    public var beta2: Double = 0.95
    /// Clip the global gradient norm to this value; 0 turns clipping off. Default 1.
    public var maximumGradientNorm: Double = 1
    /// Train on completion tokens only (prompt and padding masked). When false, prompt tokens are also
    /// supervised (plain language modelling of prompt‖completion). Default true.
    public var completionOnly: Bool = true
    /// Pack several examples into each row of the context length, with a block-diagonal attention mask and
    /// positions restarting at each example (TRL's `padding_free` packing). A batch is then `batchSize` rows,
    /// each holding as many whole examples as fit, so an update sees more examples. Default false.
    public var packing: Bool = false
    /// Fraction of the training examples held out for validation when no validation set is given. Default 0.05.
    public var validationFraction: Double = 0.05
    /// Evaluate the validation loss every this many steps (and at the last step). Default 50.
    public var evaluationInterval: Int = 50
    /// Examples per validation forward pass. Default 64.
    public var validationBatchSize: Int = 64
    /// Restore the parameters with the lowest validation loss at the end. Default true.
    public var keepBestCheckpoint: Bool = true
    /// Seed of data order and dropout. Default 0.
    public var seed: UInt64 = 0
    /// γ, the weight of a language-modelling loss on pretraining text added to every update: the pretraining mix of
    /// PPO-ptx (arXiv 2203.02155, §3.5 eq. 2) applied to SFT, so the model keeps its language ability while it
    /// learns the demonstrations. Needs pretraining blocks (`SFTTrainer(…, pretraining:)`). Default 0 (off, as
    /// InstructGPT's SFT).
    public var ptxCoefficient: Double = 0
    /// Pretraining blocks per update when `ptxCoefficient` > 0. Default 8.
    public var ptxBatchSize: Int = 8

    /// A configuration with every default.
    public init() {}

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the first bad field, its value and what to use instead.
    public func validate() throws(ConfigurationError) {
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "must be positive and finite, such as 1e-3")
        try require(steps >= 1, "steps", steps, "must be at least 1, such as 300")
        try require(batchSize >= 1, "batchSize", batchSize, "must be at least 1, such as 16")
        try require(warmupSteps >= 0 && warmupSteps <= steps, "warmupSteps", warmupSteps, "must be in 0...steps (\(steps)), such as \(min(10, steps / 10))")
        try require((0...1).contains(minimumLearningRateRatio), "minimumLearningRateRatio", minimumLearningRateRatio, "must be in [0, 1], such as 0.1")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "must be ≥ 0, such as 0 or 0.1")
        try require((0..<1).contains(beta1), "beta1", beta1, "must be in [0, 1), such as 0.9")
        try require((0..<1).contains(beta2), "beta2", beta2, "must be in [0, 1), such as 0.95")
        try require(epochs >= 0, "epochs", epochs, "must be ≥ 0 (0: train for `steps` updates), such as 3")
        try require(maximumGradientNorm >= 0 && maximumGradientNorm.isFinite, "maximumGradientNorm", maximumGradientNorm, "must be ≥ 0 (0 turns clipping off), such as 1")
        try require(validationFraction >= 0 && validationFraction < 1, "validationFraction", validationFraction, "must be in [0, 1), such as 0.05; use 0 to skip validation")
        try require(evaluationInterval >= 1, "evaluationInterval", evaluationInterval, "must be at least 1, such as 50")
        try require(validationBatchSize >= 1, "validationBatchSize", validationBatchSize, "must be at least 1, such as 64")
        try require(ptxCoefficient >= 0 && ptxCoefficient.isFinite, "ptxCoefficient", ptxCoefficient, "must be ≥ 0 (0 = no pretraining mix), such as 1")
        try require(ptxBatchSize >= 1, "ptxBatchSize", ptxBatchSize, "must be at least 1, such as 8")
    }
}
