// QuarkExperiment: the three tables of Lu et al. 2022 in miniature on the review world — unlearning toxicity,
// unlearning a sentiment, unlearning degenerate repetition — each with all of its methods in one run. Writes
// config.json, metrics.jsonl (namespaced keys per method and phase), samples.jsonl (every generation a table is
// computed from) and report.md into the run directory. The library never prints: progress goes to `log`.
import Evaluation
import Foundation
import LanguageModels
import PPO
import Quark
import ReviewWorld
import Runs
import TensorCore
import Tokenizers
import TrainingCore

/// Runs one Quark experiment end to end.
///
/// ```swift
/// let experiment = try QuarkExperiment(task: .toxicity, config: QuarkExperimentConfig(),
///                                      outputDirectory: URL(fileURLWithPath: "runs/quark-toxicity")) { print($0) }
/// let report = try experiment.run()      // the Markdown of report.md
/// ```
public final class QuarkExperiment {
    public let task: QuarkExperimentTask
    public let config: QuarkExperimentConfig
    public let directory: RunDirectory
    let log: (String) -> Void
    let world: ReviewWorld
    var timings: [(String, Double)] = []
    var started = Date()

    public init(task: QuarkExperimentTask, config: QuarkExperimentConfig, outputDirectory: URL,
                log: @escaping (String) -> Void = { _ in }) throws {
        try config.validate()
        self.task = task
        self.config = config
        self.directory = try RunDirectory(outputDirectory)
        self.log = log
        var worldConfig = ReviewWorldConfig()
        worldConfig.seed = config.seed
        worldConfig.documentCount = config.documentCount
        world = ReviewWorld(config: worldConfig)
    }

