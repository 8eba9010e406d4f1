// QuarkConfig: every hyperparameter of Quark (Lu et al. 2022, arXiv 2205.13636; QK `arguments.py`) at toy scale, with
// validation that names the field, shows the value and says how to fix it.
import Foundation
import TrainingCore

/// Which KL divergence the learning loss penalises. The two public implementations and the way the paper's objective
/// is usually quoted disagree on the direction, so both are offered.
public enum QuarkKLDirection: String, Codable, CaseIterable, Sendable {
    /// KL(p̃_θ ‖ p_0): what both public implementations compute (QK `main.py::loss`, AF). The default.
    case policyToReference
    /// KL(p_0 ‖ p̃_θ): the direction the paper's equation is usually quoted with.
    case referenceToPolicy
}

/// The hyperparameters of a Quark run (Lu et al. 2022; QK `arguments.py`).
///
/// Defaults are this library's toy scale (a run takes minutes on two CPU cores): K = 5 reward tokens, β = 0.05,
/// α = 0.06, learning rate 1e-4 with 20 warm-up steps and linear decay to 0, exploration every 50 steps, 64 pool items
/// per step and responses of at most 12 tokens. Every field decodes with its default when missing.
///
/// ```swift
/// var config = QuarkConfig()
/// config.totalSteps = 200
/// config.sampleInterval = 25
/// try config.validate()
/// ```
public struct QuarkConfig: Codable, Equatable, Sendable {
    /// Seed of exploration sampling and pool shuffling. Default 0.
    public var seed: UInt64 = 0
    /// Learning steps (one pool batch each). Default 500.
    public var totalSteps = 500
    /// Explore (sample every training prompt once, score, add to the pool, re-quantize) when
    /// `step % sampleInterval == 0`. Default 50.
    public var sampleInterval = 50
    /// K, the number of quantiles and reward tokens r_0 (best) … r_{K−1}. Default 5.
    public var quantileCount = 5
    /// Pool items per learning step. Default 64.
    public var batchSize = 64
    /// β, the coefficient of the exact per-token KL to the reference. Default 0.05.
    public var klCoefficient: Double = 0.05
    /// α, the coefficient of the entropy bonus. Default 0.06.
    public var entropyCoefficient: Double = 0.06
    /// Which KL the loss penalises. Default policyToReference (the code's direction).
    public var klDirection: QuarkKLDirection = .policyToReference
    /// Adapt β towards `klTarget` (QK's AdaptiveController, off by default).
    public var adaptiveKL = false
    /// Target of the mean per-sequence KL (nats) for the adaptive β. Default 3.
    public var klTarget: Double = 3
    /// Adapt α towards `entropyTarget` (off by default).
    public var adaptiveEntropy = false
    /// Target of the mean per-sequence entropy (nats) for the adaptive α. Default 40.
    public var entropyTarget: Double = 40
    /// Horizon H (samples) of both adaptive controllers. Default 2500.
    public var controllerHorizon: Double = 2500
    /// Peak Adam learning rate. Default 1e-4.
    public var learningRate: Float = 1e-4
    /// Linear warm-up steps, then linear decay to 0 at `totalSteps`. Default 20.
    public var warmupSteps = 20
    /// Adam ε (QK 1e-5). Default 1e-5.
    public var adamEpsilon: Float = 1e-5
    /// Global gradient-norm clip (0 = off, as in QK). Default 0.
    public var maximumGradientNorm: Float = 0
    /// The most tokens sampled per exploration response. Default 12.
    public var maximumNewTokens = 12
    /// Stop tokens are masked until this many tokens were sampled (QK 3). Default 3.
    public var minimumNewTokens = 3
    /// Exploration temperature. Default 1.
    public var temperature: Float = 1
    /// Exploration top-k (0 = off). Default 0.
    public var topK = 0
    /// Exploration top-p (1 = off). Default 1.
    public var topP: Float = 1

