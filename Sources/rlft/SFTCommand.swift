// `rlft sft`: supervised fine-tuning of a model directory on prompt–completion JSONL, with a run directory.
import Distributed
import Evaluation
import Foundation
import LanguageModels
import Runs
import SFT
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

extension SFTConfig: DocumentedConfiguration {
    /// The clip shares its name with every other trainer (`maximumGradientNorm`); the former one still works.
    public static let renamedFields = ["gradientClipNorm": "maximumGradientNorm"]
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("learningRate", "peak AdamW learning rate (warm-up, then cosine decay)"),
        ("steps", "number of optimizer updates (unless epochs is set)"),
        ("epochs", "passes over the training examples; when > 0 it sets the number of updates instead of steps"),
        ("batchSize", "examples per update"),
        ("warmupSteps", "linear warm-up steps"),
        ("minimumLearningRateRatio", "final learning rate as a fraction of the peak"),
        ("weightDecay", "decoupled weight decay on matrices"),
        ("beta1", "AdamW β₁"),
        ("beta2", "AdamW β₂"),
        ("maximumGradientNorm", "clip the global gradient norm (0 = off)"),
        ("completionOnly", "loss on completion tokens only (prompt and padding masked)"),
        ("packing", "pack several examples per row of the context length (block-diagonal attention, positions restart per example)"),
        ("validationFraction", "fraction of --train held out for validation when --validation is not given"),
        ("evaluationInterval", "steps between validation-loss measurements"),
        ("validationBatchSize", "examples per validation forward pass"),
        ("keepBestCheckpoint", "save and keep the parameters with the lowest validation loss"),
        ("seed", "seed of data order, dropout and evaluation sampling"),
        ("ptxCoefficient", "γ: weight of a language-modelling loss on --ptx-data text added to every update, to keep the model's language ability (0 = off)"),
        ("ptxBatchSize", "pretraining blocks per update when ptxCoefficient > 0"),
    ]
}

enum SFTCommand: Command {
    static let name = "sft"
    static let summary = "supervised fine-tuning on prompt–completion JSONL (completion-only loss)"
    static let extraOptions: [(String, String)] = [
        ("train FILE", "prompt–completion JSONL to train on, e.g. data/sft.jsonl (required)"),
        ("model DIR", "the base model directory (GPT-2 files and tokenizer), e.g. runs/base/model, as rlft pretrain --out runs/base writes it (required)"),
        ("out DIR", "the run directory to write (required)"),
        ("validation FILE", "prompt–completion JSONL for the validation loss (default: validationFraction of --train)"),
        ("eval FILE", "prompt–completion JSONL of evaluation prompts with reference completions, e.g. data/eval.jsonl; base and fine-tuned models are sampled on it and, for instruction-task prompts, scored by gold score and win-rate"),
        ("eval-limit N", "evaluate on at most N prompts of --eval (default 200)"),
        ("ptx-data FILE", "pretraining text ({\"text\"} JSONL) for the pretraining mix, e.g. data/instructions/pretrain.jsonl (required when ptxCoefficient > 0)"),
    ] + TrainingRun.checkpointOptions + [TrainingRun.overwriteOption, DataParallel.threadsOption, DataParallel.exampleSeedingOption] + LoRAOptions.help
    static var help: String {
        SFTConfig.helpText(command: name, summary: summary, extraOptions: extraOptions)
            + "\n\nCtrl-C finishes the current step, writes a checkpoint and exits; --resume DIR continues from it."
            + "\nWith --lora-rank, OUT/adapter/ holds the adapter in Hugging Face PEFT's format and OUT/model/ the merged model."
            + DataParallel.helpNote
    }
    /// Options saved in options.json so that --resume needs only the run directory.
    static let dataKeys: Set<String> = Set(["train", "model", "validation", "eval", "eval-limit", "checkpoint-every", "keep-checkpoints", "ptx-data",
                                            "example-seeding"])
        .union(LoRAOptions.keys)

