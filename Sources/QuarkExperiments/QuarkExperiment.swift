// QuarkExperiment: the three tables of Lu et al. 2022 in miniature on the review world — unlearning toxicity,
// unlearning a sentiment, unlearning degenerate repetition — each with all of its methods in one run. Writes
// config.json, metrics.jsonl (namespaced keys per method and phase), samples.jsonl (every generation a table is
// computed from) and report.md into the run directory. The library never prints: progress goes to `log`.
import Evaluation
import Foundation
import LanguageModels
import PPO
import Pretraining
import Quark
import ReviewWorld
import RewardModeling
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
    let clock: StageClock
    /// LoRA for every fine-tuned method, or nil (every weight trains).
    let lora: LoRAConfig?
    /// After `run()`: each method's table values by metric key (`avg_max_toxicity`, `fluency`, `dist2`, …), the
    /// numbers the paper-shape claims and the multi-seed summary are computed from.
    public internal(set) var measurements: [String: [String: Double]] = [:]
    /// After `run()`: the paper's claims checked on `measurements` (see ``QuarkClaims``).
    public internal(set) var claims: [PaperClaim] = []

    /// Polled after every training step and between stages; true stops the run after the current step (with a
    /// checkpoint where the stage has one) with `RunInterrupted`. Set it to read a Ctrl-C flag.
    public var shouldStop: () -> Bool {
        get { clock.shouldStop }
        set { clock.shouldStop = newValue }
    }

    /// - Parameters:
    ///   - resuming: continue the interrupted run in `outputDirectory` (with its own configuration and task):
    ///     finished phases are loaded from `models/`, a stopped Quark or PPO phase continues from its checkpoint,
    ///     and the report matches an uninterrupted run's (same thread count).
    public init(task: QuarkExperimentTask, config: QuarkExperimentConfig, outputDirectory: URL, resuming: Bool = false,
                log: @escaping (String) -> Void = { _ in }) throws {
        try config.validate()
        self.task = task
        self.config = config
        self.directory = try RunDirectory(outputDirectory)
        self.log = log
        lora = try config.loraConfiguration()
        clock = StageClock(log: log)
        clock.ledger = try StageLedger(run: directory, resuming: resuming, configuration: config, savedTexts: ["task.txt": task.rawValue])
        clock.directory = outputDirectory.path
        var worldConfig = ReviewWorldConfig()
        worldConfig.seed = config.seed
        worldConfig.documentCount = config.documentCount
        world = ReviewWorld(config: worldConfig)
    }

    /// Times a phase that always runs (evaluation) and records it for the report.
    func phase<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try clock.stopIfRequested(during: name)
        return try clock.time(name, body)
    }

    /// A phase that trains one model: in a resumed run, a finished phase's model is loaded from `models/<file>`;
    /// otherwise `body` trains it (its metrics of `phase` logged anew) and it is saved there, merged when it has
    /// LoRA adapters, so a resumed run evaluates the same model.
    func modelPhase(_ name: String, file: String, metricsPhase: String? = nil, _ body: () throws -> GPT) throws -> GPT {
        let url = directory.file("models/\(file)")
        return try clock.resumable(name, restore: { _ in try GPT.load(from: url).model }) {
            if let metricsPhase { try directory.removeMetrics { $0["phase"] as? String == metricsPhase } }
            let model = try body().withAdaptersMerged()
            try model.save(to: url)
            return model
        }
    }

    /// The model a method fine-tunes from `base`: a copy, or with LoRA, adapters over `base`'s shared weights.
    func trainable(_ base: GPT) throws -> GPT { try base.fineTunable(lora: lora, seed: config.seed) }

    /// A phase that trains the experiment's classifier: in a resumed run a finished one is loaded from
    /// `models/classifier` with its calibration; otherwise `train` fits it and it is saved there.
    func classifierPhase(_ name: String, base: GPT, tokens: ExperimentTokens, _ train: () throws -> SentenceClassifier) throws -> SentenceClassifier {
        let url = directory.file("models/classifier")
        let classifier = try clock.resumable(name, restore: { (record: StageLedger.Record) throws -> SentenceClassifier in
            let classifier = SentenceClassifier(model: try RewardModel.load(from: url), tokens: tokens)
            (classifier.gain, classifier.bias, classifier.accuracy) = (record.values["gain"] ?? .nan, record.values["bias"] ?? .nan,
                                                                      record.values["accuracy"] ?? .nan)
            return classifier
        }, values: { (c: SentenceClassifier) in ["gain": c.gain, "bias": c.bias, "accuracy": c.accuracy] }) { () throws -> SentenceClassifier in
            try directory.removeMetrics { $0["phase"] as? String == "classifier" }
            let classifier = try train()
            try classifier.model.save(to: url)
            try directory.appendMetrics(step: 0, phase: "classifier", ["classifier/accuracy": classifier.accuracy])
            return classifier
        }
        log(String(format: "  classifier held-out accuracy %.3f", classifier.accuracy))
        return classifier
    }

    /// Drops the samples and evaluation metrics of an interrupted evaluation, which runs again in full.
    func beginEvaluation() throws {
        try directory.removeSamples { _ in true }
        try directory.removeMetrics { ["evaluation", "control"].contains($0["phase"] as? String ?? "") }
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
        let baseDirectory = directory.file("models/base")
        let (base, tokenizer) = try clock.resumable("pretrain base (\(config.layers)×\(config.width))",
                                                    restore: { _ in try loadModelDirectory(baseDirectory) }) {
            let (model, tokenizer) = try ExperimentModels.pretrain(documents: documents, layers: config.layers, width: config.width,
                                                                   steps: config.capped(config.pretrainSteps), config: config,
                                                                   tokenizerDirectory: nil, seed: config.seed, log: log)
            try saveModelDirectory(model, tokenizer: tokenizer, to: baseDirectory)
            return (model, tokenizer)
        }
        let tokenizerDirectory = directory.file("tokenizer")
        try FileManager.default.createDirectory(at: tokenizerDirectory, withIntermediateDirectories: true)
        try tokenizer.save(to: tokenizerDirectory)
        guard let eot = tokenizer.id(forSpecialToken: "<|endoftext|>"), let pad = tokenizer.id(forSpecialToken: "<|pad|>") else {
            throw ConfigurationError.missing(what: "the pretraining tokenizer's <|endoftext|> or <|pad|>", fix: "add both with addSpecialTokens")
        }
        let tokens = ExperimentTokens(tokenizer: tokenizer, endOfText: eot, pad: pad)
        let evaluatorDirectory = directory.file("models/evaluator")
        let (evaluator, evaluatorTokenizer) = try clock.resumable("pretrain evaluator (\(config.evaluatorLayers)×\(config.evaluatorWidth))",
                                                                  restore: { _ in try loadModelDirectory(evaluatorDirectory) }) {
            let (model, tokenizer) = try ExperimentModels.pretrain(documents: documents, layers: config.evaluatorLayers, width: config.evaluatorWidth,
                                                                   steps: config.capped(config.evaluatorSteps), config: config,
                                                                   tokenizerDirectory: tokenizerDirectory, seed: config.seed &+ 1, log: log)
            try saveModelDirectory(model, tokenizer: tokenizer, to: evaluatorDirectory)
            return (model, tokenizer)
        }
        guard evaluatorTokenizer.vocabularySize == tokenizer.vocabularySize else {
            throw ConfigurationError.countMismatch(what: "the evaluator's tokenizer ids", expected: tokenizer.vocabularySize, found: evaluatorTokenizer.vocabularySize,
                                                   fix: "the evaluator must share the policy's tokenizer")
        }
        log("tokenizer: \(tokenizer.vocabularySize) ids; base \(base.parameterCount) parameters, evaluator \(evaluator.parameterCount)")
        return Setup(base: base, evaluator: evaluator, tokens: tokens, documents: documents)
    }

    /// Test prompts per prompt kind: `repetitionPromptsPerKind` for the repetition table, `evaluationPromptsPerKind`
    /// otherwise.
    var testPromptsPerKind: Int { task == .repetition ? config.repetitionPromptsPerKind : config.evaluationPromptsPerKind }

    /// Training prompts of the given kinds: each stream holds the test prompts first, then the validation prompts,
    /// then these; a text that also occurs among the test or validation prompts (the streams draw from small
    /// lexicons) is skipped, so training never sees an evaluated prompt.
    func trainingPrompts(kinds: [String], tokens: ExperimentTokens) throws -> (ids: [[Int32]], texts: [String]) {
        let held = Set(kinds.flatMap { k in
            world.prompts(kind: k, count: testPromptsPerKind + config.validationPromptsPerKind).map(\.text)
        })
        let per = (config.trainPrompts + kinds.count - 1) / kinds.count
        let skip = testPromptsPerKind + config.validationPromptsPerKind
        var prompts: [String] = []
        for kind in kinds {
            // Draw until `per` unheld prompts (a stream has far more distinct texts than any run needs).
            var count = per
            var fresh: [String] = []
            while fresh.count < per && count <= 64 * per {
                fresh = world.prompts(kind: kind, count: count, skip: skip).map(\.text).filter { !held.contains($0) }
                count *= 2
            }
            prompts += fresh.prefix(per)
        }
        let chosen = prompts.prefix(config.trainPrompts)
        return (try chosen.map { try tokens.prompt($0) }, Array(chosen))
    }

    /// The prompts the tables are computed on: the test prompts (the first `testPromptsPerKind` of each
    /// stream) or, with `evaluationSplit` = validation, the next `validationPromptsPerKind` without the texts that
    /// are also test prompts.
    func evaluationPrompts(kinds: [String]) -> [(text: String, kind: String)] {
        kinds.flatMap { k in
            let test = world.prompts(kind: k, count: testPromptsPerKind)
            guard config.evaluationSplit == .validation else { return test.map { ($0.text, k) } }
            let testTexts = Set(test.map(\.text))
            return world.prompts(kind: k, count: config.validationPromptsPerKind, skip: testPromptsPerKind)
                .filter { !testTexts.contains($0.text) }.map { ($0.text, k) }
        }
    }

    func samplingOptions(_ tokens: ExperimentTokens, topP: Float, greedy: Bool = false, length: Int? = nil, stop: Bool = true) -> GenerationOptions {
        let length = length ?? config.maximumNewTokens
        return GenerationOptions(maximumNewTokens: length, minimumNewTokens: stop ? min(config.minimumNewTokens, length) : 0, temperature: 1,
                          topP: topP, greedy: greedy, stopTokens: stop ? [tokens.endOfText] : [], padToken: tokens.pad)
    }

    /// Generated training samples of PPO (iterations × episodes) and of Quark (explorations × training prompts),
    /// which the defaults make equal.
    func sampleBudgets() -> (ppo: Int, quark: Int) {
        let ppoIterations = config.capped(config.ppoIterations), quarkSteps = config.capped(config.quarkSteps)
        let interval = min(config.quarkSampleInterval, quarkSteps)
        let explorations = (quarkSteps + interval - 1) / interval
        return (ppoIterations * min(config.ppoBatchSize, config.trainPrompts), explorations * config.trainPrompts)
    }

    // MARK: - Methods

    /// PPO from `base` against `reward` on the training prompts (the phase "PPO", model `models/ppo`).
    func trainPPO(base: GPT, reward: any RewardFunction, prompts: (ids: [[Int32]], texts: [String]), tokens: ExperimentTokens) throws -> GPT {
        try modelPhase("PPO", file: "ppo") { try runPPO(base: base, reward: reward, prompts: prompts, tokens: tokens) }
    }

    func runPPO(base: GPT, reward: any RewardFunction, prompts: (ids: [[Int32]], texts: [String]), tokens: ExperimentTokens) throws -> GPT {
        var ppo = PPOConfig()
        ppo.seed = config.seed &+ 5
        ppo.iterations = config.capped(config.ppoIterations)
        ppo.batchSize = min(config.ppoBatchSize, prompts.ids.count)
        ppo.maximumNewTokens = config.maximumNewTokens
        ppo.minimumNewTokens = config.minimumNewTokens
        ppo.missingStopPenalty = 0
        ppo.klCoefficient = config.ppoKLCoefficient
        ppo.adaptiveKL = config.ppoKLTarget > 0
        if config.ppoKLTarget > 0 { ppo.klTarget = config.ppoKLTarget }
        ppo.learningRate = config.ppoLearningRate
        let policy = try trainable(base)
        let trainer = try PPOTrainer(config: ppo, policy: policy, reference: base.frozenReference(lora: lora), reward: .function(reward),
                                     tokenizer: tokens.tokenizer,
                                     tokens: TokenConventions(padToken: tokens.pad, stopTokens: [tokens.endOfText]))
        let checkpoints = directory.file("checkpoints/ppo")
        try clock.continueTrainer(run: directory, phase: "ppo", checkpoints: checkpoints) { try trainer.loadCheckpoint(from: $0); return trainer.iteration }
        var cursor = trainer.iteration * ppo.batchSize % prompts.ids.count
        for iteration in (trainer.iteration + 1)..<(ppo.iterations + 1) {
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
            if clock.shouldStop() && iteration < ppo.iterations {
                try trainer.saveCheckpoint(in: checkpoints, keep: 1)
                throw RunInterrupted(stage: "PPO", directory: directory.url.path)
            }
        }
        return policy
    }

    /// Quark from `base` against `reward` as the phase `phase` (checkpoints in `checkpoints/<name>`, the policy in
    /// `models/<name>`).
    func trainQuark(phase: String, name: String, base: GPT, reward: QuarkReward, prompts: (ids: [[Int32]], texts: [String]),
                    tokens: ExperimentTokens, responseLength: Int? = nil, steps: Int? = nil, stop: Bool = true) throws -> QuarkPolicy {
        let url = directory.file("models/\(name)")
        let original = tokens.tokenizer.vocabularySize
        return try clock.resumable(phase, restore: { _ in
            QuarkPolicy(model: try GPT.load(from: url).model, originalVocabularySize: original, quantileCount: config.quarkQuantileCount)
        }) {
            let trained = try runQuark(name: name, base: base, reward: reward, prompts: prompts, tokens: tokens,
                                       responseLength: responseLength, steps: steps, stop: stop).policy
            let policy = QuarkPolicy(model: trained.model.withAdaptersMerged(), originalVocabularySize: original,
                                     quantileCount: trained.quantileCount)
            try policy.model.save(to: url)
            return policy
        }
    }

    func runQuark(name: String, base: GPT, reward: QuarkReward, prompts: (ids: [[Int32]], texts: [String]), tokens: ExperimentTokens,
                  responseLength: Int?, steps: Int?, stop: Bool) throws -> QuarkTrainer {
        var quark = QuarkConfig()
        quark.seed = config.seed &+ 7
        quark.totalSteps = config.capped(steps ?? config.quarkSteps)
        quark.sampleInterval = min(config.quarkSampleInterval, quark.totalSteps)
        quark.batchSize = config.quarkBatchSize
        quark.learningRate = config.quarkLearningRate
        quark.warmupSteps = min(config.quarkWarmupSteps, quark.totalSteps)
        quark.klCoefficient = config.quarkKLCoefficient
        quark.entropyCoefficient = config.quarkEntropyCoefficient
        quark.quantileCount = config.quarkQuantileCount
        quark.maximumNewTokens = responseLength ?? config.maximumNewTokens
        quark.minimumNewTokens = stop ? min(config.minimumNewTokens, quark.maximumNewTokens) : 0
        let trainer = try QuarkTrainer(config: quark, base: base, reward: reward, prompts: prompts.ids, promptTexts: prompts.texts,
                                       tokenizer: tokens.tokenizer, padToken: tokens.pad, stopTokens: stop ? [tokens.endOfText] : [],
                                       lora: lora)
        let checkpoints = directory.file("checkpoints/\(name)")
        try clock.continueTrainer(run: directory, phase: name, checkpoints: checkpoints) { try trainer.loadCheckpoint(from: $0); return trainer.step }
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
            return self.clock.shouldStop() ? .stop : .continue
        }
        if let failure { throw failure }
        try clock.stopUnlessComplete(name, done: trainer.step, of: quark.totalSteps)
        return trainer
    }

    // MARK: - Entry point

    /// Runs the experiment and writes report.md.
    ///
    /// - Returns: the report's Markdown.
    ///
    /// - Throws: `RunInterrupted` when `shouldStop` asked for a stop (resume with `resuming: true`).
    public func run() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try directory.writeAtomically(encoder.encode(config), to: "config.json")
        try directory.writeAtomically(Data(task.rawValue.utf8), to: "task.txt")
        let body: String
        switch task {
        case .toxicity: body = try runToxicity()
        case .sentiment: body = try runSentiment()
        case .repetition: body = try runRepetition()
        }
        let report = body + "\n## Timings\n\n" + StageClock.markdownTable(clock.stages).joined(separator: "\n") + "\n"
        try directory.writeAtomically(Data(report.utf8), to: "report.md")
        return report
    }
}
