// Best-of-n (Stiennon et al. 2020, arXiv 2009.01325; AlpacaFarm's `best_of_n.py`): sample n completions from a
// policy, keep the one a reward function ranks highest. No training; its KL from the policy is at most
// log n − (n − 1)/n nats.
import Foundation
import Evaluation
import LanguageModels
import TensorCore
import TrainingCore

/// The settings of a best-of-n evaluation.
public struct BestOfNConfig: Codable, Equatable, Sendable {
    /// The values of n to report, each ≥ 1 (powers of two, to plot reward against log n). Default [1, 2, 4, 8, 16].
    public var ns: [Int] = [1, 2, 4, 8, 16]
    /// Sampling temperature (AlpacaFarm and RLP sample at 1.0). Default 1.
    public var temperature: Double = 1
    /// Top-k filter, 0 = off. Default 0.
    public var topK: Int = 0
    /// Top-p filter, 1 = off. Default 1.
    public var topP: Double = 1
    /// The most tokens per completion. Default 32.
    public var maximumNewTokens: Int = 32
    /// Prompts × samples per generation call. Default 128.
    public var batchSize: Int = 128
    /// Bootstrap resamples for intervals. Default 1000.
    public var bootstrapResamples: Int = 1000
    /// Seed of sampling and bootstrap. Default 0.
    public var seed: UInt64 = 0

    public init() {}

    /// - Throws: `ConfigurationError` naming the first bad field.
    public func validate() throws(ConfigurationError) {
        try require(!ns.isEmpty && ns.allSatisfy { $0 >= 1 }, "ns", ns, "must list at least one n ≥ 1, such as [1, 2, 4, 8, 16]")
        try require(ns.max()! <= 256, "ns", ns, "must not exceed 256 samples per prompt")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "must be positive, such as 1.0")
        try require(topK >= 0, "topK", topK, "must be ≥ 0 (0 turns it off)")
        try require(topP > 0 && topP <= 1, "topP", topP, "must be in (0, 1] (1 turns it off)")
        try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "must be at least 1, such as 32")
        try require(batchSize >= 1, "batchSize", batchSize, "must be at least 1, such as 128")
        try require(bootstrapResamples >= 1, "bootstrapResamples", bootstrapResamples, "must be at least 1, such as 1000")
    }
}

/// The analytic KL bound of best-of-n from its sampling policy: `log n − (n − 1)/n` nats (Stiennon et al. 2020;
/// an upper bound per Beirami et al. 2024). 0 for n = 1.
public func bestOfNKLBound(_ n: Int) -> Double {
    precondition(n >= 1, "best-of-n needs n ≥ 1")
    return log(Double(n)) - Double(n - 1) / Double(n)
}

/// `samplesPerPrompt` scored samples for each prompt, from which best-of-n for every n ≤ samplesPerPrompt is
/// read off by taking the first n (so the n values share samples and their curves are paired).
public struct BestOfNSamples: Sendable {
    public var prompts: [String]
    /// `completions[p][i]`: sample i of prompt p.
    public var completions: [[String]]
    /// `rewards[p][i]`: its reward.
    public var rewards: [[Float]]

    /// Samples from their parts; every prompt needs the same number of completions, each with a reward.
    public init(prompts: [String], completions: [[String]], rewards: [[Float]]) {
        precondition(prompts.count == completions.count && completions.count == rewards.count
                     && zip(completions, rewards).allSatisfy { $0.count == $1.count && $0.count == completions[0].count },
                     "BestOfNSamples: one equally long list of completions and rewards per prompt")
        self.prompts = prompts
        self.completions = completions
        self.rewards = rewards
    }

    /// For each prompt, the completion with the highest reward among its first `n` samples (the first on ties).
    public func best(n: Int) -> [String] {
        precondition(n >= 1 && n <= (completions.first?.count ?? 0), "best(n:) needs 1 ≤ n ≤ samples per prompt")
        return zip(completions, rewards).map { c, r in
            var top = 0
            for i in 1..<n where r[i] > r[top] { top = i }
            return c[top]
        }
    }

    /// The selected completions' mean reward for each n.
    public func meanSelectedReward(n: Int) -> Double {
        let picked = rewards.map { r in r.prefix(n).max()! }
        return picked.reduce(0.0) { $0 + Double($1) } / Double(max(picked.count, 1))
    }
}

/// One row of a best-of-n report.
public struct BestOfNRow: Equatable, Sendable {
    public var n: Int
    public var score: PolicyScore
    /// Mean reward (of the ranking reward function) of the selected completions.
    public var meanReward: Double
    /// `log n − (n − 1)/n`.
    public var klBound: Double
}

/// Samples from a policy and selects with a reward function.
///
/// ```swift
/// let bon = try BestOfNSampler(policy: sftPolicy, reward: rewardModel, config: BestOfNConfig())
/// let samples = try bon.sample(prompts: evalPrompts)
/// let rows = try bon.report(samples, judge: InstructionTaskJudge(task: task))
/// ```
public struct BestOfNSampler {
    public let policy: TextPolicy
    public let reward: any RewardFunction
    public let config: BestOfNConfig

    /// - Throws: `ConfigurationError` for a bad configuration.
    public init(policy: TextPolicy, reward: any RewardFunction, config: BestOfNConfig = BestOfNConfig()) throws {
        try config.validate()
        self.policy = policy
        self.reward = reward
        self.config = config
    }

    /// Draws `max(ns)` samples per prompt and scores each with the reward function.
    public func sample(prompts: [String]) throws -> BestOfNSamples {
        guard !prompts.isEmpty else { throw TrainingError.emptyData(what: "the best-of-n prompt set") }
        let k = config.ns.max()!
        var rng = SeededGenerator(seed: config.seed)
        let repeated = prompts.flatMap { Array(repeating: $0, count: k) }
        let options = policy.options(temperature: Float(config.temperature), maximumNewTokens: config.maximumNewTokens,
                                     topK: config.topK, topP: Float(config.topP))
        let flat = try policy.complete(repeated, options: options, batchSize: config.batchSize, using: &rng)
        let scores = try reward.scores(prompts: repeated, completions: flat)
        return BestOfNSamples(prompts: prompts,
                              completions: prompts.indices.map { Array(flat[($0 * k)..<(($0 + 1) * k)]) },
                              rewards: prompts.indices.map { Array(scores[($0 * k)..<(($0 + 1) * k)]) })
    }

    /// Best-of-n completions for every prompt (samples n, keeps the highest-reward one).
    public func select(prompts: [String], n: Int) throws -> [String] {
        var single = config
        single.ns = [n]
        return try BestOfNSampler(policy: policy, reward: reward, config: single).sample(prompts: prompts).best(n: n)
    }

    /// Judges the selected completions for each n of the configuration.
    public func report(_ samples: BestOfNSamples, judge: any CompletionJudge) throws -> [BestOfNRow] {
        try config.ns.map { n in
            var bootstrap = SeededGenerator(seed: config.seed &+ UInt64(n))
            return BestOfNRow(n: n, score: try scoreCompletions(prompts: samples.prompts, completions: samples.best(n: n), judge: judge,
                                                                 resamples: config.bootstrapResamples, using: &bootstrap),
                              meanReward: samples.meanSelectedReward(n: n), klBound: bestOfNKLBound(n))
        }
    }
}
