// The RLP experiment (Lang et al. 2024, arXiv 2403.19279, Table 2 in miniature) on the built-in instruction task:
// SFT, best-of-n, PPO, RLP-UML and RLP-SPG, judged against the reference system by the training and the held-out
// annotators, with the reward model's accuracy on the policy's own samples before and after retraining.
import Foundation
import BestOfN
import Evaluation
import LanguageModels
import PPO
import Pretraining
import RLP
import RewardModeling
import Runs
import SFT
import Tasks
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// One system's numbers in one seed.
public struct RLPSystemResult: Sendable {
    public var system: String
    public var seed: UInt64
    /// Expected win-rate against the reference by the training annotators (ties ½).
    public var winRateTraining: Double
    /// The same by the held-out annotators.
    public var winRateHeldOut: Double
    /// Expected win-rate against the reference by the training annotators on the validation prompts (RL prompts
    /// outside P and outside PPO's training prompts; 4 samples each at the evaluation temperature): the gold-free
    /// signal PPO's shared settings are chosen on. Nil for best-of-n.
    public var validationWinRate: Double?
    /// Mean gold score.
    public var gold: Double
    /// Pairwise accuracy on gold-labelled pairs of PPO-policy samples of the reward model this system optimised
    /// (PPO: the first reward model; RLP rows: the retrained one); nil for SFT and best-of-n.
    public var rewardModelAccuracy: Double?
    /// The same reward model's pairwise accuracy on gold-labelled pairs of SFT samples (same prompts); nil for SFT
    /// and best-of-n.
    public var rewardModelAccuracyOnSFTSamples: Double?
    /// The same reward model's pairwise accuracy on the same PPO samples, paired and labelled by the training
    /// annotators (the higher expected win credit against the reference wins), never by gold: the validation signal
    /// RLP-UML's λ is chosen on. Nil for SFT and best-of-n.
    public var rewardModelValidationAccuracy: Double?
    /// RLP-SPG: the fraction of unlabelled prompts that yielded a synthetic pair.
    public var keptFraction: Double?
    /// RLP-SPG: the fraction of its synthetic pairs whose chosen response has the higher gold score, over the pairs
    /// whose gold scores differ (RLP's Table 5 quantity); measured by the experiment, never seen by SPG.
    public var syntheticPairAccuracy: Double?
    /// The comparisons the row's reward model trained on (PPO and RLP-UML: the human ones; RLP-SPG: human plus
    /// synthetic); nil for SFT and best-of-n.
    public var rewardModelComparisons: Int?
    /// Gold score of each evaluation prompt's completion, in prompt order (for paired differences).
    public var goldScores: [Double] = []
    /// Win credit (1, ½, 0) of each evaluation prompt's completion by the held-out annotators, in prompt order.
    public var heldOutWinCredits: [Double] = []
}

/// What the experiment produced.
public struct RLPExperimentResult: Sendable {
    /// Every system × seed.
    public var results: [RLPSystemResult]
    /// The Markdown table (mean ± std over seeds).
    public var table: String
    /// Each system's paired difference from PPO on the same prompts, pooled over seeds (Markdown).
    public var differenceTable: String
    /// The paper's claims (RLP, arXiv 2403.19279, Table 2), each with ✓ or ✗.
    public var claims: [PaperClaim]
    /// Wall-clock seconds of each stage, in order.
    public var stageSeconds: [(String, Double)]
}

/// Runs the RLP experiment into an output directory: `config.json`, `metrics.jsonl` (every stage, `phase` =
/// `seed<k>/<stage>`), `samples.jsonl` (every evaluated completion with its scores and seed), `report.md`.
public final class RLPExperiment {
    public let config: RLPExperimentConfig
    public let output: URL
    let log: (String) -> Void
    let run: RunDirectory
    let clock: StageClock

    /// Polled after every training step and between stages; true stops the run after the current step (with a
    /// checkpoint where the stage has one) with `RunInterrupted`. Set it to read a Ctrl-C flag.
    public var shouldStop: () -> Bool {
        get { clock.shouldStop }
        set { clock.shouldStop = newValue }
    }

