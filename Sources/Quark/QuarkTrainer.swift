// QuarkTrainer: Quantized Reward Konditioning (Lu et al. 2022, arXiv 2205.13636; QK `main.py::ConditionTrainer`,
// where QK is the authors' code, see the Quark article). One step: [explore → score → pool.add → re-quantize →
// reshuffle] every `sampleInterval` steps, then one learning update on the next pool batch: NLL given the
// quantile's token + β·exact KL − α·H.
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import Tokenizers
import TrainingCore

/// Where Quark's rewards come from: any function of the text, or of the token ids.
public enum QuarkReward {
    /// A reward on prompts and decoded completions (a learned classifier, a rule, a gold score). Needs a tokenizer.
    case text(any RewardFunction)
    /// A reward on prompt and response token ids.
    case tokens((_ prompts: [[Int32]], _ responses: [[Int32]]) throws -> [Float])
}

/// The entropy coefficient's adaptive controller (QK `AdaptiveController` with `lower_bound=False`): after an
/// update with measured entropy E on n samples, `e = clip(E/target − 1, −0.2, 0.2)` and `α ← α·(1 − e·n/H)`,
/// so α falls when the entropy is above its target and rises when below. Fixed when `target` is nil.
public struct EntropyController: Codable, Equatable, Sendable {
    public private(set) var coefficient: Double
    public let target: Double?
    public let horizon: Double

    public init(coefficient: Double, target: Double?, horizon: Double) {
        self.coefficient = coefficient
        self.target = target
        self.horizon = horizon
    }

    public mutating func update(currentEntropy: Double, samples: Int) {
        guard let target, currentEntropy.isFinite else { return }
        let error = min(max(currentEntropy / target - 1, -0.2), 0.2)
        coefficient *= 1 - error * Double(samples) / horizon
    }
}

/// Trains a policy with Quark against any reward.
///
/// The base model is copied and grown by K reward tokens (``QuarkPolicy``); a frozen copy of the base is the
/// reference p_0. Exploration samples one response per training prompt: at step 0 from p_0 without a reward
/// token, afterwards from the policy conditioned on r_0. The pool (``QuarkDataPool``) is cumulative and
/// re-quantized after every exploration. The trainer never prints: ``train(checkpointDirectory:checkpointEvery:keepCheckpoints:progress:)``
/// reports `TrainingEvent`s to a callback that can stop it; ``trainStep()`` runs one step.
///
/// ```swift
/// var config = QuarkConfig()
/// config.totalSteps = 200
/// let trainer = try QuarkTrainer(config: config, base: base, reward: .text(classifier), prompts: prompts,
///                                tokenizer: tokenizer, padToken: 257, stopTokens: [256])
/// try trainer.train { event in .continue }
/// let samples = try trainer.policy.generate(prompts: ids, conditionedOn: 0, options: options, using: &rng)
/// ```
public final class QuarkTrainer {
    public let config: QuarkConfig
    /// The policy p_θ with reward tokens.
    public let policy: QuarkPolicy
    /// The frozen base model p_0.
    public let reference: GPT
    public let reward: QuarkReward
    public let tokenizer: (any Tokenizer)?
    /// Written at padded positions; must not be a stop token.
    public let padToken: Int32
    /// Tokens that end a response.
    public let stopTokens: [Int32]
    /// The training prompts (token ids, without a reward token), and their texts when given as text.
    public let prompts: [[Int32]]
    public let promptTexts: [String]?
    /// The cumulative data pool.
    public internal(set) var pool: QuarkDataPool
    /// Learning steps completed.
    public internal(set) var step = 0
    /// The source of every random choice: sampling and pool shuffles.
    public internal(set) var generator: SeededGenerator
    /// β and its (optional) controller.
    public internal(set) var klController: KLController
    /// α and its (optional) controller.
    public internal(set) var entropyController: EntropyController
    /// The items added by the last exploration (for samples and inspection).
    public internal(set) var lastExploration: [QuarkPoolItem] = []
    var order: [Int] = []
    var cursor = 0
    let optimizer: Adam
    let schedule: LearningRateSchedule

