// The InstructGPT pipeline end to end (Ouyang et al. 2022): pretrain a base model, supervised fine-tuning on
// demonstrations, a reward model on comparisons, then PPO and PPO-ptx against it and best-of-n as the baseline,
// and one evaluation table in the shape of the paper's. This is what `rlft pipeline` and `make demo` run.
import Foundation
import Evaluation
import LanguageModels
import NeuralNetworks
import PPO
import Pretraining
import RewardModeling
import Runs
import SFT
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// One evaluated system (a row of the table).
public struct PipelineRow: Sendable {
    /// base, SFT, best-of-n, PPO, PPO-ptx.
    public var system: String
    /// Expected win-rate against the reference outputs by the training annotators (ties ½).
    public var winRateTraining: ConfidenceInterval?
    /// The same by the held-out annotator group.
    public var winRateHeldOut: ConfidenceInterval?
    /// Gold quality score.
    public var gold: ConfidenceInterval?
    /// Mean sequence KL(π ‖ π_SFT) of the system's samples, in nats.
    public var klFromSFT: ConfidenceInterval?
    /// For best-of-n: the analytic bound log n − (n−1)/n instead of a measured KL.
    public var klBound: Double?
    /// Mean reward-model score (normalised) of the samples.
    public var rewardModelScore: Double
    /// Token-mean negative log-likelihood on held-out pretraining text (the alignment tax).
    public var heldOutLanguageModelLoss: Double?
    /// Accuracy on the corpus probes: skills of the pretraining text that the reward does not ask for
    /// (`InstructionTask.corpusProbes`; built-in task only), the other measure of the alignment tax.
    public var probeAccuracy: Double? = nil
    /// Wall-clock seconds of the system's training stage (nil for base, SFT and best-of-n).
    public var trainingSeconds: Double? = nil
    /// Per evaluation prompt, in prompt order: gold scores and win credits by each annotator group (empty without
    /// judges). Paired comparisons between systems resample these together.
    public var goldScores: [Double] = []
    public var winCreditsTraining: [Double] = []
    public var winCreditsHeldOut: [Double] = []
}

/// What a pipeline run produced.
public struct PipelineResult: Sendable {
    public var rows: [PipelineRow]
    /// How well the reward model agrees with the annotators.
    public var rewardModel: RewardModelSummary
    /// Wall-clock seconds of each stage, in order.
    public var stageSeconds: [(String, Double)]
    /// The results table in Markdown.
    public var table: String
    /// Each system's paired difference from SFT over the evaluation prompts.
    public var differences: [PairedDifference] = []
    /// InstructGPT's claims, each checked against this run.
    public var claims: [PaperClaim] = []
}

/// The reward model's agreement with the training annotators, beside the ceiling their own noise sets.
public struct RewardModelSummary: Sendable {
    /// Pairwise accuracy on the held-out comparisons (the task's candidate mix on evaluation prompts).
    public var heldOutAccuracy: ConfidenceInterval?
    /// The annotators' noise ceiling on those comparisons.
    public var noiseCeiling: Double?
    /// Pairwise accuracy on held-out pairs of the SFT model's samples (evaluation prompts): the distribution
    /// best-of-n and PPO start from.
    public var sampleAccuracy: ConfidenceInterval?
    /// The noise ceiling on those pairs.
    public var sampleCeiling: Double?
    /// The number of those pairs.
    public var samplePairs: Int
    /// Comparisons of SFT samples added to the training comparisons.
    public var addedComparisons: Int
    /// Rankings among the training comparisons, and K.
    public var rankings = 0, rankingSize = 2

    /// One line per measured accuracy, for logs and reports.
    public var lines: [String] {
        var out: [String] = []
        func line(_ what: String, _ accuracy: ConfidenceInterval?, _ ceiling: Double?) {
            guard let accuracy else { return }
            out.append(String(format: "Reward model: pairwise accuracy %.3f [%.3f, %.3f] on %@%@.", accuracy.estimate, accuracy.lower,
                              accuracy.upper, what, ceiling.map { String(format: " (the annotators' noise ceiling is %.3f)", $0) } ?? ""))
        }
        line("the held-out comparisons", heldOutAccuracy, noiseCeiling)
        line("\(samplePairs) held-out pairs of SFT samples", sampleAccuracy, sampleCeiling)
        if addedComparisons > 0 { out.append("Its training comparisons include \(addedComparisons) labelled pairs of SFT samples.") }
        if rankings > 0 {
            out.append("It also trains on \(rankings) rankings of \(rankingSize) completions, each as its \(rankingSize * (rankingSize - 1) / 2) pairs weighted 1/\(rankingSize * (rankingSize - 1) / 2) (InstructGPT §3.5).")
        }
        return out
    }
}