    /// - Parameters:
    ///   - resuming: continue the interrupted run in `output` (with its own configuration): trained models are
    ///     loaded from `models/`, a stopped PPO stage continues from its checkpoint, sampling and evaluation run
    ///     again, and the results match an uninterrupted run's (same thread count).
    ///   - log: one line per noteworthy event (the library never prints).
    /// - Throws: `ConfigurationError` for a bad configuration; `RunResumeError`; file errors.
    public init(config: RLPExperimentConfig, output: URL, resuming: Bool = false,
                log: @escaping (String) -> Void = { _ in }) throws {
        try config.validate()
        self.config = config
        self.output = output
        self.log = log
        clock = StageClock(log: log)
        run = try RunDirectory(output)
        clock.ledger = try StageLedger(run: run, resuming: resuming, configuration: config)
        clock.directory = output.path
        try run.writeAtomically(try config.jsonData(), to: "config.json")
    }

    /// A stage that trains a model saved in `models/<file>`: loaded from there when a resumed run finished it;
    /// otherwise `body` trains it (throwing `RunInterrupted` when stopped). A stage without checkpoints starts
    /// over, so the metrics it logged under `restartedPhase` are dropped first.
    func modelStage<T>(_ name: String, restartedPhase: String?, file: String, load: (URL) throws -> T, save: (T, URL) throws -> Void,
                       _ body: () throws -> T) throws -> T {
        let url = run.file("models/\(file)")
        return try clock.resumable(name, restore: { _ in try load(url) }) {
            if let restartedPhase { try run.removeMetrics { $0["phase"] as? String == restartedPhase } }
            let product = try body()
            try clock.stopIfRequested(during: name)
            try save(product, url)
            return product
        }
    }

