// DirectPreferenceConfig: the hyperparameters of DPO (arXiv 2305.18290), IPO (arXiv 2310.12036), KTO
// (arXiv 2402.01306) and ORPO (arXiv 2403.07691), with TRL's defaults where they suit toy models.
import Foundation
import TrainingCore

/// Which offline preference method a ``DirectPreferenceTrainer`` runs.
public enum DirectPreferenceMethod: String, Codable, CaseIterable, Sendable {
    /// DPO and its variants (sigmoid, hinge, robust) and IPO, on comparisons, against a frozen reference;
    /// the variant is ``DirectPreferenceConfig/loss``.
    case dpo
    /// KTO on unpaired desirable/undesirable examples, against a frozen reference.
    case kto
    /// ORPO on comparisons, with no reference model.
    case orpo
}

/// The settings of an offline preference-optimisation run.
///
/// β, the loss type, label smoothing and the KTO weights default to TRL's values (β = 0.1, sigmoid, ε = 0,
/// λ_D = λ_U = 1). TRL's learning rate (1e−6, for billion-parameter models) is far too small for the toy
/// byte-level models of this library; the default here is 5e−5, and `learningRate` should be tuned per model.
public struct DirectPreferenceConfig: Codable, Equatable, Sendable {
    /// The DPO-family loss (``DirectPreferenceMethod/dpo`` only), spelled `sigmoid`, `hinge`, `robust` or `ipo` in
    /// configuration files. Default sigmoid.
    public var loss: DPOLossType = .sigmoid
    /// β: the strength of the implicit KL regularisation (DPO, IPO, KTO) or the weight of the odds-ratio
    /// term (ORPO's λ). Default 0.1.
    public var beta = 0.1
    /// Label smoothing ε ∈ [0, 0.5) for the `sigmoid` (conservative DPO) and `robust` losses. Default 0.
    public var labelSmoothing = 0.0
    /// λ_D, the weight of desirable examples (KTO). Default 1.
    public var desirableWeight = 1.0
    /// λ_U, the weight of undesirable examples (KTO). Default 1.
    public var undesirableWeight = 1.0
    /// Passes over the training data. Default 2 (enough for the toy comparisons of the behaviour tests).
    public var epochs = 2
    /// Updates of the whole run; when positive it replaces `epochs` (the order reshuffles at each epoch's end).
    public var steps = 0
    /// Comparisons (or unpaired examples) per update. Default 16.
    public var batchSize = 16
    /// Peak AdamW learning rate (linear warm-up, then linear decay to 0). Default 5e−5.
    public var learningRate = 5e-5
    /// Warm-up steps. Default 0.
    public var warmupSteps = 0
    /// AdamW weight decay on matrices. Default 0.
    public var weightDecay = 0.0
    /// Clip the global gradient norm to this value (0 = off). Default 1.
    public var maximumGradientNorm = 1.0
    /// Measure the held-out implicit-reward accuracy every this many steps (0 = only at the end). Default 0.
    public var evaluationInterval = 0
    /// Rows per forward pass when precomputing reference log-probabilities and evaluating. Default 64.
    public var scoringBatchSize = 64
    /// Seed of the data order and of KTO's mismatched pairs. Default 0.
    public var seed: UInt64 = 0

    public init() {}

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the first bad field, its value and what to use instead.
    public func validate() throws {
        try require(beta > 0 && beta.isFinite, "beta", beta, "it must be positive, such as 0.1")
        try require(labelSmoothing >= 0 && labelSmoothing < 0.5, "labelSmoothing", labelSmoothing, "it must be in [0, 0.5), such as 0 or 0.1")
        try require(desirableWeight > 0 && undesirableWeight > 0, "desirableWeight", "\(desirableWeight)/\(undesirableWeight)",
                    "both KTO weights must be positive, such as 1")
        try require(epochs >= 1, "epochs", epochs, "it must be at least 1, such as 2")
        try require(steps >= 0, "steps", steps, "it must be ≥ 0 (0: train for epochs passes), such as 200")
        try require(batchSize >= 1, "batchSize", batchSize, "it must be at least 1, such as 16")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "it must be positive, such as 5e-5")
        try require(warmupSteps >= 0, "warmupSteps", warmupSteps, "it must be ≥ 0")
        try require(weightDecay >= 0, "weightDecay", weightDecay, "it must be ≥ 0")
        try require(maximumGradientNorm >= 0, "maximumGradientNorm", maximumGradientNorm, "it must be ≥ 0 (0 turns clipping off)")
        try require(evaluationInterval >= 0, "evaluationInterval", evaluationInterval, "it must be ≥ 0 (0 = only at the end)")
        try require(scoringBatchSize >= 1, "scoringBatchSize", scoringBatchSize, "it must be at least 1, such as 64")
    }

    /// One line per field, for `--help` (`rlft dpo`, `rlft kto`, `rlft orpo`).
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("loss", "DPO loss, one of \(DPOLossType.allowedSpellings) (sigmoid is DPO; rlft dpo only)"),
        ("beta", "β: implicit KL strength (DPO/IPO/KTO) or odds-ratio weight λ (ORPO)"),
        ("labelSmoothing", "label smoothing ε in [0, 0.5) for the sigmoid and robust losses"),
        ("desirableWeight", "λ_D, weight of desirable examples (KTO)"),
        ("undesirableWeight", "λ_U, weight of undesirable examples (KTO)"),
        ("epochs", "passes over the training data"),
        ("steps", "updates of the whole run; when > 0 it replaces epochs"),
        ("batchSize", "comparisons (or unpaired examples) per update"),
        ("learningRate", "peak AdamW learning rate (linear warm-up and decay)"),
        ("warmupSteps", "linear warm-up steps"),
        ("weightDecay", "AdamW weight decay on matrices"),
        ("maximumGradientNorm", "gradient-norm clip (0 = off)"),
        ("evaluationInterval", "steps between held-out evaluations (0 = only at the end)"),
        ("scoringBatchSize", "rows per no-gradient scoring pass (reference log-probabilities, evaluation)"),
        ("seed", "seed of the data order and of KTO's mismatched pairs"),
    ]
}
