// The configuration of the RLP experiment (`rlft rlp`, the `rlp` example; RLP's Table 2 in miniature): stage sizes
// scaled so that five seeds finish in a few minutes on two cores.
import Foundation
import RLP
import Runs
import TrainingCore

/// Where the first reward model's human comparisons come from.
public enum RLPHumanComparisons: String, Codable, CaseIterable, Sendable {
    /// Two samples of the SFT model (temperature 1) per comparison-split prompt, labelled by the training
    /// annotators: the reward model learns on the distribution the policy starts from, as AlpacaFarm's and RLP's
    /// human preferences over SFT outputs (arXiv 2403.19279, §5.1). The default.
    case sftSamples
    /// The task's own comparisons: two candidates from a fixed quality mix (correct, verbose, polite, partial,
    /// wrong), not from any model.
    case taskCandidates
}

/// Settings of the RLP experiment on the built-in instruction task: pretrain → SFT (shared by all seeds), then per
/// seed: a reward model on labelled pairs of SFT samples → PPO → best-of-n, and RLP-UML and RLP-SPG (policy
/// samples → reward retraining → PPO again from SFT), with one table of mean ± std over the seeds.
public struct RLPExperimentConfig: Codable, Equatable, Sendable, DocumentedConfiguration {
    /// Seeds; each gives one run of every stage after SFT. Default [0, 1, 2, 3, 4].
    public var seeds: [UInt64] = [0, 1, 2, 3, 4]
    /// Threads for the kernels (0 = all cores). Default 0.
    public var threads = 0
    /// Instruction families of the built-in task. Default: two that a tiny byte-level model learns within the budget
    /// (first letter, larger number), so that the SFT model is right often enough for answer clusters to mean something.
    public var families = ["firstLetter", "largerNumber"]
    /// Transformer layers. Default 2.
    public var layers = 2
    /// Embedding width. Default 96.
    public var width = 96
    /// Attention heads. Default 4.
    public var heads = 4
    /// Context length in tokens (bytes). Default 96.
    public var contextLength = 96
    /// Pretraining steps of the base model (batch 32); 0 = none, SFT starts from a random model. Default 0 (on these
    /// two families, SFT from scratch beats a short pretraining at equal wall-clock time).
    public var pretrainSteps = 0
    /// Supervised fine-tuning steps (batch 16). Default 1500.
    public var sftSteps = 1500
    /// Where the human comparisons come from. Default `sftSamples` (pairs of SFT samples, labelled by the training
    /// annotators).
    public var humanComparisons: RLPHumanComparisons = .sftSamples
    /// Human comparisons the first reward model sees. Default 512: chosen, with `rewardSteps`, on the first reward
    /// model's accuracy on gold-labelled pairs of SFT samples on the accuracy prompts (RL prompts, never evaluation
    /// ones; seeds 0–1): 48 comparisons × 24 updates gave 0.499 (chance), 512 × 96 gave 0.672, 1024 × 192 gave 0.665.
    public var comparisonCount = 512
    /// Reward-model epochs (first model and retrained ones) when `rewardSteps` is 0. Default 4.
    public var rewardEpochs = 4
    /// Updates of every reward model — the first, RLP-UML's and RLP-SPG's — so that each gets the same number of
    /// updates and examples seen (`rewardSteps × rewardBatchSize` comparison prompts), whatever its data: SPG's
    /// human plus synthetic comparisons, or UML's human comparisons with the multi-view term on a fresh batch of
    /// policy samples at every update. 0 = `rewardEpochs` passes over each model's own data. Default 96 (three
    /// passes over the 512 human comparisons; see `comparisonCount`).
    public var rewardSteps = 96
    /// Reward-model learning rate. Default 3e-4.
    public var rewardLearningRate = 3e-4
    /// Reward-model prompts per update. Default 16.
    public var rewardBatchSize = 16
    /// PPO iterations of each PPO run (PPO, RLP-UML's and RLP-SPG's). Default 30.
    public var ppoIterations = 30
    /// Prompts per PPO iteration. Default 32.
    public var ppoBatchSize = 32
    /// PPO learning rate. Default 5e-5.
    public var ppoLearningRate: Float = 5e-5
    /// PPO's sampling temperature while training (also its log-probabilities'), shared by PPO, RLP-UML's and RLP-SPG's
    /// policy retraining. Default 0.7, the evaluation temperature: the policy trained is the policy evaluated.
    ///
    /// Chosen once for all three RL systems (`Scripts/rlp_settings_sweep.py ppo`, seeds 0–1, PPO only) by PPO's
    /// validation win-rate: the training annotators' expected win-rate against the reference on the 64 validation
    /// prompts (RL prompts outside P and PPO's training prompts), 4 samples each at τ = 0.7; never gold, never an
    /// evaluation prompt. One setting changed at a time from 30 iterations, β = 0.2, temperature 1 (validation
    /// win-rate 0.474; SFT's 0.453): 15 iterations 0.486, 60 iterations 0.492, temperature 0.7 0.493, β = 0.05
    /// 0.466. The rule takes the highest; temperature 0.7 and 60 iterations are within noise of each other.
    public var ppoTemperature: Float = 0.7
    /// Initial KL coefficient β (adaptive, target 3 nats). Default 0.2 (lm-human-preferences' default; at 0.05 PPO
    /// over-optimises the weak first reward model so far that its samples are mostly wrong and carry little signal to
    /// retrain on).
    public var klCoefficient = 0.2
    /// Unlabelled prompts sampled n times from the PPO policy for reward retraining (RLP's P). Default 1024: twice
    /// the human comparisons, as AlpacaFarm's unlabelled split (20k) is twice its preference split (10k); on the
    /// validation measure (the SPG reward model's accuracy on gold-labelled pairs of PPO samples on the accuracy
    /// prompts, seeds 0–1) 1024 gave 0.721 against 0.565 for 128 and 0.541 for 512.
    public var unlabeledPrompts = 1024
    /// n, responses per unlabelled prompt (RLP: 10). Also the n of the best-of-n row. Default 10.
    public var samplesPerPrompt = 10
    /// λ of RLP-UML (RLP: 0.5). Default 0.5.
    ///
    /// Checked by a rule (`Scripts/rlp_settings_sweep.py uml`, seeds 0–1, at the PPO settings above): the highest
    /// mean accuracy of UML's retrained reward model on pairs of PPO samples on the validation prompts, labelled by the
    /// training annotators (never gold): λ = 0 gave 0.594 (and is exactly the first reward model, so exactly PPO),
    /// 0.5 gave 0.605, 2 gave 0.591.
    public var multiViewWeight = 0.5
    /// γ of RLP-SPG (RLP: 0.5). Default 0.5.
    public var confidenceThreshold = 0.5
    /// The RLP variants run after PPO, in order. Default [uml, spg]; a PPO-only run (`[]`) is what a sweep of PPO's
    /// settings on the validation win-rate needs.
    public var rlpVariants: [RLPVariant] = [.uml, .spg]
    /// Prompts whose policy samples (4 each) form the gold-labelled pairs for reward-model accuracy on policy
    /// samples, and the validation prompts: RL prompts outside P and outside PPO's training prompts, where every
    /// system's validation win-rate (training annotators, 4 samples per prompt at `evaluationTemperature`) is
    /// measured. Default 64.
    public var accuracyPrompts = 64
    /// Maximum new tokens per response. Default 20.
    public var maximumNewTokens = 20
    /// Sampling temperature of every evaluated completion (SFT, best-of-n's candidates, PPO, RLP-UML, RLP-SPG):
    /// the temperature RLP evaluates at (arXiv 2403.19279). Default 0.7.
    public var evaluationTemperature: Float = 0.7
    /// Evaluation prompts. Default 200 (the task's own default).
    public var evaluationPrompts = 200

