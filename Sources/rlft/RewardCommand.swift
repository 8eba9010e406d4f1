// `rlft reward`: a reward model from a model directory, trained on pairwise or ranked comparison JSONL.
import Evaluation
import Distributed
import Foundation
import LanguageModels
import RewardModeling
import Runs
import Tasks
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

extension RewardModelConfig: DocumentedConfiguration {
    /// The clip shares its name with every other trainer (`maximumGradientNorm`); the former one still works.
    public static let renamedFields = ["gradientClipNorm": "maximumGradientNorm"]
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("learningRate", "peak AdamW learning rate (warm-up, then cosine decay)"),
        ("epochs", "passes over the comparisons (InstructGPT: 1)"),
        ("steps", "updates of the whole run; when > 0 it replaces epochs"),
        ("batchSize", "prompts per update; each brings all of its compared completions"),
        ("warmupSteps", "linear warm-up steps"),
        ("minimumLearningRateRatio", "final learning rate as a fraction of the peak"),
        ("weightDecay", "decoupled weight decay on matrices"),
        ("maximumGradientNorm", "clip the global gradient norm (0 = off)"),
        ("margin", "margin m in −log σ(r_w − r_l − m)"),
        ("centeringCoefficient", "coefficient of the centring term c·mean((r_w + r_l)²); TRL suggests 0.01"),
        ("explodeRankings", "treat each pair of a ranking as its own example instead of K-choose-2 grouping"),
        ("sharePrompts", "score a prompt's completions in one row holding the prompt once (same scores, fewer tokens)"),
        ("groupByLength", "batch comparisons of similar length together (less padding)"),
        ("normalization", "after training: none, referenceMean (reference outputs score mean 0) or referenceMeanAndStandardDeviation"),
        ("evaluationInterval", "steps between held-out evaluations"),
        ("scoringBatchSize", "completions per scoring forward pass"),
        ("bootstrapResamples", "bootstrap resamples for confidence intervals"),
        ("seed", "seed of the head initialisation, data order and bootstrap"),
    ]
}

enum RewardCommand: Command {
    static let name = "reward"
    static let summary = "train a reward model on pairwise or ranked comparisons (Bradley–Terry, K-choose-2)"
    static let extraOptions: [(String, String)] = [
        ("train FILE", "comparison JSONL: {prompt, chosen, rejected} or {prompt, completions (best first)}, e.g. data/comparisons.jsonl (required)"),
        ("model DIR", "the model directory to initialise the trunk from, usually the SFT checkpoint (required)"),
        ("out DIR", "the run directory to write (required)"),
        ("validation FILE", "held-out comparison JSONL for pairwise accuracy, e.g. data/eval_comparisons.jsonl"),
        ("references FILE", "prompt–completion JSONL of reference outputs for normalisation, e.g. data/sft.jsonl (required unless normalization is none)"),
    ] + TrainingRun.checkpointOptions + [TrainingRun.overwriteOption, DataParallel.threadsOption] + LoRAOptions.help
    static var help: String {
        RewardModelConfig.helpText(command: name, summary: summary, extraOptions: extraOptions)
            + "\n\nCtrl-C finishes the current step, writes a checkpoint and exits; --resume DIR continues from it."
            + "\nWith --lora-rank, the trunk trains LoRA adapters and the reward head trains in full; OUT/model/ holds the"
            + " merged reward model."
            + DataParallel.helpNote
    }
    /// Options saved in options.json so that --resume needs only the run directory.
    static let dataKeys: Set<String> = Set(["train", "model", "validation", "references", "checkpoint-every", "keep-checkpoints"])
        .union(LoRAOptions.keys)