    /// Times a phase and records it for the report.
    func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        log("\(name)…")
        let result = try body()
        let seconds = Date().timeIntervalSince(start)
        timings.append((name, seconds))
        log(String(format: "%@ done in %.1f s", name, seconds))
        return result
    }

    // MARK: - Shared models

    struct Setup {
        var base: GPT
        var evaluator: GPT
        var tokens: ExperimentTokens
        var documents: [String]
    }

    func setup() throws -> Setup {
        let documents = world.documents()
        let (base, tokenizer) = try phase("pretrain base (\(config.layers)×\(config.width))") {
            try ExperimentModels.pretrain(documents: documents, layers: config.layers, width: config.width,
                                          steps: config.capped(config.pretrainSteps), config: config, tokenizerDirectory: nil,
                                          seed: config.seed, log: log)
        }
        let tokenizerDirectory = directory.file("tokenizer")
        try FileManager.default.createDirectory(at: tokenizerDirectory, withIntermediateDirectories: true)
        try tokenizer.save(to: tokenizerDirectory)
        guard let eot = tokenizer.id(forSpecialToken: "<|endoftext|>"), let pad = tokenizer.id(forSpecialToken: "<|pad|>") else {
            throw TrainingError.invalidInput("the pretraining tokenizer lacks <|endoftext|> or <|pad|>")
        }
        let tokens = ExperimentTokens(tokenizer: tokenizer, endOfText: eot, pad: pad)
        let (evaluator, evaluatorTokenizer) = try phase("pretrain evaluator (\(config.evaluatorLayers)×\(config.evaluatorWidth))") {
            try ExperimentModels.pretrain(documents: documents, layers: config.evaluatorLayers, width: config.evaluatorWidth,
                                          steps: config.capped(config.evaluatorSteps), config: config,
                                          tokenizerDirectory: tokenizerDirectory, seed: config.seed &+ 1, log: log)
        }
        guard evaluatorTokenizer.vocabularySize == tokenizer.vocabularySize else {
            throw TrainingError.invalidInput("the evaluator's tokenizer (\(evaluatorTokenizer.vocabularySize) ids) differs from the policy's (\(tokenizer.vocabularySize))")
        }
        log("tokenizer: \(tokenizer.vocabularySize) ids; base \(base.parameterCount) parameters, evaluator \(evaluator.parameterCount)")
        return Setup(base: base, evaluator: evaluator, tokens: tokens, documents: documents)
    }

    /// Training prompts of the given kinds (disjoint from the evaluation prompts, which come first in each stream).
    func trainingPrompts(kinds: [String], tokens: ExperimentTokens) throws -> (ids: [[Int32]], texts: [String]) {
        let per = (config.trainPrompts + kinds.count - 1) / kinds.count
        let prompts = kinds.flatMap { world.prompts(kind: $0, count: per, skip: config.evaluationPromptsPerKind) }.prefix(config.trainPrompts)
        return (try prompts.map { try tokens.prompt($0.text) }, prompts.map(\.text))
    }

    func evaluationPrompts(kinds: [String]) -> [(text: String, kind: String)] {
        kinds.flatMap { k in world.prompts(kind: k, count: config.evaluationPromptsPerKind).map { ($0.text, k) } }
    }

    func samplingOptions(_ tokens: ExperimentTokens, topP: Float, greedy: Bool = false, length: Int? = nil, stop: Bool = true) -> GenerationOptions {
        GenerationOptions(maximumNewTokens: length ?? config.maximumNewTokens, minimumNewTokens: stop ? 3 : 0, temperature: 1,
                          topP: topP, greedy: greedy, stopTokens: stop ? [tokens.endOfText] : [], padToken: tokens.pad)
    }

    // MARK: - Methods

    /// PPO from `base` against `reward` on the training prompts.
    func trainPPO(base: GPT, reward: any RewardFunction, prompts: (ids: [[Int32]], texts: [String]), tokens: ExperimentTokens) throws -> GPT {
        var ppo = PPOConfig()
        ppo.seed = config.seed &+ 5
        ppo.iterations = config.capped(config.ppoIterations)
        ppo.batchSize = min(config.ppoBatchSize, prompts.ids.count)
        ppo.maximumNewTokens = config.maximumNewTokens
        ppo.minimumNewTokens = 3
        ppo.missingStopPenalty = 0
        ppo.klCoefficient = config.ppoKLCoefficient
        ppo.learningRate = config.ppoLearningRate
        let policy = base.copy()
        let trainer = try PPOTrainer(config: ppo, policy: policy, reward: .function(reward), tokenizer: tokens.tokenizer,
                                     tokens: PPOTokenConventions(padToken: tokens.pad, stopTokens: [tokens.endOfText]))
        var cursor = 0
        for iteration in 1...ppo.iterations {
            var rows: [[Int32]] = [], texts: [String] = []
            for _ in 0..<ppo.batchSize {
                rows.append(prompts.ids[cursor]); texts.append(prompts.texts[cursor])
                cursor = (cursor + 1) % prompts.ids.count
            }
            let metrics = try trainer.step(promptTokens: TokenBatch(leftPadding: rows, padToken: tokens.pad), promptTexts: texts)
            try directory.appendMetrics(step: iteration, phase: "ppo", metrics.values.reduce(into: [String: Double]()) { $0["ppo/\($1.key)"] = $1.value })
            if iteration % 10 == 0 || iteration == ppo.iterations {
                log(String(format: "  ppo %d/%d: reward %.3f kl %.3f", iteration, ppo.iterations,
                           metrics["objective/raw_score"] ?? .nan, metrics["objective/kl"] ?? .nan))
            }
        }
        return policy
    }

    /// Quark from `base` against `reward`.
    func trainQuark(name: String, base: GPT, reward: QuarkReward, prompts: (ids: [[Int32]], texts: [String]), tokens: ExperimentTokens,
                    responseLength: Int? = nil, steps: Int? = nil, stop: Bool = true) throws -> QuarkTrainer {
        var quark = QuarkConfig()
        quark.seed = config.seed &+ 7
        quark.totalSteps = config.capped(steps ?? config.quarkSteps)
        quark.sampleInterval = min(config.quarkSampleInterval, quark.totalSteps)
        quark.batchSize = config.quarkBatchSize
        quark.learningRate = config.quarkLearningRate
        quark.warmupSteps = min(config.quarkWarmupSteps, quark.totalSteps)
        quark.klCoefficient = config.quarkKLCoefficient
        quark.entropyCoefficient = config.quarkEntropyCoefficient
        quark.maximumNewTokens = responseLength ?? config.maximumNewTokens
        quark.minimumNewTokens = stop ? 3 : 0
        let trainer = try QuarkTrainer(config: quark, base: base, reward: reward, prompts: prompts.ids, promptTexts: prompts.texts,
                                       tokenizer: tokens.tokenizer, padToken: tokens.pad, stopTokens: stop ? [tokens.endOfText] : [])
        let checkpoints = directory.file("checkpoints/\(name)")
        var failure: Error?
        try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: max(quark.totalSteps / 2, 1), keepCheckpoints: 1) { event in
            guard case .step(let step, let total, let metrics) = event else { return .continue }
            do {
                try self.directory.appendMetrics(step: step, phase: name, metrics.reduce(into: [String: Double]()) { $0["\(name)/\($1.key)"] = $1.value })
                if metrics["explore/reward"] != nil {
                    let q = trainer.pool.quantileMeanRewards.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    self.log(String(format: "  %@ %d/%d: explored reward %.3f, pool %d, quantile means [%@], nll %.3f kl %.3f",
                                    name, step, total ?? 0, metrics["explore/reward"]!, trainer.pool.count, q,
                                    metrics["loss/nll"] ?? .nan, metrics["objective/kl"] ?? .nan))
                }
            } catch {
                failure = error
                return .stop
            }
            return .continue
        }
        if let failure { throw failure }
        return trainer
    }

    // MARK: - Entry point

    /// Runs the experiment and writes report.md.
    ///
    /// - Returns: the report's Markdown.
    public func run() throws -> String {
        started = Date()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try directory.writeAtomically(encoder.encode(config), to: "config.json")
        let body: String
        switch task {
        case .toxicity: body = try runToxicity()
        case .sentiment: body = try runSentiment()
        case .repetition: body = try runRepetition()
        }
        let total = Date().timeIntervalSince(started)
        var report = body + "\n## Timings\n\n| phase | seconds |\n| :-- | --: |\n"
        for (name, seconds) in timings { report += "| \(name) | \(String(format: "%.1f", seconds)) |\n" }
        report += "| **total** | \(String(format: "%.1f", total)) |\n"
        try directory.writeAtomically(Data(report.utf8), to: "report.md")
        return report
    }
}
