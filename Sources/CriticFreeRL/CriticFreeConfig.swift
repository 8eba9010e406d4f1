// RLOOConfig and GRPOConfig: the hyperparameters of the critic-free online methods (RLOO, arXiv 2402.14740; GRPO,
// arXiv 2402.03300), with toy-scale defaults. The fields both share, with the same defaults, are declared once in
// CriticFreeSharedConfig; each configuration adds its group size, its KL coefficient and its own options.
import Foundation
import TrainingCore

/// The settings RLOO and GRPO share, with the same JSON keys, meanings and defaults.
///
/// ``RLOOConfig`` and ``GRPOConfig`` hold one in ``CriticFreeConfiguration/shared`` and expose its fields as
/// their own (`config.learningRate`), and their JSON files and `--key value` options spell them flat, as before:
/// `{"iterations": 50, "generations": 8}`.
public struct CriticFreeSharedConfig: Codable, Equatable, Sendable {
    /// Iterations (each: generate, score, `epochs` optimizer steps). Default 100.
    public var iterations = 100
    /// Distinct prompts per iteration; the batch holds `promptsPerIteration · generations` episodes. Default 8.
    public var promptsPerIteration = 8
    /// ε, the lower clip range of the ratio (RLOO: per sequence; GRPO: per token). Default 0.2.
    public var clipRange: Float = 0.2
    /// ε_high, the upper clip range (0 = same as `clipRange`; DAPO, arXiv 2503.14476 §3.1, uses 0.28). Default 0.
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
    /// Sample each completion from its own generator, seeded by (seed, iteration, the completion's index in the
    /// iteration's batch), so that N data-parallel ranks sample the tokens of one process. Always on with more than
    /// one rank. Default false.
    public var exampleSeeding = false

    // `exampleSeeding` is read and written by the configurations (optional, so that older files still load).
    enum CodingKeys: String, CodingKey {
        case iterations, promptsPerIteration, clipRange, clipRangeHigh, epochs, learningRate, maximumGradientNorm
        case microBatchSize, temperature, maximumNewTokens, missingStopPenalty, seed
    }

    /// Every default.
    public init() {}

    /// Checks every shared field.
    ///
    /// - Throws: `ConfigurationError` naming the first bad field, its value and what to use instead.
    public func validate() throws {
        try require(iterations >= 1, "iterations", iterations, "it must be at least 1, such as 100")
        try require(promptsPerIteration >= 1, "promptsPerIteration", promptsPerIteration, "it must be at least 1, such as 8")
        try require(clipRange > 0 && clipRange < 1, "clipRange", clipRange, "it must be in (0, 1), such as 0.2")
        try require(clipRangeHigh >= 0, "clipRangeHigh", clipRangeHigh, "it must be ≥ 0 (0 = same as clipRange)")
        try require(epochs >= 1, "epochs", epochs, "it must be at least 1")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "it must be positive, such as 1e-4")
        try require(maximumGradientNorm >= 0, "maximumGradientNorm", maximumGradientNorm, "it must be ≥ 0 (0 = off)")
        try require(microBatchSize >= 1, "microBatchSize", microBatchSize, "it must be at least 1, such as 32")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "it must be positive, such as 1")
        try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "it must be at least 1")
        try require(missingStopPenalty <= 0, "missingStopPenalty", missingStopPenalty, "it must be ≤ 0 (a penalty), such as -1 or 0")
    }

    /// The `--help` lines of a critic-free configuration: the shared fields, with the method's own descriptions of
    /// `generations` and `klCoefficient` and its `extra` fields after them.
    public static func fieldDocumentation(generations: String, klCoefficient: String, extra: [(name: String, description: String)])
        -> [(name: String, description: String)] {
        [("iterations", "iterations (generate, score, update)"),
         ("promptsPerIteration", "distinct prompts per iteration"),
         ("generations", generations),
         ("klCoefficient", klCoefficient)] + extra + [
         ("clipRange", "ε, lower clip range of the ratio"),
         ("clipRangeHigh", "ε_high, upper clip range (0 = clipRange)"),
         ("epochs", "optimizer steps per generation (num_iterations)"),
         ("learningRate", "AdamW learning rate"),
         ("maximumGradientNorm", "gradient-norm clip (0 = off)"),
         ("microBatchSize", "episodes per forward/backward pass"),
         ("temperature", "sampling temperature"),
         ("maximumNewTokens", "maximum new tokens per completion"),
         ("missingStopPenalty", "added to the score of completions without a stop token (≤ 0)"),
         ("seed", "seed of prompt order and sampling"),
         ("exampleSeeding", "sample each completion from a generator seeded by (seed, iteration, completion index), so that runs at any rank count sample the same tokens (always on under mpirun)")]
    }
}