/// Runs the whole InstructGPT pipeline into one output directory.
///
/// Layout of the output directory: `config.json`, `data/` (the task's JSONL, built-in task only), `pretrain/`
/// (the base model's run), `models/{base,sft,reward,ppo,ppo-ptx}`, `metrics.jsonl` (every stage, with a `phase`
/// key), `samples.jsonl` (every evaluated completion), `report.md` (the table), `reward.svg` and `kl.svg`.
public final class InstructGPTPipeline {
    public let config: PipelineConfig
    public let output: URL
    let log: (String) -> Void
    let run: RunDirectory
    let clock: StageClock
    /// LoRA for every trained stage after pretraining (`config.lora*`), or nil: every weight trains.
    let lora: LoRAConfig?

    /// Whether this run continues an interrupted one in the same directory.
    public let resuming: Bool

    /// Polled after every training step and between stages; true stops the run after the current step (with a
    /// checkpoint where the stage has one) with `RunInterrupted`. Set it to read a Ctrl-C flag.
    public var shouldStop: () -> Bool {
        get { clock.shouldStop }
        set { clock.shouldStop = newValue }
    }

    /// - Parameters:
    ///   - config: validated here.
    ///   - output: the run directory (created).
    ///   - resuming: continue the interrupted run in `output`: stages recorded in its `stages.json` are loaded
    ///     from disk, an unfinished trainer continues from its last checkpoint in `checkpoints/`, and the run ends
    ///     with exactly the figures of an uninterrupted one (same thread count). `config` must be the run's own.
    ///   - log: receives one line per noteworthy event (the library never prints).
    public init(config: PipelineConfig, output: URL, resuming: Bool = false,
                log: @escaping (String) -> Void = { _ in }) throws {
        try config.validate()
        self.config = config
        lora = try config.loraConfiguration()
        self.output = output
        self.resuming = resuming
        self.log = log
        clock = StageClock(log: log)
        run = try RunDirectory(output)
        clock.ledger = try StageLedger(run: run, resuming: resuming, configuration: config)
        clock.directory = output.path
        try run.writeAtomically(try config.jsonData(), to: "config.json")
    }

    /// Turns trainers' step reports into periodic log lines.
    let stepReporter = StepReporter(interval: 10)

    /// Times a stage (see `StageClock`).
    func stage<T>(_ name: String, _ body: () throws -> T) rethrows -> T { try clock.time(name, body) }

    /// Every finished stage and its seconds.
    var stageSeconds: [(String, Double)] { clock.stages }

    /// Runs every stage and writes the report.
    ///
    /// - Throws: `RunInterrupted` when `shouldStop` asked for a stop (resume with `resuming: true`).
    public func runAll() throws -> PipelineResult {
        if config.threads > 0 { Compute.threadCount = config.threads }
        let data = try stage("data") { () throws -> PipelineData in
            if config.data.isEmpty {
                return try PipelineData.builtIn(config, writingTo: output.appendingPathComponent("data"))
            }
            return try PipelineData.directory(URL(fileURLWithPath: config.data), evaluationPrompts: config.evaluationPrompts)
        }

        // MARK: 1. Base model: language-model pretraining
        let pretrainer = try clock.resumable("pretraining", restore: { _ in
            try PretrainingTrainer.resume(from: output.appendingPathComponent("pretrain"), documents: data.pretraining)
        }) { () throws -> PretrainingTrainer in
            var c = PretrainingConfig()
            (c.layerCount, c.headCount, c.embeddingSize, c.contextLength) = (config.layers, config.heads, config.width, config.contextLength)
            (c.steps, c.batchSize, c.blockLength) = (config.capped(config.pretrainSteps), 32, Swift.min(96, config.contextLength))
            (c.learningRate, c.warmupSteps, c.seed) = (3e-3, Swift.min(50, c.steps), config.seed)
            (c.validationInterval, c.sampleInterval, c.checkpointInterval, c.keepCheckpoints) = (c.steps, 0, checkpointInterval, 1)
            let directory = output.appendingPathComponent("pretrain")
            var trainer: PretrainingTrainer?
            try clock.continueTrainer(run: run, phase: "pretrain", checkpoints: directory.appendingPathComponent("checkpoints")) { _ in
                trainer = try PretrainingTrainer.resume(from: directory, documents: data.pretraining)
                return trainer!.step
            }
            let pretrainer = try trainer ?? PretrainingTrainer(config: c, documents: data.pretraining, outputDirectory: directory)
            try pretrainer.train { event in self.record(event, phase: "pretrain") }
            try clock.stopUnlessComplete("pretraining", done: pretrainer.step, of: c.steps)
            try save(pretrainer.model, pretrainer.tokenizer, "base")
            return pretrainer
        }
        let tokenizer = pretrainer.tokenizer
        guard let pad = tokenizer.id(forSpecialToken: "<|pad|>"), let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") else {
            throw ConfigurationError.missing(what: "the tokenizer's <|pad|> or <|endoftext|>", fix: "add both with addSpecialTokens")
        }
        let newline = try tokenizer.encode("\n")
        let stopTokens = (newline.count == 1 ? newline : []) + [eos]
        let base = pretrainer.model
        let heldOutText = pretrainer.data.validationBatches(maximumBlocks: 32, batchSize: 16)