    /// The keys `trainStep()` reports (exploration keys only on exploration steps).
    public static let metricKeys = [
        "loss/total", "loss/nll", "objective/kl", "objective/entropy", "objective/kl_coef", "objective/entropy_coef",
        "optimizer/learning_rate", "optimizer/gradient_norm", "pool/size", "explore/reward", "explore/length",
    ]

    /// Creates a trainer over token prompts.
    ///
    /// - Parameters:
    ///   - base: the base model p_0 (not modified: the policy is a grown copy, the reference a frozen copy).
    ///   - lora: train LoRA adapters and the reward tokens' embedding rows instead of every weight (Hu et al. 2021,
    ///     arXiv 2106.09685). The policy and the reference then share `base`'s weights instead of copying them:
    ///     do not train `base` while this trainer uses it.
    ///   - reward: the reward; `.text` needs `tokenizer`.
    ///   - prompts: the training prompts, each with at least one token.
    /// - Throws: `ConfigurationError` for bad settings, a text reward without tokenizer, a pad token that is a stop
    ///   token, or no prompts; `OptimizerError`.
    public init(config: QuarkConfig, base: GPT, reward: QuarkReward, prompts: [[Int32]], promptTexts: [String]? = nil,
                tokenizer: (any Tokenizer)?, padToken: Int32, stopTokens: [Int32], lora: LoRAConfig? = nil) throws {
        try config.validate()
        if case .text = reward, tokenizer == nil {
            throw ConfigurationError.invalidValue(field: "tokenizer", value: "nil", requirement: "a text reward needs a tokenizer to decode completions; pass one or use a .tokens reward")
        }
        try require(!stopTokens.contains(padToken), "padToken", padToken, "it must differ from every stop token \(stopTokens): padding must be distinguishable from a real, scored stop token (lm-human-preferences and TRL reserve a separate pad id)")
        try require(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "prompts", "\(prompts.count) prompts",
                    "give at least one prompt, each with at least one token")
        try require(promptTexts == nil || promptTexts!.count == prompts.count, "promptTexts", promptTexts?.count ?? 0,
                    "give one text per prompt (\(prompts.count)) or none")
        let longest = prompts.map(\.count).max() ?? 0
        try require(longest + 1 + config.maximumNewTokens <= base.config.contextLength, "maximumNewTokens", config.maximumNewTokens,
                    "the longest prompt (\(longest) tokens) + a reward token + the response must fit the context of \(base.config.contextLength); shorten prompts or responses")
        self.config = config
        self.reward = reward
        self.tokenizer = tokenizer
        self.padToken = padToken
        self.stopTokens = stopTokens
        self.prompts = prompts
        self.promptTexts = promptTexts
        reference = base.frozenReference(lora: lora)
        var initGenerator = SeededGenerator(seed: config.seed &+ 0x51_7cc1)
        policy = try QuarkPolicy(base: lora == nil ? base.copy() : base, quantileCount: config.quantileCount, lora: lora,
                                 using: &initGenerator)
        pool = QuarkDataPool(quantileCount: config.quantileCount)
        generator = SeededGenerator(seed: config.seed)
        klController = config.adaptiveKL
            ? .adaptive(initial: config.klCoefficient, target: config.klTarget, horizon: config.controllerHorizon)
            : .fixed(config.klCoefficient)
        entropyController = EntropyController(coefficient: config.entropyCoefficient,
                                              target: config.adaptiveEntropy ? config.entropyTarget : nil,
                                              horizon: config.controllerHorizon)
        optimizer = try Adam(parameters: policy.model.namedParameters(), learningRate: config.learningRate,
                             betas: (0.9, 0.999), epsilon: config.adamEpsilon)
        schedule = .warmupLinear(peak: 1, warmupSteps: config.warmupSteps, totalSteps: config.totalSteps, minimumRatio: 0)
    }

    /// Creates a trainer over text prompts, encoded with `tokenizer`.
    public convenience init(config: QuarkConfig, base: GPT, reward: QuarkReward, prompts: [String],
                            tokenizer: any Tokenizer, padToken: Int32, stopTokens: [Int32], lora: LoRAConfig? = nil) throws {
        let ids = try prompts.map { try tokenizer.encode($0) }
        try self.init(config: config, base: base, reward: reward, prompts: ids, promptTexts: prompts,
                      tokenizer: tokenizer, padToken: padToken, stopTokens: stopTokens, lora: lora)
    }