/// A critic-free configuration (``RLOOConfig``, ``GRPOConfig``): the shared fields, read and written as its own
/// (`config.iterations` is `config.shared.iterations`), plus the group size and the KL coefficient, whose defaults
/// and meanings differ between the methods.
@dynamicMemberLookup
public protocol CriticFreeConfiguration {
    /// The fields RLOO and GRPO share.
    var shared: CriticFreeSharedConfig { get set }
    /// Completions sampled per prompt (≥ 2): RLOO's k, GRPO's G.
    var generations: Int { get set }
    /// β of the method's KL term.
    var klCoefficient: Double { get set }
}

/// The JSON keys of the fields every critic-free configuration declares itself.
private enum GroupCodingKeys: String, CodingKey { case generations, klCoefficient, exampleSeeding }

extension CriticFreeConfiguration {
    /// A shared field, as if declared here: `config.learningRate`.
    public subscript<Value>(dynamicMember field: WritableKeyPath<CriticFreeSharedConfig, Value>) -> Value {
        get { shared[keyPath: field] }
        set { shared[keyPath: field] = newValue }
    }

    /// Reads the shared fields, the group size and the KL coefficient from the flat JSON object of `decoder`.
    mutating func decodeCommonFields(from decoder: Decoder) throws {
        shared = try CriticFreeSharedConfig(from: decoder)
        let c = try decoder.container(keyedBy: GroupCodingKeys.self)
        generations = try c.decode(Int.self, forKey: .generations)
        klCoefficient = try c.decode(Double.self, forKey: .klCoefficient)
        shared.exampleSeeding = try c.decodeIfPresent(Bool.self, forKey: .exampleSeeding) ?? false
    }

    /// Writes the shared fields, the group size and the KL coefficient into the flat JSON object of `encoder`.
    func encodeCommonFields(to encoder: Encoder) throws {
        try shared.encode(to: encoder)
        var c = encoder.container(keyedBy: GroupCodingKeys.self)
        try c.encode(generations, forKey: .generations)
        try c.encode(klCoefficient, forKey: .klCoefficient)
        try c.encode(shared.exampleSeeding, forKey: .exampleSeeding)
    }

    /// Checks the shared fields, the group size and the KL coefficient.
    func validateShared() throws {
        try shared.validate()
        try require(generations >= 2, "generations", generations, "it must be at least 2: the baseline comes from the other samples of the prompt")
        try require(klCoefficient >= 0 && klCoefficient.isFinite, "klCoefficient", klCoefficient, "it must be ≥ 0, such as 0.05")
    }
}

/// The settings of an RLOO run (REINFORCE leave-one-out; Ahmadian et al. 2024, arXiv 2402.14740; TRL `RLOOConfig`).
///
/// Defaults are this library's toy scale (TRL's where it has one): k = 4, β = 0.05, ε = 0.2, no advantage
/// normalisation, one gradient step per generation (TRL `num_iterations = 1`, so the ratio is 1 and the loss is
/// REINFORCE with the leave-one-out baseline). TRL's lr (1e−6) is for large models; the default here is 1e−4.
/// The fields shared with GRPO (``CriticFreeSharedConfig``) read as this configuration's own.
public struct RLOOConfig: CriticFreeConfiguration, Codable, Equatable, Sendable {
    /// The fields shared with GRPO: iterations, prompts, clipping, optimizer, sampling and seed.
    public var shared = CriticFreeSharedConfig()
    /// k, completions sampled per prompt (≥ 2). Default 4.
    public var generations = 4
    /// β of the KL penalty in the reward, `R = r − β Σ_t (log π_old − log π_ref)`. Default 0.05.
    public var klCoefficient = 0.05
    /// Whiten the advantages over the batch. Default false.
    public var normalizeAdvantages = false