    static func run(_ given: CommandLineArguments) throws {
        let reserved = Set<String>(["train", "model", "out", "validation", "references", "quiet", "overwrite"]).union(TrainingRun.checkpointKeys)
            .union(LoRAOptions.keys).union(DataParallel.keys)
        let communicator = DataParallel.communicator
        let (arguments, resuming) = try TrainingRun.arguments(given, keys: dataKeys)
        try DataParallel.applyThreads(arguments)
        let trainPath = try arguments.required("train", "the comparison JSONL, e.g. --train data/comparisons.jsonl")
        let modelPath = try arguments.required("model", "the model to start from, e.g. --model runs/sft/model")
        let outURL = communicator.isRoot ? try TrainingRun.outputDirectory(arguments, resuming: resuming, example: "runs/rm")
            : try DataParallel.followerOutput(arguments)
        let config = try RewardModelConfig.load(arguments: arguments, reserved: reserved)
        let referencesPath = arguments.options["references"]
        if config.normalization != .none && referencesPath == nil {
            throw ConfigurationError.missingRequired(option: "--references", hint: "normalization \(config.normalization.rawValue) needs reference outputs, e.g. --references data/sft.jsonl (or --normalization none)")
        }
        let checkpointEvery = try TrainingRun.positiveInteger(arguments, "checkpoint-every", default: 50)
        let keepCheckpoints = max(1, try TrainingRun.positiveInteger(arguments, "keep-checkpoints", default: 2))
        let lora = try LoRAOptions.config(arguments)
        let trunk = try LoRAOptions.adapt(GPT.load(from: URL(fileURLWithPath: modelPath)).model, lora, seed: config.seed)
        let tokenizer = try loadTokenizer(from: URL(fileURLWithPath: modelPath))
        let pad = RunSupport.padToken(tokenizer), context = trunk.config.contextLength
        var rng = SeededGenerator(seed: config.seed)
        let model = RewardModel(trunk: trunk, using: &rng)
        let training = try readComparisons(trainPath, tokenizer: tokenizer, context: context)
        let validationRecords = try arguments.options["validation"].map { try RunSupport.read(PreferenceRecord.self, $0) }
        let validation = try validationRecords.map { try ComparisonGroup.encode($0, tokenizer: tokenizer, contextLength: context) } ?? []
        let trainer = try RewardModelTrainer(model: model, config: config, padToken: pad, training: training, validation: validation,
                                             communicator: communicator)
        guard communicator.isRoot else {
            // Ranks other than 0 train in step with it and write nothing.
            if resuming { try trainer.resume(from: outURL.appendingPathComponent("checkpoints")) }
            Interrupt.install()
            try trainer.train(checkpointDirectory: outURL.appendingPathComponent("checkpoints"), checkpointEvery: checkpointEvery,
                              keepCheckpoints: keepCheckpoints, progress: DataParallel.followerProgress)
            return
        }
        // Everything is checked: only now does the run directory appear.
        let out = try TrainingRun.openRun(outURL, arguments, resuming: resuming)
        if !resuming {
            try out.writeAtomically(try config.jsonData(), to: "config.json")
            try TrainingRun.saveOptions(arguments, keys: dataKeys, to: out)
        }
        let printer = ProgressPrinter(keys: ["reward/loss", "reward/accuracy", "reward/validation_accuracy"])
        printer.line("rlft reward: \(trainer.trainingGroups.count) prompts of comparisons, \(validation.count) held out, \(trainer.totalSteps) steps")
        let checkpoints = out.file("checkpoints")
        if resuming {
            let step = try trainer.resume(from: checkpoints)
            try TrainingRun.truncateLogs(out, afterStep: step)
            printer.line("rlft reward: resuming \(out.url.path) at step \(step) of \(trainer.totalSteps)")
        }
        Interrupt.install()
        let writeFailure = RunWriteFailure()
        let result = try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints,
                                       progress: TrainingRun.progress(out, printer: printer, command: "reward", failure: writeFailure))
        try writeFailure.rethrow()
        let charts = writeCharts(out)
        if result.steps < trainer.totalSteps { return }