    /// Sampling options of exploration.
    public var explorationOptions: GenerationOptions {
        GenerationOptions(maximumNewTokens: config.maximumNewTokens,
                          minimumNewTokens: stopTokens.isEmpty ? 0 : config.minimumNewTokens,
                          temperature: config.temperature, topK: config.topK, topP: config.topP,
                          stopTokens: stopTokens, padToken: padToken)
    }

    // MARK: - One step

    /// One Quark step: exploration when due, then one learning update.
    ///
    /// - Returns: the metrics under `metricKeys`.
    /// - Throws: `TrainingError.nonFinite` for a NaN loss or gradient (no update applied); model and reward errors.
    @discardableResult
    public func trainStep() throws -> [String: Double] {
        var metrics: [String: Double] = [:]
        if step % config.sampleInterval == 0 {
            metrics.merge(try explore()) { $1 }
        }
        metrics.merge(try learn()) { $1 }
        step += 1
        return metrics
    }

    /// Exploration: one response per training prompt (from p_0 at step 0, else from p_θ given r_0), scored,
    /// added to the pool, re-quantized, and the pool order reshuffled.
    ///
    /// - Returns: `explore/reward` (mean), `explore/length` and `pool/size`.
    @discardableResult
    public func explore() throws -> [String: Double] {
        let options = explorationOptions
        let chunk = 64
        var responses: [[Int32]] = []
        for start in stride(from: 0, to: prompts.count, by: chunk) {
            let rows = Array(prompts[start..<min(start + chunk, prompts.count)])
            if step == 0 {
                let result = try reference.generate(prompts: TokenBatch(leftPadding: rows, padToken: padToken),
                                                    options: options, using: &generator)
                responses += (0..<rows.count).map { result.responses.realTokens(row: $0) }
            } else {
                responses += try withoutGradients {
                    try policy.generate(prompts: rows, conditionedOn: 0, options: options, using: &generator)
                }
            }
        }
        let texts = try completionTexts(responses)
        let rewards = try scores(responses: responses, texts: texts)
        var items: [QuarkPoolItem] = []
        for i in prompts.indices {
            items.append(QuarkPoolItem(promptTokens: prompts[i], responseTokens: responses[i], reward: rewards[i],
                                       promptText: promptTexts?[i], completionText: texts?[i]))
        }
        pool.add(items)
        lastExploration = items
        order = Array(pool.items.indices)
        order.shuffle(using: &generator)
        cursor = 0
        let finite = rewards.filter(\.isFinite)
        return ["explore/reward": finite.reduce(0) { $0 + Double($1) } / Double(max(finite.count, 1)),
                "explore/length": Double(responses.reduce(0) { $0 + $1.count }) / Double(max(responses.count, 1)),
                "pool/size": Double(pool.count)]
    }

    /// The completions as text (reward tokens never appear: responses are cut before them), or nil without a tokenizer.
    func completionTexts(_ responses: [[Int32]]) throws -> [String]? {
        guard let tokenizer else { return nil }
        return try responses.map { row in
            try tokenizer.decode(row.filter { !stopTokens.contains($0) }, skipSpecialTokens: true)
        }
    }

    func scores(responses: [[Int32]], texts: [String]?) throws -> [Float] {
        let rewards: [Float]
        switch reward {
        case .text(let function):
            let promptStrings = try promptTexts ?? prompts.map { try tokenizer!.decode($0, skipSpecialTokens: true) }
            rewards = try function.scores(prompts: promptStrings, completions: texts ?? [])
        case .tokens(let function):
            rewards = try function(prompts, responses)
        }
        guard rewards.count == responses.count else {
            throw ConfigurationError.countMismatch(what: "scores from the reward", expected: responses.count, found: rewards.count, fix: "return one per response")
        }
        return rewards
    }

    /// The pool indices of the next learning batch: `batchSize` items (the whole pool when smaller), reshuffling
    /// when the order is exhausted (QK restarts its dataloader; drop_last).
    func nextBatchIndices() -> [Int] {
        let size = min(config.batchSize, pool.count)
        if cursor + size > order.count {
            order = Array(pool.items.indices)
            order.shuffle(using: &generator)
            cursor = 0
        }
        defer { cursor += size }
        return Array(order[cursor..<(cursor + size)])
    }