    /// Times a stage (see `StageClock`).
    func stage<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try clock.stopIfRequested(during: name)
        return try clock.time(name, body)
    }

    /// Every finished stage and its seconds.
    var stageSeconds: [(String, Double)] { clock.stages }
    /// Turns trainers' step reports into periodic log lines.
    let stepReporter = StepReporter(interval: 10)

    /// Appends a trainer's reports to metrics.jsonl and logs a plain progress line at least every 10 s.
    func record(_ phase: String) -> TrainingProgress {
        { event in
            switch event {
            case .step(let step, let total, let metrics):
                try? self.run.appendMetrics(step: step, phase: phase, metrics)
                if let line = self.stepReporter.dueLine(phase, step: step, total: total, metrics: metrics) { self.log(line) }
            case .evaluation(let step, let metrics):
                try? self.run.appendMetrics(step: step, phase: phase, metrics)
            case .warning(let text): self.log("warning: \(text)")
            default: break
            }
            return self.clock.shouldStop() ? .stop : .continue
        }
    }

    /// Everything shared by the seeds.
    struct Shared {
        var task: InstructionTask
        var tokenizer: any Tokenizer
        var sft: GPT
        var pad: Int32
        var stopTokens: [Int32]
        var references: [[Int32]]
        var evaluationPrompts: [String]
    }

    /// Runs every stage and writes the report.
    ///
    /// - Throws: `RunInterrupted` when `shouldStop` asked for a stop (resume with `resuming: true`).
    public func runAll() throws -> RLPExperimentResult {
        if config.threads > 0 { Compute.threadCount = config.threads }
        // Sampling and evaluation always run again, so what they logged goes.
        try run.removeSamples { _ in true }
        try run.removeMetrics { record in
            guard let phase = record["phase"] as? String else { return false }
            return ["/rlp", "/RLP-UML", "/RLP-SPG"].contains { phase.hasSuffix($0) }
        }
        let shared = try prepare()
        var results: [RLPSystemResult] = []
        for seed in config.seeds { results += try runSeed(seed, shared) }
        let systems = ["SFT", "best-of-\(config.samplesPerPrompt)", "PPO"] + config.rlpVariants.map(Self.systemName)
        let table = try RLPReport.table(results, systems: systems)
        let comparison = try RLPReport.pairedAgainstPPO(results, systems: systems)
        try RLPReport.write(table: table, comparison: comparison, results: results, config: config, stageSeconds: stageSeconds, to: run)
        return RLPExperimentResult(results: results, table: table, differenceTable: comparison.table, claims: comparison.claims,
                                   stageSeconds: stageSeconds)
    }

    /// The task, the base model and the SFT model (seed 0 of the task; shared by every seed).
    func prepare() throws -> Shared {
        var taskConfig = InstructionTaskConfig()
        taskConfig.families = config.families
        taskConfig.evaluationCount = config.evaluationPrompts
        taskConfig.rlPromptCount = Swift.max(config.unlabeledPrompts + config.accuracyPrompts, config.ppoBatchSize * 4)
        let task = try stage("task") { try InstructionTask(config: taskConfig) }
        let (base, tokenizer) = try modelStage("pretraining", restartedPhase: "pretrain", file: "base", load: { try loadModelDirectory($0) },
                                               save: { try saveModelDirectory($0.0, tokenizer: $0.1, to: $1) }) { () throws -> (GPT, any Tokenizer) in
            var c = PretrainingConfig()
            (c.layerCount, c.headCount, c.embeddingSize, c.contextLength) = (config.layers, config.heads, config.width, config.contextLength)
            (c.steps, c.batchSize, c.blockLength) = (Swift.max(1, config.pretrainSteps), 32, config.contextLength)
            (c.learningRate, c.warmupSteps, c.seed) = (3e-3, Swift.min(50, c.steps), 0)
            (c.validationInterval, c.sampleInterval, c.checkpointInterval) = (c.steps, 0, 0)
            c.sampleLength = Swift.min(c.sampleLength, config.contextLength - 1)
            let trainer = try PretrainingTrainer(config: c, documents: task.pretrainingCorpus().map(\.text), outputDirectory: nil)
            // 0 steps: SFT starts from the randomly initialised model (the tokenizer still comes from here).
            if config.pretrainSteps > 0 { try trainer.train(progress: record("pretrain")) }
            return (trainer.model, trainer.tokenizer)
        }
        guard let pad = tokenizer.id(forSpecialToken: "<|pad|>"), let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") else {
            throw ConfigurationError.missing(what: "the tokenizer's <|pad|> or <|endoftext|>", fix: "add both with addSpecialTokens")
        }
        let newline = try tokenizer.encode("\n")
        let sft = try modelStage("supervised fine-tuning", restartedPhase: "sft", file: "sft", load: { try GPT.load(from: $0).model },
                                 save: { try $0.save(to: $1) }) { () throws -> GPT in
            var c = SFTConfig()
            (c.steps, c.seed) = (config.sftSteps, 0)
            c.warmupSteps = Swift.min(c.warmupSteps, c.steps)
            c.evaluationInterval = Swift.max(1, Swift.min(100, c.steps))
            let model = base.copy()
            let examples = try SFTExample.encode(task.demonstrations, tokenizer: tokenizer, contextLength: config.contextLength)
            _ = try SFTTrainer(model: model, config: c, padToken: pad, training: examples).train(progress: record("sft"))
            return model
        }
        let references = try task.demonstrations.prefix(256).map { try tokenizer.encode($0.prompt) + tokenizer.encode($0.completion) }
        return Shared(task: task, tokenizer: tokenizer, sft: sft, pad: pad, stopTokens: (newline.count == 1 ? newline : []) + [eos],
                      references: references, evaluationPrompts: task.evaluation.map(\.prompt))
    }

    var rewardConfig: RewardModelConfig {
        var c = RewardModelConfig()
        (c.epochs, c.learningRate, c.batchSize, c.bootstrapResamples) = (config.rewardEpochs, config.rewardLearningRate, config.rewardBatchSize, 200)
        c.steps = config.rewardSteps   // the same budget for every reward model (0: epochs over its own data)
        c.warmupSteps = 2
        return c
    }

    /// The table's name of an RLP variant's system.
    static func systemName(_ variant: RLPVariant) -> String { variant == .uml ? "RLP-UML" : "RLP-SPG" }

    /// Every stage after SFT for one seed.
    func runSeed(_ seed: UInt64, _ s: Shared) throws -> [RLPSystemResult] {
        let tag = "seed\(seed)"
        func policy(_ model: GPT) -> TextPolicy { TextPolicy(model: model, tokenizer: s.tokenizer, padToken: s.pad, stopTokens: s.stopTokens) }
        // The human comparison set D.
        let human = try stage("\(tag) human comparisons") { try humanComparisons(seed: seed, s, policy: policy(s.sft)) }
        try run.appendMetrics(step: 0, phase: "\(tag)/rlp", ["rlp/human_comparisons": Double(human.count)])
        var rmConfig = rewardConfig
        rmConfig.seed = seed
        let reward = try modelStage("\(tag) reward model", restartedPhase: "\(tag)/reward", file: "\(tag)/reward",
                                    load: { try RewardModelFunction.load(from: $0) }, save: { try $0.save(to: $1) }) { () throws -> RewardModelFunction in
            var headRNG = SeededGenerator(seed: seed)
            let model = RewardModel(trunk: s.sft.copy(), using: &headRNG)
            let groups = try ComparisonGroup.encode(human, tokenizer: s.tokenizer, contextLength: config.contextLength)
            let trainer = try RewardModelTrainer(model: model, config: rmConfig, padToken: s.pad, training: groups)
            try trainer.train(progress: record("\(tag)/reward"))
            return RewardModelFunction(model: model, tokenizer: s.tokenizer, normalizer: try trainer.fitNormalizer(references: s.references),
                                       padToken: s.pad)
        }
        // Unlabelled prompts: P's prompts and, disjoint from them, the accuracy prompts, which are also the validation
        // prompts; PPO trains on the RL prompts without them, so the validation win-rate is measured on held-out prompts.
        let unlabeled = s.task.rlPrompts.map(\.prompt)
        let samplePrompts = Array(unlabeled.prefix(config.unlabeledPrompts))
        let accuracyPrompts = Array(unlabeled.dropFirst(config.unlabeledPrompts).prefix(config.accuracyPrompts))
        let validation = Set(accuracyPrompts)
        let ppoPrompts = unlabeled.filter { !validation.contains($0) }

        func ppo(_ name: String, _ rm: RewardModelFunction) throws -> GPT {
            let file = "\(tag)/\(name.lowercased().replacingOccurrences(of: " ", with: "-"))"
            return try modelStage("\(tag) \(name)", restartedPhase: nil, file: file, load: { try GPT.load(from: $0).model },
                                  save: { try $0.save(to: $1) }) { () throws -> GPT in
                var c = PPOConfig()
                (c.seed, c.iterations, c.batchSize) = (seed, config.ppoIterations, config.ppoBatchSize)
                (c.learningRate, c.maximumNewTokens, c.klCoefficient) = (config.ppoLearningRate, config.maximumNewTokens, config.klCoefficient)
                c.temperature = config.ppoTemperature
                let policy = s.sft.copy()
                let trainer = try PPOTrainer(config: c, policy: policy, reference: s.sft.frozenCopy(),
                                             reward: .rewardModel(rm.normalizedModel()), tokenizer: s.tokenizer,
                                             tokens: TokenConventions(padToken: s.pad, stopTokens: s.stopTokens))
                let checkpoints = run.file("checkpoints/\(file)")
                try clock.continueTrainer(run: run, phase: "\(tag)/\(name)", checkpoints: checkpoints) {
                    try trainer.loadCheckpoint(from: $0)
                    return trainer.iteration
                }
                try trainer.train(prompts: ppoPrompts, checkpointDirectory: checkpoints, checkpointEvery: 10, keepCheckpoints: 1,
                                  progress: record("\(tag)/\(name)"))
                try clock.stopUnlessComplete("\(tag) \(name)", done: trainer.iteration, of: c.iterations)
                return policy
            }
        }
        func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }
        /// The training annotators' expected win-rate against the reference on the validation prompts, 4 samples each
        /// at the evaluation temperature (never gold, never an evaluation prompt).
        func validationWinRate(_ model: GPT) throws -> Double {
            var g = SeededGenerator(seed: seed &+ 61)
            let prompts = accuracyPrompts.flatMap { Array(repeating: $0, count: 4) }
            let sampler = policy(model)
            let options = sampler.options(temperature: config.evaluationTemperature, maximumNewTokens: config.maximumNewTokens)
            let completions = try sampler.complete(prompts, options: options, using: &g)
            let credits = try s.task.expectedWinCredits(prompts: prompts, outputs: completions, judge: s.task.trainingAnnotators)
            return credits.reduce(0, +) / Double(Swift.max(1, credits.count))
        }
        func evaluate(_ name: String, _ completions: [String], validationOf model: GPT? = nil, accuracy: (sft: Double, policy: Double, validation: Double)? = nil,
                      spg: (kept: Double, pairAccuracy: Double)? = nil, comparisons: Int? = nil) throws -> RLPSystemResult {
            let prompts = s.evaluationPrompts
            var trainingBootstrap = SeededGenerator(seed: 0), heldOutBootstrap = SeededGenerator(seed: 0)
            let t = try scoreCompletions(prompts: prompts, completions: completions, judge: InstructionTaskJudge(task: s.task, judgeGroup: .training),
                                         resamples: 10, using: &trainingBootstrap)
            let h = try scoreCompletions(prompts: prompts, completions: completions, judge: InstructionTaskJudge(task: s.task, judgeGroup: .heldOut),
                                         resamples: 10, using: &heldOutBootstrap)
            for (i, (prompt, completion)) in zip(prompts, completions).enumerated() {
                try run.appendSample(method: name, prompt: prompt, completion: completion,
                                     scores: ["seed": Double(seed), "gold": t.goldScores[i], "win_training": t.winCredits[i], "win_held_out": h.winCredits[i]])
            }
            let result = RLPSystemResult(system: name, seed: seed, winRateTraining: t.winRate.estimate, winRateHeldOut: h.winRate.estimate,
                                         validationWinRate: try model.map(validationWinRate),
                                         gold: t.gold.estimate, rewardModelAccuracy: finite(accuracy?.policy),
                                         rewardModelAccuracyOnSFTSamples: finite(accuracy?.sft),
                                         rewardModelValidationAccuracy: finite(accuracy?.validation), keptFraction: spg?.kept,
                                         syntheticPairAccuracy: finite(spg?.pairAccuracy), rewardModelComparisons: comparisons, goldScores: t.goldScores, heldOutWinCredits: h.winCredits)
            log(String(format: "%@ %@: win-rate %.3f (training) %.3f (held-out), gold %.3f%@%@", tag, name, result.winRateTraining,
                       result.winRateHeldOut, result.gold,
                       result.validationWinRate.map { String(format: ", validation win-rate %.3f", $0) } ?? "",
                       accuracy.map { String(format: ", RM accuracy on SFT samples %.3f, on policy samples %.3f (training annotators' labels: %.3f)", $0.sft, $0.policy, $0.validation) } ?? ""))
            return result
        }
        func sample(_ model: GPT, salt: UInt64) throws -> [String] {
            var g = SeededGenerator(seed: seed &+ salt)
            return try policy(model).complete(s.evaluationPrompts, options: policy(model).options(temperature: config.evaluationTemperature,
                                                                                                  maximumNewTokens: config.maximumNewTokens), using: &g)
        }

        // PPO against the first reward model, and the baselines.
        let ppoModel = try ppo("PPO", reward)
        var rows: [RLPSystemResult] = []
        try stage("\(tag) evaluation: SFT, best-of-n, PPO") {
            rows.append(try evaluate("SFT", try sample(s.sft, salt: 31), validationOf: s.sft))
            var bon = BestOfNConfig()
            (bon.ns, bon.seed, bon.maximumNewTokens) = ([config.samplesPerPrompt], seed &+ 41, config.maximumNewTokens)
            bon.temperature = Double(config.evaluationTemperature)
            let bestOfN = try BestOfNSampler(policy: policy(s.sft), reward: reward, config: bon)
            rows.append(try evaluate("best-of-\(config.samplesPerPrompt)", try bestOfN.sample(prompts: s.evaluationPrompts).best(n: config.samplesPerPrompt)))
        }
        // P: n samples per unlabelled prompt from the PPO policy; gold-labelled pairs of fresh PPO samples and, on the
        // same prompts, of SFT samples: where the reward model is measured.
        var samplingRNG = SeededGenerator(seed: seed &+ 51)
        let (samples, accuracyPairs, sftAccuracyPairs, annotatorPairs) = try stage("\(tag) policy samples") {
            () throws -> ([PolicySampleGroup], [PreferenceRecord], [PreferenceRecord], [PreferenceRecord]) in
            let p = try samplePolicy(policy(ppoModel), prompts: samplePrompts, n: config.samplesPerPrompt, maximumNewTokens: config.maximumNewTokens, using: &samplingRNG)
            let q = try samplePolicy(policy(ppoModel), prompts: accuracyPrompts, n: 4, maximumNewTokens: config.maximumNewTokens, using: &samplingRNG)
            var sftRNG = SeededGenerator(seed: seed &+ 53)
            let qSFT = try samplePolicy(policy(s.sft), prompts: accuracyPrompts, n: 4, maximumNewTokens: config.maximumNewTokens, using: &sftRNG)
            let gold = { (prompt: String, completion: String) throws -> Double in try s.task.score(prompt: prompt, completion: completion) }
            let pairs = try goldLabelledPairs(q, gold: gold), sftPairs = try goldLabelledPairs(qSFT, gold: gold)
            let annotators = { (prompt: String, completion: String) throws -> Double in
                try s.task.expectedWinCredits(prompts: [prompt], outputs: [completion], judge: s.task.trainingAnnotators)[0]
            }
            let validationPairs = try goldLabelledPairs(q, gold: annotators)
            // Every policy sample is recorded: P (what SPG clusters and UML pairs) and the accuracy samples.
            for (method, groups) in [("PPO samples for retraining (P)", p), ("PPO samples for RM accuracy", q), ("SFT samples for RM accuracy", qSFT)] {
                for group in groups {
                    for response in group.responses {
                        try run.appendSample(method: method, prompt: group.prompt, completion: response,
                                             scores: ["seed": Double(seed), "gold": try s.task.score(prompt: group.prompt, completion: response)])
                    }
                }
            }
            return (p, pairs, sftPairs, validationPairs)
        }
        /// A reward model's accuracy on gold-labelled pairs of SFT samples and of PPO samples, and on the PPO samples'
        /// pairs labelled by the training annotators (NaN without pairs).
        func accuracies(_ rm: RewardModelFunction) throws -> (sft: Double, policy: Double, validation: Double) {
            func accuracy(_ pairs: [PreferenceRecord]) throws -> Double { pairs.isEmpty ? .nan : try pairwiseAccuracy(of: rm, on: pairs) }
            return (try accuracy(sftAccuracyPairs), try accuracy(accuracyPairs), try accuracy(annotatorPairs))
        }
        let accuracyBefore = try accuracies(reward)
        rows.append(try stage("\(tag) evaluation: PPO") { try evaluate("PPO", try sample(ppoModel, salt: 31), validationOf: ppoModel, accuracy: accuracyBefore, comparisons: human.count) })
        try run.appendMetrics(step: 0, phase: "\(tag)/rlp", ["rlp/accuracy_pairs": Double(accuracyPairs.count),
                                                          "rlp/sft_accuracy_pairs": Double(sftAccuracyPairs.count),
                                                          "rlp/accuracy_before": accuracyBefore.policy,
                                                          "rlp/sft_accuracy_before": accuracyBefore.sft,
                                                          "rlp/validation_accuracy_before": accuracyBefore.validation])

        // RLP-UML and RLP-SPG: retrain the reward model, PPO again from SFT, evaluate.
        var rlp = RLPConfig()
        (rlp.samplesPerPrompt, rlp.multiViewWeight, rlp.confidenceThreshold, rlp.seed) = (config.samplesPerPrompt, config.multiViewWeight, config.confidenceThreshold, seed)
        let retrainer = try RewardRetrainer(config: rlp, rewardConfig: rmConfig, tokenizer: s.tokenizer, padToken: s.pad)
        for variant in config.rlpVariants {
            let name = Self.systemName(variant)
            // The retrained reward model and the synthetic-preference statistics (SPG), kept for a resumed run.
            let stageName = "\(tag) \(name) reward retraining"
            let (retrained, statistics) = try clock.resumable(stageName, restore: { record in
                (try RewardModelFunction.load(from: run.file("models/\(tag)/\(name.lowercased())-reward")), record.values)
            }, values: { $0.1 }) { () throws -> (RewardModelFunction, [String: Double]) in
                try run.removeMetrics { $0["phase"] as? String == "\(tag)/\(name)/reward" }
                let result = try retrainer.retrain(variant, sft: s.sft, previous: reward, human: human, policySamples: samples, references: s.references,
                                                   progress: record("\(tag)/\(name)/reward"),
                                                   equivalent: { prompt, a, b in try s.task.statesSameAnswer(prompt: prompt, a, b) })
                try clock.stopIfRequested(during: stageName)
                try result.reward.save(to: run.file("models/\(tag)/\(name.lowercased())-reward"))
                guard let spg = result.synthetic else { return (result.reward, [:]) }
                // Table 5 of the paper: how often a synthetic pair agrees with gold (the experiment scores; SPG never does).
                var agreeing = 0, differing = 0
                for pair in spg.pairs {
                    let chosen = try s.task.score(prompt: pair.prompt, completion: pair.chosen)
                    let rejected = try s.task.score(prompt: pair.prompt, completion: pair.rejected)
                    if chosen != rejected { differing += 1 }
                    if chosen > rejected { agreeing += 1 }
                }
                var values = ["rlp/kept_fraction": spg.keptFraction, "rlp/below_threshold_fraction": spg.belowThresholdFraction,
                              "rlp/unanimous_fraction": spg.unanimousFraction, "rlp/synthetic_pairs": Double(result.syntheticPairCount)]
                // Only measured values: the stage ledger (JSON) holds no NaN.
                if differing > 0 { values["rlp/synthetic_pair_accuracy"] = Double(agreeing) / Double(differing) }
                if !spg.pairs.isEmpty { values["rlp/synthetic_pair_gold_ties"] = Double(spg.pairs.count - differing) / Double(spg.pairs.count) }
                return (result.reward, values)
            }
            let accuracyAfter = try accuracies(retrained)
            let metrics = statistics.merging(["rlp/accuracy_after": accuracyAfter.policy, "rlp/sft_accuracy_after": accuracyAfter.sft,
                                                   "rlp/validation_accuracy_after": accuracyAfter.validation]) { a, _ in a }
            var spgStatistics: (kept: Double, pairAccuracy: Double)?
            if let kept = statistics["rlp/kept_fraction"] {
                let pairAccuracy = statistics["rlp/synthetic_pair_accuracy"] ?? .nan
                spgStatistics = (kept, pairAccuracy)
                log(String(format: "%@ SPG kept %.2f of prompts (%.2f below γ, %.2f unanimous), %d synthetic pairs, %.2f of them right by gold (%.2f gold ties)",
                           tag, kept, statistics["rlp/below_threshold_fraction"] ?? Double.nan, statistics["rlp/unanimous_fraction"] ?? Double.nan,
                           Int(statistics["rlp/synthetic_pairs"] ?? 0), pairAccuracy, statistics["rlp/synthetic_pair_gold_ties"] ?? Double.nan))
            }
            try run.appendMetrics(step: 0, phase: "\(tag)/\(name)", metrics)
            let model = try ppo("\(name) PPO", retrained)
            rows.append(try stage("\(tag) evaluation: \(name)") {
                try evaluate(name, try sample(model, salt: 31), validationOf: model, accuracy: accuracyAfter, spg: spgStatistics,
                             comparisons: human.count + Int(statistics["rlp/synthetic_pairs"] ?? 0))
            })
        }
        return rows
    }
}