    /// Every default.
    public init() {}

    private enum CodingKeys: String, CodingKey { case normalizeAdvantages }

    /// Decodes the flat JSON object: the shared fields and RLOO's own, side by side.
    public init(from decoder: Decoder) throws {
        try decodeCommonFields(from: decoder)
        normalizeAdvantages = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .normalizeAdvantages)
    }

    /// Encodes one flat JSON object: the shared fields and RLOO's own, side by side.
    public func encode(to encoder: Encoder) throws {
        try encodeCommonFields(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(normalizeAdvantages, forKey: .normalizeAdvantages)
    }

    /// Checks every field; throws `ConfigurationError` naming the first bad one.
    public func validate() throws {
        try validateShared()
    }

    /// One line per field, for `--help` (`rlft rloo`).
    public static let fieldDocumentation: [(name: String, description: String)] = CriticFreeSharedConfig.fieldDocumentation(
        generations: "k, completions per prompt (≥ 2; the leave-one-out baseline averages the other k − 1)",
        klCoefficient: "β of the KL penalty subtracted from the reward (k1, summed over tokens)",
        extra: [("normalizeAdvantages", "whiten the advantages over the batch")])
}

/// The settings of a GRPO run (group relative policy optimisation; Shao et al. 2024, arXiv 2402.03300;
/// TRL `GRPOConfig`).
///
/// Defaults are this library's toy scale (TRL's where it has one): G = 8, β = 0.04 (TRL's default is 0, no reference
/// model), ε = 0.2, `scaleRewards` group, `lossAggregation` dapo, one gradient step per generation. The fields
/// shared with RLOO (``CriticFreeSharedConfig``) read as this configuration's own.
public struct GRPOConfig: CriticFreeConfiguration, Codable, Equatable, Sendable {
    /// The fields shared with RLOO: iterations, prompts, clipping, optimizer, sampling and seed.
    public var shared = CriticFreeSharedConfig()
    /// G, completions sampled per prompt (≥ 2). Default 8.
    public var generations = 8
    /// β of the per-token k3 KL term in the loss (0 = none). Default 0.04.
    public var klCoefficient = 0.04
    /// How the group-centred rewards are scaled, spelled `group`, `batch` or `none` in configuration files.
    /// Default group.
    public var scaleRewards: GRPORewardScaling = .group
    /// The loss aggregation, spelled `grpo`, `bnpo`, `dr_grpo` or `dapo` in configuration files. Default dapo.
    public var lossAggregation: GRPOLossAggregation = .dapo

    /// Every default.
    public init() {}

    private enum CodingKeys: String, CodingKey { case scaleRewards, lossAggregation }

    /// Decodes the flat JSON object: the shared fields and GRPO's own, side by side.
    public init(from decoder: Decoder) throws {
        try decodeCommonFields(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scaleRewards = try c.decode(GRPORewardScaling.self, forKey: .scaleRewards)
        lossAggregation = try c.decode(GRPOLossAggregation.self, forKey: .lossAggregation)
    }

    /// Encodes one flat JSON object: the shared fields and GRPO's own, side by side.
    public func encode(to encoder: Encoder) throws {
        try encodeCommonFields(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scaleRewards, forKey: .scaleRewards)
        try c.encode(lossAggregation, forKey: .lossAggregation)
    }

    /// Checks every field; throws `ConfigurationError` naming the first bad one.
    public func validate() throws {
        try validateShared()
    }

    /// One line per field, for `--help` (`rlft grpo`).
    public static let fieldDocumentation: [(name: String, description: String)] = CriticFreeSharedConfig.fieldDocumentation(
        generations: "G, completions per prompt (≥ 2); advantages are normalised within each group",
        klCoefficient: "β of the per-token k3 KL term in the loss (0 = none)",
        extra: [("scaleRewards", "advantage scaling, one of \(GRPORewardScaling.allowedSpellings) (std of the group, of the batch, or centring only)"),
                ("lossAggregation", "loss aggregation, one of \(GRPOLossAggregation.allowedSpellings): grpo (per-sequence token means), bnpo (token mean per micro-batch), dr_grpo (÷ B·maxNewTokens), dapo (token mean of the step)")])
}