    /// The Quark loss of pool items (each conditioned on its quantile's token) and its terms.
    public func loss(items: [QuarkPoolItem]) throws -> (loss: Variable, terms: QuarkLossTerms) {
        let conditioned = TokenBatch(leftPadding: items.map { [policy.rewardToken($0.quantile)] + $0.promptTokens }, padToken: padToken)
        let plain = TokenBatch(leftPadding: items.map(\.promptTokens), padToken: padToken)
        let width = max(1, items.map(\.responseTokens.count).max() ?? 0)
        let responses = TokenBatch(rightPadding: items.map(\.responseTokens), padToken: padToken, length: width)
        let policyLogits = try policy.responseLogits(prompts: conditioned, responses: responses)     // [B, R, V+K]
        let referenceLogits = try withoutGradients {
            try QuarkPolicy.responseLogits(model: reference, prompts: plain, responses: responses).value  // [B, R, V]
        }
        var targets = responses.tokens
        responses.mask.withUnsafeBufferPointer { m in for i in targets.indices where m[i] == 0 { targets[i] = -1 } }
        return QuarkLoss.loss(policyLogits: policyLogits, referenceLogits: referenceLogits, targets: targets,
                              originalVocabularySize: policy.originalVocabularySize,
                              klCoefficient: Float(klController.coefficient),
                              entropyCoefficient: Float(entropyController.coefficient), direction: config.klDirection)
    }

    /// One learning update on the next pool batch.
    func learn() throws -> [String: Double] {
        let current = step + 1
        guard pool.count > 0 else { throw TrainingError.emptyData(what: "the Quark data pool (every reward was NaN)") }
        let items = nextBatchIndices().map { pool.items[$0] }
        optimizer.learningRate = config.learningRate * schedule(step)
        optimizer.zeroGradients()
        let (loss, terms) = try loss(items: items)
        guard loss.value.item.isFinite else { throw TrainingError.nonFinite(quantity: "loss/total", step: current) }
        try loss.backward()
        let parameters = policy.model.parameters()
        let norm = config.maximumGradientNorm > 0
            ? clipGradientNorm(parameters, maxNorm: config.maximumGradientNorm)
            : gradientNorm(parameters)
        guard norm.isFinite else {
            optimizer.zeroGradients()
            throw TrainingError.nonFinite(quantity: "gradient", step: current)
        }
        optimizer.step()
        optimizer.zeroGradients()
        let meanLength = Double(terms.tokenCount) / Double(max(items.count, 1))
        let metrics: [String: Double] = [
            "loss/total": Double(loss.value.item), "loss/nll": terms.negativeLogLikelihood,
            "objective/kl": terms.kl, "objective/entropy": terms.entropy,
            "objective/kl_coef": klController.coefficient, "objective/entropy_coef": entropyController.coefficient,
            "optimizer/learning_rate": Double(optimizer.learningRate), "optimizer/gradient_norm": Double(norm),
            "pool/size": Double(pool.count),
        ]
        // Controllers see sequence totals (per-token means × mean response length).
        klController.update(currentKL: terms.kl * meanLength, episodes: items.count)
        entropyController.update(currentEntropy: terms.entropy * meanLength, samples: items.count)
        return metrics
    }

    // MARK: - The loop

    /// Runs steps until `totalSteps`, reporting each step, writing checkpoints every `checkpointEvery` steps
    /// (and at the end or when stopped) into `checkpointDirectory` when given.
    public func train(checkpointDirectory: URL? = nil, checkpointEvery: Int = 0, keepCheckpoints: Int = 2,
                      progress: TrainingProgress = { _ in .continue }) throws {
        while step < config.totalSteps {
            let metrics = try trainStep()
            var disposition = progress(.step(step: step, totalSteps: config.totalSteps, metrics: metrics))
            let due = step == config.totalSteps || disposition == .stop || (checkpointEvery > 0 && step % checkpointEvery == 0)
            if let checkpointDirectory, due {
                let url = try saveCheckpoint(in: checkpointDirectory, keep: keepCheckpoints)
                if progress(.checkpoint(step: step, path: url.path)) == .stop { disposition = .stop }
            }
            if disposition == .stop { return }
        }
    }
}