        // MARK: 2. Supervised fine-tuning on demonstrations
        let sft = try clock.resumable("supervised fine-tuning", restore: { _ in try loadModel("sft") }) { () throws -> GPT in
            var c = SFTConfig()
            (c.steps, c.seed) = (config.capped(config.sftSteps), config.seed)
            c.warmupSteps = Swift.min(c.warmupSteps, c.steps)
            c.evaluationInterval = Swift.max(1, Swift.min(100, c.steps))
            (c.ptxCoefficient, c.learningRate) = (config.sftPtxCoefficient, config.sftLearningRate)
            let model = try base.fineTunable(lora: lora, seed: config.seed)
            let examples = try SFTExample.encode(data.demonstrations, tokenizer: tokenizer, contextLength: config.contextLength)
            let trainer = try SFTTrainer(model: model, config: c, padToken: pad, training: examples,
                                         pretraining: c.ptxCoefficient > 0 ? try pretrainingBlocks(pretrainer.data, pad: pad) : nil)
            let checkpoints = checkpointDirectory("sft")
            try clock.continueTrainer(run: run, phase: "sft", checkpoints: checkpoints) { try trainer.loadCheckpoint(from: $0); return trainer.step }
            _ = try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: checkpointInterval, keepCheckpoints: 1) { event in
                self.record(event, phase: "sft")
            }
            try clock.stopUnlessComplete("supervised fine-tuning", done: trainer.step, of: c.steps)
            return try save(model, tokenizer, "sft")
        }

        // MARK: 3a. Comparisons of the SFT model's own samples (built-in task), as InstructGPT's labellers made
        var comparisons = data.comparisons
        var samplePairs: [PreferenceRecord] = []  // held out, on evaluation prompts
        if let task = data.task, config.policyComparisons > 0 {
            let added = output.appendingPathComponent("data/sft-sample-comparisons.jsonl")
            let heldOut = output.appendingPathComponent("data/sft-sample-heldout-comparisons.jsonl")
            let pairs = try clock.resumable("labelling SFT samples", restore: { _ in
                (try JSONLReader().read(PreferenceRecord.self, from: added).records, try JSONLReader().read(PreferenceRecord.self, from: heldOut).records)
            }) { () throws -> ([PreferenceRecord], [PreferenceRecord]) in
                let policy = TextPolicy(model: sft, tokenizer: tokenizer, padToken: pad, stopTokens: stopTokens)
                let count = config.maximumSteps > 0 ? Swift.min(config.policyComparisons, 64) : config.policyComparisons
                let training = try labelledSamplePairs(task: task, policy: policy, prompts: cycled(data.comparisons.map(\.prompt), count: count),
                                                       seed: config.seed &+ 31)
                let evaluation = try labelledSamplePairs(task: task, policy: policy, prompts: data.evaluation.map(\.prompt),
                                                         seed: config.seed &+ 37)
                try JSONLWriter.write(training, to: added)
                try JSONLWriter.write(evaluation, to: heldOut)
                return (training, evaluation)
            }
            comparisons += pairs.0
            samplePairs = pairs.1
        }

        // MARK: 3b. Reward model on comparisons, initialised from the SFT model
        let rewardDirectory = output.appendingPathComponent("models/reward")
        let (reward, accuracy, sampleAccuracy) = try clock.resumable("reward model", restore: { record in
            (try RewardModelFunction.load(from: rewardDirectory), ConfidenceInterval(record.values, key: "accuracy"),
             ConfidenceInterval(record.values, key: "sample_accuracy"))
        }, values: { ($0.1?.values(key: "accuracy") ?? [:]).merging($0.2?.values(key: "sample_accuracy") ?? [:]) { a, _ in a } }) {
            () throws -> (RewardModelFunction, ConfidenceInterval?, ConfidenceInterval?) in
            var c = RewardModelConfig()
            (c.epochs, c.learningRate, c.batchSize) = (config.rewardEpochs, config.rewardLearningRate, config.rewardBatchSize)
            c.seed = config.seed
            // The held-out accuracy is reported once at the end; evaluating it every 50 steps would cost a tenth of
            // the stage.
            c.evaluationInterval = 250
            var rng = SeededGenerator(seed: config.seed &+ 11)
            let model = RewardModel(trunk: try sft.fineTunable(lora: lora, seed: config.seed), using: &rng)
            let training = try ComparisonGroup.encode(comparisons, tokenizer: tokenizer, contextLength: config.contextLength)
                + (data.rankings.isEmpty ? [] : ComparisonGroup.encode(data.rankings, tokenizer: tokenizer, contextLength: config.contextLength))
            let heldOut = try ComparisonGroup.encode(data.heldOutComparisons, tokenizer: tokenizer, contextLength: config.contextLength)
            let trainer = try RewardModelTrainer(model: model, config: c, padToken: pad, training: training,
                                                 validation: heldOut)
            let checkpoints = checkpointDirectory("reward")
            try clock.continueTrainer(run: run, phase: "reward", checkpoints: checkpoints) { try trainer.loadCheckpoint(from: $0); return trainer.step }
            let result = try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: checkpointInterval, keepCheckpoints: 1) { event in
                self.record(event, phase: "reward")
            }
            try clock.stopUnlessComplete("reward model", done: trainer.step, of: trainer.totalSteps)
            let sampleAccuracy = samplePairs.isEmpty ? nil : try trainer.evaluate(
                ComparisonGroup.encode(samplePairs, tokenizer: tokenizer, contextLength: config.contextLength)).accuracy
            let references = try data.demonstrations.map { try tokenizer.encode($0.prompt) + tokenizer.encode($0.completion) }
            let normalizer = try trainer.fitNormalizer(references: references)
            let function = RewardModelFunction(model: RewardModel(trunk: model.trunk.withAdaptersMerged(), head: model.head),
                                               tokenizer: tokenizer, normalizer: normalizer)
            try function.save(to: rewardDirectory)
            return (function, result.evaluation?.accuracy, sampleAccuracy)
        }
        let rewardModel = RewardModelSummary(
            heldOutAccuracy: accuracy, noiseCeiling: data.noiseCeiling, sampleAccuracy: sampleAccuracy,
            sampleCeiling: samplePairs.isEmpty ? nil : try data.task?.noiseCeiling(of: samplePairs),
            samplePairs: samplePairs.count, addedComparisons: comparisons.count - data.comparisons.count,
            rankings: data.rankings.count, rankingSize: config.rankingSize)
        for line in rewardModel.lines { log(line) }

        // MARK: 4. PPO and PPO-ptx from the SFT model against the reward model
        let tokens = TokenConventions(padToken: pad, stopTokens: stopTokens)
        func ppo(_ name: String, ptx: Bool) throws -> GPT {
            let modelName = ptx ? "ppo-ptx" : "ppo"
            return try clock.resumable(name, restore: { _ in try loadModel(modelName) }) { () throws -> GPT in
                var c = PPOConfig()
                (c.seed, c.iterations, c.batchSize) = (config.seed, config.capped(config.ppoIterations), config.ppoBatchSize)
                (c.learningRate, c.maximumNewTokens) = (config.ppoLearningRate, config.maximumNewTokens)
                (c.klCoefficient, c.adaptiveKL, c.klTarget) = (config.klCoefficient, config.klTarget > 0, Swift.max(config.klTarget, 1e-6))
                c.ptxCoefficient = ptx ? config.ptxCoefficient : 0
                let policy = try sft.fineTunable(lora: lora, seed: config.seed)
                let blocks = ptx ? try mixBlocks(data.pretrainingMix, fallback: pretrainer.data, tokenizer: tokenizer, pad: pad) : nil
                let trainer = try PPOTrainer(config: c, policy: policy, reference: sft.frozenReference(lora: lora),
                                             reward: .rewardModel(reward.normalizedModel()), tokenizer: tokenizer,
                                             tokens: tokens, pretraining: blocks)
                let checkpoints = checkpointDirectory(modelName)
                try clock.continueTrainer(run: run, phase: name, checkpoints: checkpoints) { try trainer.loadCheckpoint(from: $0); return trainer.iteration }
                try trainer.train(prompts: data.rlPrompts, checkpointDirectory: checkpoints, checkpointEvery: checkpointInterval / 10,
                                  keepCheckpoints: 1) { event in
                    if case .step(let step, let total, let metrics) = event, step % 10 == 0 || step == total {
                        self.log(String(format: "%@ iteration %d/%d: reward %.3f, KL %.3f, β %.4f", name, step, total ?? 0,
                                        metrics["objective/raw_score"] ?? .nan, metrics["objective/kl"] ?? .nan,
                                        metrics["objective/kl_coef"] ?? .nan))
                    }
                    if case .warning(let text) = event { self.log("warning: \(text)") }
                    return self.record(event, phase: name, logSteps: false)
                }
                try clock.stopUnlessComplete(name, done: trainer.iteration, of: c.iterations)
                return try save(policy, tokenizer, modelName)
            }
        }
        let ppoModel = try ppo("PPO", ptx: false)
        let ptxModel = try ppo("PPO-ptx", ptx: true)
        let additional = try runAdditionalMethods(data: data, comparisons: comparisons, sft: sft, reward: reward, tokenizer: tokenizer, tokens: tokens)

        // MARK: 5. Evaluation: base, SFT, best-of-n, PPO, PPO-ptx on the evaluation prompts
        try clock.stopIfRequested(during: "evaluation")
        try run.removeSamples { _ in true }   // the evaluation writes every sample; an interrupted one starts over
        let rows = try stage("evaluation") { () throws -> [PipelineRow] in
            let evaluator = PipelineEvaluator(config: config, data: data, tokenizer: tokenizer, sft: sft, reward: reward,
                                              heldOutText: heldOutText, padToken: pad, stopTokens: stopTokens, run: run,
                                              probes: data.task?.corpusProbes(count: config.maximumSteps > 0 ? 5 : 100) ?? [])
            var rows: [PipelineRow] = []
            for (name, model) in [("base", base), ("SFT", sft)] { rows.append(try evaluator.evaluate(name, model)) }
            rows += try evaluator.evaluateBestOfN()
            for (name, model) in [("PPO", ppoModel), ("PPO-ptx", ptxModel)] + additional { rows.append(try evaluator.evaluate(name, model)) }
            return rows
        }.map { row in
            var row = row
            row.trainingSeconds = stageSeconds.first { $0.0 == row.system }?.1
            return row
        }

        // MARK: 6. Report
        let table = try PipelineReport.table(rows)
        let differences = try PipelineClaims.pairedDifferences(rows, resamples: config.bootstrapResamples, seed: config.seed &+ 51)
        let result = PipelineResult(rows: rows, rewardModel: rewardModel, stageSeconds: stageSeconds, table: table,
                                    differences: differences, claims: PipelineClaims.claims(rows, differences))
        try PipelineReport.write(result, config: config, to: run)
        try writeCurves()
        return result
    }

    /// reward.svg and kl.svg: the reward-model score and KL of every PPO iteration, from metrics.jsonl.
    func writeCurves() throws {
        let records = try run.readMetrics()
        for (key, file, label) in [("objective/raw_score", "reward.svg", "reward-model score"), ("objective/kl", "kl.svg", "KL from SFT (nats)")] {
            let series = ["PPO", "PPO-ptx"].map { phase in
                PlotSeries(name: phase, points: records.compactMap { r in
                    guard r["phase"] as? String == phase, let step = r["step"] as? Int, let value = r[key] as? Double else { return nil }
                    return (Double(step), value)
                })
            }
            let svg = svgLineChart(title: "\(label) during PPO", xLabel: "iteration", yLabel: label, series: series)
            try run.writeAtomically(Data(svg.utf8), to: file)
        }
    }

    // MARK: - Resuming

    /// Training steps between the checkpoints a stopped stage continues from (PPO: a tenth of it).
    var checkpointInterval: Int { 100 }

    /// Where the trainer of a stage writes its checkpoints.
    func checkpointDirectory(_ stage: String) -> URL { output.appendingPathComponent("checkpoints/\(stage)") }

    func loadModel(_ name: String) throws -> GPT { try GPT.load(from: output.appendingPathComponent("models/\(name)")).model }

    /// Appends step and evaluation metrics to metrics.jsonl; stops the trainer (which then writes a checkpoint)
    /// when a stop was requested.
    /// Appends a trainer's report to metrics.jsonl and, unless the stage logs its own lines (`logSteps` false), logs
    /// a plain progress line at least every 10 s, so a log file shows the run is alive and how far it is.
    func record(_ event: TrainingEvent, phase: String, logSteps: Bool = true) -> TrainingDisposition {
        switch event {
        case .step(let step, let total, let metrics):
            try? run.appendMetrics(step: step, phase: phase, metrics)
            if logSteps, let line = stepReporter.dueLine(phase, step: step, total: total, metrics: metrics) { log(line) }
        case .evaluation(let step, let metrics):
            try? run.appendMetrics(step: step, phase: phase, metrics)
        default: break
        }
        return clock.shouldStop() ? .stop : .continue
    }

    /// Saves `model` (its adapters merged, with LoRA) as `models/<name>` and returns what was saved, so a resumed
    /// run, which loads it, evaluates the same model.
    @discardableResult
    func save(_ model: GPT, _ tokenizer: any Tokenizer, _ name: String) throws -> GPT {
        let plain = model.withAdaptersMerged()
        try plain.save(to: output.appendingPathComponent("models/\(name)")) { try tokenizer.save(to: $0) }
        return plain
    }

    /// PPO-ptx's pretraining blocks: `documents` (fresh text from the pretraining distribution) when there are any,
    /// otherwise the base model's training split, `fallback`.
    func mixBlocks(_ documents: [String], fallback: TokenBlocks, tokenizer: any Tokenizer, pad: Int32) throws -> PretrainingBlocks {
        guard !documents.isEmpty, let endOfText = tokenizer.id(forSpecialToken: "<|endoftext|>") else {
            let blocks = try pretrainingBlocks(fallback, pad: pad)
            log("PPO-ptx re-reads the pretraining corpus's training split (\(blocks.blocks.count) blocks)")
            return blocks
        }
        let fresh = try TokenBlocks(documents: documents, tokenizer: tokenizer, endOfText: endOfText,
                                    blockLength: fallback.blockLength, validationFraction: 0)
        let blocks = try pretrainingBlocks(fresh, pad: pad)
        log("PPO-ptx reads fresh pretraining text (\(PipelineData.mixFile), \(blocks.blocks.count) blocks)")
        return blocks
    }

    /// The training split of a pretraining stream cut into blocks, for SFT's mix and PPO-ptx (the held-out LM loss
    /// is measured on the base model's validation split, which neither sees).
    func pretrainingBlocks(_ data: TokenBlocks, pad: Int32) throws -> PretrainingBlocks {
        let length = Swift.min(64, data.blockLength)
        let blocks = stride(from: 0, to: data.trainingCount - length, by: length).map { Array(data.tokens[$0..<($0 + length)]) }
        return try PretrainingBlocks(blocks: blocks, padToken: pad)
    }
}

extension ConfidenceInterval {
    /// The interval stored by `values(key:)`, or nil when `values` lacks it.
    init?(_ values: [String: Double], key: String) {
        guard let estimate = values["\(key)/estimate"], let lower = values["\(key)/lower"], let upper = values["\(key)/upper"],
              let confidence = values["\(key)/confidence"] else { return nil }
        self.init(estimate: estimate, lower: lower, upper: upper, confidence: confidence)
    }

    /// The interval as `key/estimate`, `key/lower`, `key/upper` and `key/confidence` (for a stage ledger).
    func values(key: String) -> [String: Double] {
        ["\(key)/estimate": estimate, "\(key)/lower": lower, "\(key)/upper": upper, "\(key)/confidence": confidence]
    }
}