    public init() {}

    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seeds", "seeds, one run of every stage after SFT each, e.g. [0,1,2]"),
        ("threads", "threads for the kernels (0 = all cores)"),
        ("families", "instruction families of the built-in task"),
        ("layers", "transformer layers"), ("width", "embedding width"), ("heads", "attention heads"),
        ("contextLength", "context length in tokens"),
        ("pretrainSteps", "pretraining steps of the base model (shared by all seeds; 0 = none)"),
        ("sftSteps", "supervised fine-tuning steps (shared by all seeds)"),
        ("humanComparisons", "where the human comparisons come from: sftSamples (pairs of SFT samples, labelled) or taskCandidates"),
        ("comparisonCount", "human comparisons for the first reward model"),
        ("rewardEpochs", "reward-model epochs (when rewardSteps is 0)"),
        ("rewardSteps", "updates of every reward model, first and retrained (equal budgets; 0 = rewardEpochs passes)"), ("rewardLearningRate", "reward-model learning rate"),
        ("rewardBatchSize", "reward-model prompts per update"),
        ("ppoIterations", "iterations of each PPO run"), ("ppoBatchSize", "prompts per PPO iteration"),
        ("ppoLearningRate", "PPO learning rate"), ("ppoTemperature", "PPO's sampling temperature while training (PPO and both RLP policies)"),
        ("rlpVariants", "RLP variants run after PPO, e.g. [\"uml\",\"spg\"] ([] = PPO only)"), ("klCoefficient", "initial KL coefficient β"),
        ("unlabeledPrompts", "unlabelled prompts sampled n times from the PPO policy (RLP's P)"),
        ("samplesPerPrompt", "n, responses per unlabelled prompt (RLP: 10); also best-of-n's n"),
        ("multiViewWeight", "λ of RLP-UML (RLP: 0.5)"), ("confidenceThreshold", "γ of RLP-SPG (RLP: 0.5)"),
        ("accuracyPrompts", "prompts whose policy samples make the gold-labelled accuracy pairs"),
        ("maximumNewTokens", "maximum new tokens per response"),
        ("evaluationTemperature", "sampling temperature of every evaluated completion (RLP: 0.7)"), ("evaluationPrompts", "evaluation prompts"),
    ]

    /// - Throws: `ConfigurationError` naming the first bad field.
    public func validate() throws {
        try require(!seeds.isEmpty, "seeds", seeds, "give at least one seed, e.g. [0,1,2]")
        try require(threads >= 0, "threads", threads, "it must be ≥ 0 (0 = all cores)")
        try require(!families.isEmpty, "families", families, "name at least one instruction family")
        try require(layers >= 1 && width >= 8 && heads >= 1 && width % heads == 0, "width", width, "use ≥ 1 layer and a width ≥ 8 divisible by heads")
        try require(contextLength >= 64, "contextLength", contextLength, "use at least 64 so task prompts and answers fit")
        try require(pretrainSteps >= 0, "pretrainSteps", pretrainSteps, "it must be ≥ 0 (0 = no pretraining)")
        try require(rewardSteps >= 0, "rewardSteps", rewardSteps, "it must be ≥ 0 (0 = rewardEpochs passes), such as 24")
        for (name, value) in [("sftSteps", sftSteps), ("comparisonCount", comparisonCount),
                              ("rewardEpochs", rewardEpochs), ("rewardBatchSize", rewardBatchSize), ("ppoIterations", ppoIterations),
                              ("unlabeledPrompts", unlabeledPrompts), ("accuracyPrompts", accuracyPrompts),
                              ("evaluationPrompts", evaluationPrompts)] {
            try require(value >= 1, name, value, "it must be at least 1")
        }
        try require(ppoBatchSize >= 8, "ppoBatchSize", ppoBatchSize, "use at least 8 prompts (reward whitening needs 8 samples)")
        try require(samplesPerPrompt >= 2, "samplesPerPrompt", samplesPerPrompt, "use at least 2 (RLP: 10)")
        try require(rewardLearningRate > 0 && ppoLearningRate > 0, "rewardLearningRate", rewardLearningRate, "learning rates must be positive")
        try require(multiViewWeight >= 0, "multiViewWeight", multiViewWeight, "it must be ≥ 0 (RLP: 0.5)")
        try require((0...1).contains(confidenceThreshold), "confidenceThreshold", confidenceThreshold, "it must be in [0, 1] (RLP: 0.5)")
        try require(ppoTemperature > 0 && ppoTemperature.isFinite, "ppoTemperature", ppoTemperature, "it must be positive, such as 1.0")
        try require(Set(rlpVariants).count == rlpVariants.count, "rlpVariants", rlpVariants.map(\.rawValue), "name each variant at most once, e.g. [\"uml\",\"spg\"]")
        try require(maximumNewTokens >= 1 && maximumNewTokens < contextLength, "maximumNewTokens", maximumNewTokens, "it must be in 1..<contextLength")
        try require(evaluationTemperature > 0 && evaluationTemperature.isFinite, "evaluationTemperature", evaluationTemperature,
                    "it must be positive, such as 0.7")
    }
}
