// PPOConfig: every hyperparameter of PPO-RLHF (InstructGPT, arXiv 2203.02155, App. C.4) at toy scale, with validation
// that names the field, shows the value and says how to fix it.
import Foundation
import NeuralNetworks
import TrainingCore

/// The hyperparameters of a PPO-RLHF run (InstructGPT §3.5; lm-human-preferences; TRL's `PPOConfig`).
///
/// Defaults are this library's toy scale (a run takes minutes on two CPU cores): β = 0.05 adaptive towards 3 nats
/// over a horizon of 10,000 episodes, 64 episodes per iteration in 1 minibatch (no accumulation), 4 epochs,
/// ε = ε_v = 0.2, c_v = 0.1, γ = 1, λ = 0.95, whitened rewards, τ = 1 and a learning rate of 1e-4. Every field decodes
/// with its default when missing, so a JSON file only needs the fields it changes.
///
/// ```swift
/// var config = PPOConfig()
/// config.batchSize = 16
/// config.miniBatchSize = 8
/// try config.validate()
/// ```
public struct PPOConfig: Codable, Equatable, Sendable {
    // MARK: Run

    /// Seed of sampling, minibatch shuffling and the prompt order. Default 0.
    public var seed: UInt64 = 0
    /// PPO iterations (rollout + update) that `train` runs. Default 100.
    public var iterations = 100

    // MARK: Rollout

    /// Episodes (prompts) per iteration, B. Default 64.
    public var batchSize = 64
    /// The most tokens sampled per response. Default 24.
    public var maximumNewTokens = 24
    /// Stop tokens are masked until this many tokens were sampled. Default 0.
    ///
    /// The teacher-forced log-probabilities (policy and reference) are not masked, so with a minimum the KL
    /// estimate is biased and can turn negative, which makes the penalty a bonus for stopping early (TRL warns
    /// about the same with `min_length`); keep it 0 unless the task needs it.
    public var minimumNewTokens = 0
    /// Sampling temperature τ, also used for every log-probability (policy and reference, as lm-human-preferences
    /// does). Default 1.
    public var temperature: Float = 1
    /// Top-k filter of the sampler (0 = off). Default 0.
    public var topK = 0
    /// Top-p filter of the sampler (1 = off). Default 1.
    public var topP: Float = 1
    /// Added to the score of a response that never reached a stop token (TRL's `missing_eos_penalty`, with its
    /// sign: use a negative value such as −1); 0 = no penalty. Ignored when no stop token is set. Default −1.
    public var missingStopPenalty: Float = -1

    // MARK: Rewards and KL

    /// The initial (or fixed) KL coefficient β. Default 0.05.
    public var klCoefficient: Double = 0.05
    /// Whether β follows Ziegler et al.'s adaptive controller towards `klTarget`. Default true.
    public var adaptiveKL = true
    /// Target sequence KL in nats for the adaptive controller. Default 3.
    public var klTarget: Double = 3
    /// Horizon H in episodes of the adaptive controller. Default 10,000.
    public var klHorizon: Double = 10_000
    /// Per-token KL estimator of the reward penalty: k1, k2, k3, abs or clampedK1. Default k1.
    public var klEstimator: KLEstimator = .k1
    /// Whether per-token rewards are scaled to unit variance (mean kept) before GAE. Default true.
    public var whitenRewards = true

    // MARK: Advantages

    /// Discount γ. Default 1.
    public var gamma: Float = 1
    /// GAE λ. Default 0.95.
    public var lambda: Float = 0.95

    // MARK: Update

    /// Passes over the rollout per iteration. Default 4.
    public var epochs = 4
    /// Episodes per optimizer step; must divide `batchSize` (0 = the whole batch: one minibatch). Default 0.
    public var miniBatchSize = 0
    /// Episodes per forward/backward pass; must divide the minibatch (gradient accumulation; 0 = the whole
    /// minibatch). Default 0.
    public var microBatchSize = 0
    /// Policy clip range ε. Default 0.2.
    public var clipRange: Float = 0.2
    /// Value clip range ε_v. Default 0.2.
    public var valueClipRange: Float = 0.2
    /// Value-loss coefficient c_v. Default 0.1.
    public var valueCoefficient: Float = 0.1
    /// Peak learning rate of AdamW. Default 1e-4.
    public var learningRate: Float = 1e-4
    /// Learning rate of a separate value model (0 = same as `learningRate`). Default 0.
    public var valueLearningRate: Float = 0
    /// Learning-rate shape over the iterations after the warm-up: constant, or linear or cosine decay to 0 at
    /// `iterations`. Default constant.
    public var learningRateDecay: PPOLearningRateDecay = .constant
    /// Iterations of linear warm-up from 0 (InstructGPT warms up for 10). Default 0.
    public var warmupIterations = 0
    /// AdamW β₁. Default 0.9.
    public var adamBeta1: Float = 0.9
    /// AdamW β₂ (InstructGPT 0.95). Default 0.95.
    public var adamBeta2: Float = 0.95
    /// AdamW ε (lm-human-preferences uses 1e-5). Default 1e-5.
    public var adamEpsilon: Float = 1e-5
    /// AdamW decoupled weight decay. Default 0.
    public var weightDecay: Float = 0
    /// Global gradient-norm clip per optimizer step (0 = off). Default 1.
    public var maximumGradientNorm: Float = 1