    static func run(_ given: CommandLineArguments) throws {
        let reserved = Set<String>(["train", "model", "out", "validation", "eval", "eval-limit", "quiet", "overwrite", "ptx-data"]).union(TrainingRun.checkpointKeys)
            .union(LoRAOptions.keys).union(DataParallel.keys).union(["example-seeding"])
        let communicator = DataParallel.communicator
        let (arguments, resuming) = try TrainingRun.arguments(given, keys: dataKeys)
        try DataParallel.applyThreads(arguments)
        let trainPath = try arguments.required("train", "the prompt–completion JSONL to train on, e.g. --train data/sft.jsonl")
        let modelPath = try arguments.required("model", "the base model directory, e.g. --model runs/base/model")
        let outURL = communicator.isRoot ? try TrainingRun.outputDirectory(arguments, resuming: resuming, example: "runs/sft")
            : try DataParallel.followerOutput(arguments)
        let config = try SFTConfig.load(arguments: arguments, reserved: reserved)
        let lora = try LoRAOptions.config(arguments)
        let checkpointEvery = try TrainingRun.positiveInteger(arguments, "checkpoint-every", default: 50)
        let keepCheckpoints = max(1, try TrainingRun.positiveInteger(arguments, "keep-checkpoints", default: 2))

        let (loaded, _) = try GPT.load(from: URL(fileURLWithPath: modelPath))
        let tokenizer = try loadTokenizer(from: URL(fileURLWithPath: modelPath))
        let (model, base) = try LoRAOptions.prepare(loaded, lora, seed: config.seed)
        let pad = RunSupport.padToken(tokenizer)
        let context = model.config.contextLength
        let training = try SFTExample.encode(try RunSupport.read(PromptCompletionRecord.self, trainPath), tokenizer: tokenizer, contextLength: context)
        let validation = try arguments.options["validation"].map {
            try SFTExample.encode(try RunSupport.read(PromptCompletionRecord.self, $0), tokenizer: tokenizer, contextLength: context)
        }
        let pretraining = try config.ptxCoefficient > 0 ? RunSupport.pretrainingBlocks(
            try arguments.required("ptx-data", "pretraining text for the mix, e.g. --ptx-data data/instructions/pretrain.jsonl"),
            tokenizer: tokenizer, contextLength: context, padToken: pad, seed: config.seed) : nil
        let trainer = try SFTTrainer(model: model, config: config, padToken: pad, training: training, validation: validation,
                                     pretraining: pretraining, communicator: communicator)
        trainer.exampleSeeding = try DataParallel.exampleSeeding(arguments)
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
        let checkpoints = out.file("checkpoints")
        let printer = ProgressPrinter(keys: ["sft/loss", "sft/validation_loss", "sft/grad_norm"])
        if resuming {
            let step = try trainer.resume(from: checkpoints)
            try TrainingRun.truncateLogs(out, afterStep: step)
            try? FileManager.default.removeItem(at: out.file("samples.jsonl"))
            printer.line("rlft sft: resuming \(out.url.path) at step \(step) of \(trainer.totalSteps)")
        }
        let trainable = model.parameters().filter(\.requiresGrad).reduce(0) { $0 + $1.value.count }
        printer.line("rlft sft: \(trainer.trainingExamples.count) training and \(trainer.validationExamples.count) validation examples, \(model.parameterCount) parameters (\(trainable) trained), \(trainer.totalSteps) steps")
        Interrupt.install()
        let writeFailure = RunWriteFailure()
        let result = try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints,
                                       progress: TrainingRun.progress(out, printer: printer, command: "sft", failure: writeFailure))
        try writeFailure.rethrow()
        let charts = writeCharts(out)
        if result.steps < trainer.totalSteps { return }
        let checkpoint = out.file("model")
        if let line = try LoRAOptions.save(model, tokenizer: tokenizer, to: checkpoint, adapterDirectory: out.file("adapter"),
                                           baseModel: modelPath, metadata: ["step": "\(result.bestStep ?? result.steps)"]) {
            printer.line(line)
        }
        TrainingRun.linkFormerModelDirectory(out)
        printer.line("saved \(result.restoredBest ? "the best (step \(result.bestStep!))" : "the last") parameters to \(checkpoint.path)")

        var table = ResultTable(columns: ["model", "validation loss", "gold score", "win-rate"])
        let baseValidation = try SFTTrainer(model: base, config: config, padToken: pad, training: training,
                                            validation: trainer.validationExamples).validationLoss()
        let sftValidation = try result.bestValidationLoss ?? trainer.validationLoss()
        var rows: [(String, GPT, Double?)] = [("base", base, baseValidation), ("SFT", model, sftValidation)]
        if let evalPath = arguments.options["eval"] {
            let records = Array(try RunSupport.read(PromptCompletionRecord.self, evalPath).prefix(Int(arguments.options["eval-limit"] ?? "200") ?? 200))
            var rng = SeededGenerator(seed: config.seed &+ 17)
            for (name, policyModel, loss) in rows {
                let policy = TextPolicy(model: policyModel, tokenizer: tokenizer)
                let score = try RunSupport.evaluate(policy: policy, records: records, method: name, out: out, using: &rng)
                try table.addRow([.text(name), loss.map { .number($0) } ?? .missing,
                                  score.map { .interval($0.gold) } ?? .missing, score.map { .interval($0.winRate) } ?? .missing])
            }
            rows = []
        }
        for (name, _, loss) in rows { try table.addRow([.text(name), loss.map { .number($0) } ?? .missing, .missing, .missing]) }
        var facts = ["\(result.steps) steps of \(config.batchSize) examples at learning rate \(config.learningRate) on `\(trainPath)` from `\(modelPath)`",
                     "\(trainer.trainingExamples.count) training and \(trainer.validationExamples.count) validation examples, \(model.parameterCount) parameters",
                     String(format: "final training loss %.4f", result.finalTrainingLoss)]
        if let best = result.bestValidationLoss, let bestStep = result.bestStep {
            facts.append(String(format: "best validation loss %.4f at step %d", best, bestStep)
                         + (result.restoredBest ? " (these parameters were kept)" : ""))
        }
        try TrainingRun.writeReport(out, title: "rlft sft", facts: facts, table: table.markdown(), charts: charts)
        printer.line("")
        printer.line(table.markdown())
    }

    /// loss.svg: training and validation loss; learning-rate.svg: the schedule.
    static func writeCharts(_ run: RunDirectory) -> [(file: String, caption: String)] {
        var charts: [(file: String, caption: String)] = []
        if (try? TrainingRun.writeChart(run, file: "loss.svg", title: "SFT loss", yLabel: "cross-entropy (nats/token)",
                                        keys: [("sft/loss", "training"), ("sft/validation_loss", "validation")])) == true {
            charts.append(("loss.svg", "training and validation loss"))
        }
        if (try? TrainingRun.writeChart(run, file: "learning-rate.svg", title: "Learning rate", yLabel: "learning rate",
                                        keys: [("sft/learning_rate", "learning rate")])) == true {
            charts.append(("learning-rate.svg", "learning rate"))
        }
        return charts
    }
}