    public init() {}

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { field = value }
        }
        try read(.seed, &seed); try read(.totalSteps, &totalSteps); try read(.sampleInterval, &sampleInterval)
        try read(.quantileCount, &quantileCount); try read(.batchSize, &batchSize)
        try read(.klCoefficient, &klCoefficient); try read(.entropyCoefficient, &entropyCoefficient)
        try read(.klDirection, &klDirection); try read(.adaptiveKL, &adaptiveKL); try read(.klTarget, &klTarget)
        try read(.adaptiveEntropy, &adaptiveEntropy); try read(.entropyTarget, &entropyTarget)
        try read(.controllerHorizon, &controllerHorizon); try read(.learningRate, &learningRate)
        try read(.warmupSteps, &warmupSteps); try read(.adamEpsilon, &adamEpsilon)
        try read(.maximumGradientNorm, &maximumGradientNorm); try read(.maximumNewTokens, &maximumNewTokens)
        try read(.minimumNewTokens, &minimumNewTokens); try read(.temperature, &temperature)
        try read(.topK, &topK); try read(.topP, &topP)
    }

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the field, its value and what to use instead.
    public func validate() throws(ConfigurationError) {
        try require(totalSteps >= 1, "totalSteps", totalSteps, "it must be at least 1, such as 500")
        try require(sampleInterval >= 1, "sampleInterval", sampleInterval, "it must be at least 1, such as 50")
        try require(quantileCount >= 2, "quantileCount", quantileCount, "Quark needs at least 2 quantiles; the paper uses 5")
        try require(batchSize >= 1, "batchSize", batchSize, "it must be at least 1, such as 64")
        try require(klCoefficient >= 0 && klCoefficient.isFinite, "klCoefficient", klCoefficient, "it must be ≥ 0, such as 0.05")
        try require(entropyCoefficient >= 0 && entropyCoefficient.isFinite, "entropyCoefficient", entropyCoefficient, "it must be ≥ 0, such as 0.06")
        try require(klTarget > 0, "klTarget", klTarget, "it must be positive, such as 3")
        try require(entropyTarget > 0, "entropyTarget", entropyTarget, "it must be positive, such as 40")
        try require(controllerHorizon > 0, "controllerHorizon", controllerHorizon, "it must be positive, such as 2500")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "it must be positive, such as 1e-4")
        try require(warmupSteps >= 0 && warmupSteps <= totalSteps, "warmupSteps", warmupSteps, "it must be in 0...totalSteps (\(totalSteps))")
        try require(adamEpsilon > 0, "adamEpsilon", adamEpsilon, "it must be positive, such as 1e-5")
        try require(maximumGradientNorm >= 0, "maximumGradientNorm", maximumGradientNorm, "use 0 (off) or a positive norm such as 0.5")
        try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "it must be at least 1, such as 12")
        try require(minimumNewTokens >= 0 && minimumNewTokens <= maximumNewTokens, "minimumNewTokens", minimumNewTokens,
                    "it must be in 0...maximumNewTokens (\(maximumNewTokens))")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "it must be positive, such as 1")
        try require(topK >= 0, "topK", topK, "use 0 (off) or a positive count such as 50")
        try require(topP > 0 && topP <= 1, "topP", topP, "it must be in (0, 1]; 1 turns top-p off")
    }

    /// One line per field, for `--help`.
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of exploration sampling and pool shuffling"),
        ("totalSteps", "learning steps (one pool batch each)"),
        ("sampleInterval", "explore every this many steps (step 0 samples the base model)"),
        ("quantileCount", "K, the number of quantiles / reward tokens"),
        ("batchSize", "pool items per learning step"),
        ("klCoefficient", "β of the exact per-token KL to the reference"),
        ("entropyCoefficient", "α of the entropy bonus"),
        ("klDirection", "policyToReference (code) or referenceToPolicy (paper text)"),
        ("adaptiveKL", "adapt β towards klTarget"),
        ("klTarget", "target mean sequence KL for adaptive β"),
        ("adaptiveEntropy", "adapt α towards entropyTarget"),
        ("entropyTarget", "target mean sequence entropy for adaptive α"),
        ("controllerHorizon", "horizon H of the adaptive controllers"),
        ("learningRate", "peak Adam learning rate"),
        ("warmupSteps", "linear warm-up steps (then linear decay to 0)"),
        ("adamEpsilon", "Adam ε"),
        ("maximumGradientNorm", "global gradient-norm clip (0 = off)"),
        ("maximumNewTokens", "tokens per exploration response"),
        ("minimumNewTokens", "stop tokens masked until this many tokens"),
        ("temperature", "exploration temperature"),
        ("topK", "exploration top-k (0 = off)"),
        ("topP", "exploration top-p (1 = off)"),
    ]
}