    // MARK: PPO-ptx and EMA

    /// γ_ptx, weight of the pretraining language-modelling loss (0 = plain PPO). Default 0.
    public var ptxCoefficient: Float = 0
    /// Pretraining blocks per minibatch for PPO-ptx. Default 8.
    public var ptxBatchSize = 8
    /// Decay of an exponential moving average of the policy weights, updated after every optimizer step
    /// (InstructGPT 0.992; 0 = off). Default 0.
    public var emaDecay: Float = 0

    // MARK: Data parallel

    /// Sample each response from its own generator, seeded by (seed, iteration, the episode's index in the
    /// iteration's batch), so that a run does not depend on how the batch is split: N data-parallel ranks sample
    /// the tokens of one process. Always on with more than one rank; off by default (one generator for the whole
    /// batch, as before). Default false.
    public var exampleSeeding = false

    public init() {}

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { field = value }
        }
        try read(.seed, &seed); try read(.iterations, &iterations)
        try read(.batchSize, &batchSize); try read(.maximumNewTokens, &maximumNewTokens)
        try read(.minimumNewTokens, &minimumNewTokens); try read(.temperature, &temperature)
        try read(.topK, &topK); try read(.topP, &topP); try read(.missingStopPenalty, &missingStopPenalty)
        try read(.klCoefficient, &klCoefficient); try read(.adaptiveKL, &adaptiveKL)
        try read(.klTarget, &klTarget); try read(.klHorizon, &klHorizon); try read(.klEstimator, &klEstimator)
        try read(.whitenRewards, &whitenRewards); try read(.gamma, &gamma); try read(.lambda, &lambda)
        try read(.epochs, &epochs); try read(.miniBatchSize, &miniBatchSize); try read(.microBatchSize, &microBatchSize)
        try read(.clipRange, &clipRange); try read(.valueClipRange, &valueClipRange)
        try read(.valueCoefficient, &valueCoefficient); try read(.learningRate, &learningRate)
        try read(.valueLearningRate, &valueLearningRate); try read(.learningRateDecay, &learningRateDecay)
        try read(.warmupIterations, &warmupIterations); try read(.adamBeta1, &adamBeta1)
        try read(.adamBeta2, &adamBeta2); try read(.adamEpsilon, &adamEpsilon); try read(.weightDecay, &weightDecay)
        try read(.maximumGradientNorm, &maximumGradientNorm); try read(.ptxCoefficient, &ptxCoefficient)
        try read(.ptxBatchSize, &ptxBatchSize); try read(.emaDecay, &emaDecay); try read(.exampleSeeding, &exampleSeeding)
    }

    /// One line per field, for `--help` (JSON key, description with its default).
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of sampling, minibatch shuffling and the prompt order"),
        ("iterations", "PPO iterations (rollout + update)"),
        ("batchSize", "episodes (prompts) per iteration"),
        ("maximumNewTokens", "most tokens sampled per response"),
        ("minimumNewTokens", "stop tokens are masked until this many tokens were sampled"),
        ("temperature", "sampling temperature; also used for every log-probability"),
        ("topK", "top-k filter of the sampler (0 = off)"),
        ("topP", "top-p filter of the sampler (1 = off)"),
        ("missingStopPenalty", "added to the score of a response without a stop token (negative; 0 = none)"),
        ("klCoefficient", "initial (or fixed) KL coefficient beta"),
        ("adaptiveKL", "adapt beta towards klTarget (Ziegler et al.)"),
        ("klTarget", "target sequence KL in nats of the adaptive controller"),
        ("klHorizon", "horizon in episodes of the adaptive controller"),
        ("klEstimator", "per-token KL estimator of the penalty: k1, k2, k3, abs, clampedK1"),
        ("whitenRewards", "scale per-token rewards to unit variance before GAE"),
        ("gamma", "discount"),
        ("lambda", "GAE lambda"),
        ("epochs", "passes over each rollout"),
        ("miniBatchSize", "episodes per optimizer step, dividing batchSize (0 = whole batch)"),
        ("microBatchSize", "episodes per forward/backward pass, dividing the minibatch (0 = whole minibatch)"),
        ("clipRange", "policy clip range epsilon"),
        ("valueClipRange", "value clip range"),
        ("valueCoefficient", "value-loss coefficient"),
        ("learningRate", "peak AdamW learning rate"),
        ("valueLearningRate", "learning rate of a separate value model (0 = learningRate)"),
        ("learningRateDecay", "learning-rate shape after warm-up, one of \(PPOLearningRateDecay.allowedSpellings) (linear and cosine decay to 0 at the last iteration)"),
        ("warmupIterations", "iterations of linear learning-rate warm-up"),
        ("adamBeta1", "AdamW beta1"),
        ("adamBeta2", "AdamW beta2"),
        ("adamEpsilon", "AdamW epsilon"),
        ("weightDecay", "AdamW decoupled weight decay"),
        ("maximumGradientNorm", "global gradient-norm clip per optimizer step (0 = off)"),
        ("ptxCoefficient", "gamma_ptx: weight of the pretraining LM loss (0 = plain PPO)"),
        ("ptxBatchSize", "pretraining blocks per minibatch for PPO-ptx"),
        ("emaDecay", "decay of an EMA of the policy weights after each optimizer step (0 = off)"),
        ("exampleSeeding", "sample each response from a generator seeded by (seed, iteration, episode index), so that runs at any rank count sample the same tokens (always on under mpirun)"),
    ]

    /// Checks every field and the relations between them.
    ///
    /// - Throws: `ConfigurationError` naming the field, showing its value and saying what to change, e.g.
    ///   "`miniBatchSize` is 6, but it must divide `batchSize` (16); choose a divisor such as 4, 8 or 16".
    public func validate() throws(ConfigurationError) {
        func divisors(_ n: Int) -> String {
            let d = (1...max(n, 1)).filter { n % $0 == 0 }.suffix(4).map(String.init)
            return d.count > 1 ? d.dropLast().joined(separator: ", ") + " or " + d.last! : d.joined()
        }
        try require(iterations >= 1, "iterations", iterations, "it must be at least 1")
        try require(batchSize >= 1, "batchSize", batchSize, "it must be at least 1 episode per iteration (e.g. 64)")
        try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "it must be at least 1 (e.g. 24)")
        try require(minimumNewTokens >= 0 && minimumNewTokens <= maximumNewTokens, "minimumNewTokens", minimumNewTokens,
                    "it must lie in 0...maximumNewTokens (\(maximumNewTokens))")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "it must be positive (e.g. 1.0 or 0.7)")
        try require(topK >= 0, "topK", topK, "it must be 0 (off) or a positive count such as 50")
        try require(topP > 0 && topP <= 1, "topP", topP, "it must lie in (0, 1]; 1 turns top-p off")
        try require(missingStopPenalty.isFinite && missingStopPenalty <= 0, "missingStopPenalty", missingStopPenalty,
                    "it is added to the score, so it must be 0 (off) or negative (e.g. -1)")
        try require(klCoefficient >= 0 && klCoefficient.isFinite, "klCoefficient", klCoefficient, "it must be finite and ≥ 0 (e.g. 0.05)")
        try require(!adaptiveKL || klCoefficient > 0, "klCoefficient", klCoefficient,
                    "the adaptive controller multiplies it, so it must be > 0 when adaptiveKL is true (e.g. 0.05), or set adaptiveKL to false")
        try require(klTarget > 0 && klTarget.isFinite, "klTarget", klTarget, "it must be a positive number of nats (e.g. 3)")
        try require(klHorizon > 0 && klHorizon.isFinite, "klHorizon", klHorizon, "it must be a positive number of episodes (e.g. 10000)")
        try require(gamma > 0 && gamma <= 1, "gamma", gamma, "it must lie in (0, 1] (e.g. 1)")
        try require(lambda >= 0 && lambda <= 1, "lambda", lambda, "it must lie in [0, 1] (e.g. 0.95)")
        try require(epochs >= 1, "epochs", epochs, "it must be at least 1 (e.g. 4)")
        try require(miniBatchSize >= 0 && (miniBatchSize == 0 || batchSize % miniBatchSize == 0), "miniBatchSize", miniBatchSize,
                    "it must divide `batchSize` (\(batchSize)); choose a divisor such as \(divisors(batchSize)), or 0 for the whole batch")
        let minibatch = effectiveMiniBatchSize
        try require(microBatchSize >= 0 && (microBatchSize == 0 || minibatch % microBatchSize == 0), "microBatchSize", microBatchSize,
                    "it must divide the minibatch (\(minibatch) episodes); choose a divisor such as \(divisors(minibatch)), or 0 for the whole minibatch")
        try require(!whitenRewards || batchSize >= 8, "batchSize", batchSize,
                    "reward whitening needs at least 8 samples (a variance over fewer is too noisy; lm-human-preferences and TRL assert the same); use a batch of 8 or more, or set whitenRewards to false")
        try require(clipRange > 0 && clipRange < 1, "clipRange", clipRange, "it must lie in (0, 1) (e.g. 0.2)")
        try require(valueClipRange > 0 && valueClipRange.isFinite, "valueClipRange", valueClipRange, "it must be positive (e.g. 0.2)")
        try require(valueCoefficient >= 0 && valueCoefficient.isFinite, "valueCoefficient", valueCoefficient, "it must be ≥ 0 (e.g. 0.1)")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "it must be positive (e.g. 1e-4)")
        try require(valueLearningRate >= 0 && valueLearningRate.isFinite, "valueLearningRate", valueLearningRate,
                    "it must be 0 (same as learningRate) or positive (e.g. 1e-4)")
        try require(warmupIterations >= 0 && warmupIterations <= iterations, "warmupIterations", warmupIterations,
                    "it must lie in 0...iterations (\(iterations))")
        try require(adamBeta1 >= 0 && adamBeta1 < 1, "adamBeta1", adamBeta1, "it must lie in [0, 1) (e.g. 0.9)")
        try require(adamBeta2 >= 0 && adamBeta2 < 1, "adamBeta2", adamBeta2, "it must lie in [0, 1) (e.g. 0.95)")
        try require(adamEpsilon > 0, "adamEpsilon", adamEpsilon, "it must be positive (e.g. 1e-5)")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "it must be ≥ 0 (e.g. 0 or 0.01)")
        try require(maximumGradientNorm >= 0 && maximumGradientNorm.isFinite, "maximumGradientNorm", maximumGradientNorm,
                    "it must be 0 (off) or positive (e.g. 1)")
        try require(ptxCoefficient >= 0 && ptxCoefficient.isFinite, "ptxCoefficient", ptxCoefficient, "it must be ≥ 0 (0 = plain PPO; e.g. 2)")
        try require(ptxBatchSize >= 1, "ptxBatchSize", ptxBatchSize, "it must be at least 1 (e.g. 8)")
        try require(emaDecay >= 0 && emaDecay < 1, "emaDecay", emaDecay, "it must lie in [0, 1) (0 = off; InstructGPT uses 0.992)")
    }

    /// Episodes per optimizer step (`miniBatchSize`, or the whole batch when it is 0).
    public var effectiveMiniBatchSize: Int { miniBatchSize == 0 ? batchSize : miniBatchSize }
    /// Episodes per forward/backward pass (`microBatchSize`, or the whole minibatch when it is 0).
    public var effectiveMicroBatchSize: Int { microBatchSize == 0 ? effectiveMiniBatchSize : microBatchSize }

    /// The KL controller these settings start from.
    public var initialKLController: KLController {
        adaptiveKL ? .adaptive(initial: klCoefficient, target: klTarget, horizon: klHorizon) : .fixed(klCoefficient)
    }
}

/// The shape of PPO's learning rate over the iterations, after `warmupIterations` of linear warm-up
/// (``PPOConfig/learningRateDecay``); the raw values are the spellings of configuration files.
public enum PPOLearningRateDecay: String, ConfigurationChoice {
    /// The peak learning rate throughout (lm-human-preferences and TRL's PPO default).
    case constant
    /// Linear decay to 0 at the last iteration.
    case linear
    /// Cosine decay to 0 at the last iteration.
    case cosine

    /// The schedule of the learning-rate multiplier (peak 1) for `iterations` iterations after `warmupIterations`
    /// of warm-up.
    public func schedule(warmupIterations: Int, iterations: Int) -> LearningRateSchedule {
        switch self {
        case .constant:
            return .warmupLinear(peak: 1, warmupSteps: warmupIterations, totalSteps: warmupIterations, minimumRatio: 1)
        case .linear:
            return .warmupLinear(peak: 1, warmupSteps: warmupIterations, totalSteps: iterations, minimumRatio: 0)
        case .cosine:
            return .warmupCosine(peak: 1, warmupSteps: warmupIterations, totalSteps: iterations, minimumRatio: 0)
        }
    }
}