        var normalizer = RewardNormalizer()
        if let referencesPath {
            let references = try RunSupport.read(PromptCompletionRecord.self, referencesPath)
            let rows = try references.map { try tokenizer.encode($0.prompt) + tokenizer.encode($0.completion) }
                .map { Array($0.prefix(context)) }
            normalizer = try trainer.fitNormalizer(references: rows)
        }
        // A reward-model directory holds plain weights: adapters are merged into the trunk.
        let saved = lora == nil ? model : RewardModel(trunk: model.trunk.mergingLoRA(requiresGrad: false), head: model.head)
        let function = RewardModelFunction(model: saved, tokenizer: tokenizer, normalizer: normalizer, padToken: pad)
        try TrainingRun.saveModel(at: out.file("model")) { try function.save(to: $0) }
        TrainingRun.linkFormerModelDirectory(out)
        printer.line(String(format: "saved the reward model to %@ (normaliser gain %.4f, bias %.4f)", out.file("model").path, normalizer.gain, normalizer.bias))

        var table = ResultTable(columns: ["held-out set", "pairs", "accuracy", "mean margin", "noise ceiling"])
        if let evaluation = result.evaluation, let records = validationRecords {
            // The annotators' own noise bounds the achievable accuracy on instruction-task comparisons.
            let ceiling: ResultCell = (try? InstructionTask.noiseCeiling(of: records)).map { .number($0) } ?? .missing
            try table.addRow([.text(arguments.options["validation"]!), .number(Double(evaluation.pairCount), decimals: 0),
                              .interval(evaluation.accuracy), .interval(evaluation.meanMargin), ceiling])
            var summary = evaluation.metrics
            if case .number(let c, _) = ceiling { summary["reward/noise_ceiling"] = c }
            try out.appendMetrics(step: result.steps, phase: "final", summary)
        }
        var facts = ["\(result.steps) steps of \(config.batchSize) prompts at learning rate \(config.learningRate) on `\(trainPath)`, trunk from `\(modelPath)`",
                     "\(trainer.trainingGroups.count) prompts of comparisons, \(validation.count) held out, \(model.parameterCount) parameters",
                     String(format: "final training loss %.4f", result.finalTrainingLoss),
                     String(format: "normaliser (%@): gain %.4f, bias %.4f", config.normalization.rawValue, normalizer.gain, normalizer.bias)]
        if result.evaluation == nil { facts.append("no held-out comparisons (--validation) were given") }
        try TrainingRun.writeReport(out, title: "rlft reward", facts: facts, table: table.markdown(), charts: charts)
        printer.line("")
        printer.line(table.markdown())
    }

    /// loss.svg: the Bradley–Terry loss; accuracy.svg: training-batch and held-out pairwise accuracy.
    static func writeCharts(_ run: RunDirectory) -> [(file: String, caption: String)] {
        var charts: [(file: String, caption: String)] = []
        if (try? TrainingRun.writeChart(run, file: "loss.svg", title: "Reward-model loss", yLabel: "−log σ(r_w − r_l)",
                                        keys: [("reward/loss", "training")])) == true {
            charts.append(("loss.svg", "training loss"))
        }
        if (try? TrainingRun.writeChart(run, file: "accuracy.svg", title: "Pairwise accuracy", yLabel: "accuracy",
                                        keys: [("reward/accuracy", "training batch"), ("reward/validation_accuracy", "held out")])) == true {
            charts.append(("accuracy.svg", "pairwise accuracy"))
        }
        return charts
    }

    /// Ranked records when the file has `completions`, pairwise records otherwise.
    static func readComparisons(_ path: String, tokenizer: any Tokenizer, context: Int) throws -> [ComparisonGroup] {
        if let ranked = try? RunSupport.read(RankedRecord.self, path) {
            return try ComparisonGroup.encode(ranked, tokenizer: tokenizer, contextLength: context)
        }
        return try ComparisonGroup.encode(try RunSupport.read(PreferenceRecord.self, path), tokenizer: tokenizer, contextLength: context)
    }
}

extension InstructionTask {
    /// The training annotator group's noise ceiling on instruction-task comparisons read from a file.
    static func noiseCeiling(of records: [PreferenceRecord]) throws -> Double {
        let pairs = try records.map { (instruction: try Instruction(prompt: $0.prompt), a: $0.chosen, b: $0.rejected) }
        return AnnotatorGroup.training.noiseCeiling(pairs)
    }
}
