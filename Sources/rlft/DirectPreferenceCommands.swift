// `rlft dpo`, `rlft kto`, `rlft orpo`: offline preference optimisation of an SFT model on comparisons (KTO also
// on unpaired labelled completions); writes config.json, options.json, metrics.jsonl, checkpoints, the final
// model, samples.jsonl, report.md and SVG curves.
import DirectPreference
import Evaluation
import Distributed
import Foundation
import LanguageModels
import Runs
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

extension DirectPreferenceConfig: DocumentedConfiguration {}

enum DPOCommand: Command {
    static let name = "dpo"
    static let summary = "DPO / IPO (and hinge, robust) on preference comparisons"
    static var help: String { DirectPreferenceRun.help(.dpo, summary: "direct preference optimisation; --loss sigmoid|hinge|robust|ipo") }
    static func run(_ arguments: CommandLineArguments) throws { try DirectPreferenceRun.run(.dpo, arguments) }
}

enum KTOCommand: Command {
    static let name = "kto"
    static let summary = "KTO on unpaired desirable/undesirable completions (or split comparisons)"
    static var help: String { DirectPreferenceRun.help(.kto, summary: "Kahneman–Tversky optimisation; --train takes {\"prompt\",\"completion\",\"label\"} or {\"prompt\",\"chosen\",\"rejected\"} JSONL") }
    static func run(_ arguments: CommandLineArguments) throws { try DirectPreferenceRun.run(.kto, arguments) }
}

enum ORPOCommand: Command {
    static let name = "orpo"
    static let summary = "ORPO (odds-ratio preference optimisation, no reference model)"
    static var help: String { DirectPreferenceRun.help(.orpo, summary: "odds-ratio preference optimisation: NLL on chosen plus β·log-odds term, no reference model") }
    static func run(_ arguments: CommandLineArguments) throws { try DirectPreferenceRun.run(.orpo, arguments) }
}

enum DirectPreferenceRun {
    static let extraOptions: [(String, String)] = [
        ("model DIR", "the SFT model directory (GPT files and tokenizer), also the reference π_ref; required"),
        ("train FILE", "preference JSONL {\"prompt\",\"chosen\",\"rejected\"} (KTO: also {\"prompt\",\"completion\",\"label\"}); required"),
        ("out DIR", "the run directory; required (unless --resume)"),
        ("validation FILE", "held-out preference JSONL for the implicit-reward accuracy"),
        ("eval FILE", "prompt–completion JSONL of evaluation prompts; the SFT and trained models are sampled on it and, for instruction-task prompts, scored by gold score and win-rate"),
        ("eval-limit N", "evaluate on at most N prompts of --eval (default 200)"),
    ] + TrainingRun.checkpointOptions + [TrainingRun.overwriteOption, DataParallel.threadsOption] + LoRAOptions.help
    static let dataKeys: Set<String> = Set(["model", "policy", "train", "validation", "eval", "eval-limit", "checkpoint-every", "keep-checkpoints"])
        .union(LoRAOptions.keys)

    static func help(_ method: DirectPreferenceMethod, summary: String) -> String {
        DirectPreferenceConfig.helpText(command: method.rawValue, summary: summary, extraOptions: extraOptions)
            + "\n\nCtrl-C finishes the current step, writes a checkpoint and exits; --resume DIR continues from it."
            + "\nWith --lora-rank, the reference π_ref is the loaded model itself (adapters off, no second copy); OUT/adapter/"
            + " holds the adapter in Hugging Face PEFT's format and OUT/model/ the merged model."
            + DataParallel.helpNote
    }

    static func run(_ method: DirectPreferenceMethod, _ given: CommandLineArguments) throws {
        let reserved = Set(["model", "train", "out", "validation", "eval", "eval-limit", "overwrite"]).union(TrainingRun.checkpointKeys)
            .union(LoRAOptions.keys).union(DataParallel.keys)
        let communicator = DataParallel.communicator
        let (resolved, resuming) = try TrainingRun.arguments(given, keys: dataKeys)
        let arguments = resolved.renamingOption("policy", to: "model")
        let policyPath = try arguments.required("model", "the SFT model directory, e.g. --model runs/sft/model")
        let trainPath = try arguments.required("train", "the preference JSONL, e.g. --train data/instructions/comparisons.jsonl")
        try DataParallel.applyThreads(arguments)
        let outURL = communicator.isRoot ? try TrainingRun.outputDirectory(arguments, resuming: resuming, example: "runs/\(method.rawValue)")
            : try DataParallel.followerOutput(arguments)
        let config = try DirectPreferenceConfig.load(arguments: arguments, reserved: reserved)
        if method != .dpo && config.loss != .sigmoid {
            throw UsageError("--loss selects the DPO variant and applies to rlft dpo only")
        }
        let lora = try LoRAOptions.config(arguments)
        let checkpointEvery = try TrainingRun.positiveInteger(arguments, "checkpoint-every", default: 50)
        let keepCheckpoints = max(1, try TrainingRun.positiveInteger(arguments, "keep-checkpoints", default: 2))
        let (loaded, _) = try GPT.load(from: URL(fileURLWithPath: policyPath))
        let tokenizer = try loadTokenizer(from: URL(fileURLWithPath: policyPath))
        let (policy, sft) = try LoRAOptions.prepare(loaded, lora, seed: config.seed)
        let pad = RunSupport.padToken(tokenizer)
        let context = policy.config.contextLength
        let training: DirectPreferenceData
        if method == .kto, let unpaired = try? RunSupport.read(UnpairedPreferenceRecord.self, trainPath) {
            training = .unpaired(try UnpairedExample.encode(unpaired, tokenizer: tokenizer, contextLength: context))
        } else {
            training = .paired(try PreferencePair.encode(try RunSupport.read(PreferenceRecord.self, trainPath), tokenizer: tokenizer, contextLength: context))
        }
        let validation = try arguments.options["validation"].map {
            try PreferencePair.encode(try RunSupport.read(PreferenceRecord.self, $0), tokenizer: tokenizer, contextLength: context)
        } ?? []
        let printer = ProgressPrinter(keys: ["train/loss", "train/rewards/accuracy", "train/rewards/margin", "eval/rewards/accuracy"])
        let start = Date()
        let trainer = try DirectPreferenceTrainer(method: method, config: config, policy: policy, reference: sft, padToken: pad,
                                                  training: training, validation: validation, communicator: communicator)
        guard communicator.isRoot else {
            // Ranks other than 0 train in step with it and write nothing; they join rank 0's evaluations.
            if resuming { try trainer.resume(from: outURL.appendingPathComponent("checkpoints")) }
            if !resuming { _ = try trainer.evaluate() }
            Interrupt.install()
            try trainer.train(checkpointDirectory: outURL.appendingPathComponent("checkpoints"), checkpointEvery: checkpointEvery,
                              keepCheckpoints: keepCheckpoints, progress: DataParallel.followerProgress)
            if trainer.step == trainer.totalSteps { _ = try trainer.evaluate() }
            return
        }
        // Everything is checked: only now does the run directory appear.
        let out = try TrainingRun.openRun(outURL, arguments, resuming: resuming)
        if !resuming {
            try out.writeAtomically(try config.jsonData(), to: "config.json")
            try TrainingRun.saveOptions(arguments, keys: dataKeys, to: out)
        }
        let checkpoints = out.file("checkpoints")
        if resuming {
            let step = try trainer.resume(from: checkpoints)
            try TrainingRun.truncateLogs(out, afterStep: step)
            try? FileManager.default.removeItem(at: out.file("samples.jsonl"))
            printer.line("rlft \(method.rawValue): resuming \(out.url.path) at step \(step) of \(trainer.totalSteps)")
        }
        let variant = method == .dpo ? " (\(config.loss.rawValue) loss)" : ""
        printer.line("rlft \(method.rawValue)\(variant): \(max(trainer.pairs.count, trainer.examples.count)) training items, \(validation.count) held-out comparisons, \(trainer.totalSteps) steps, \(policy.parameterCount) parameters")
        var initial: [String: Double]?
        if !resuming, let evaluation = try trainer.evaluate() {
            initial = evaluation
            try out.appendMetrics(step: 0, phase: "validation", evaluation)
        }
        Interrupt.install()
        let writeFailure = RunWriteFailure()
        try trainer.train(checkpointDirectory: checkpoints, checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints,
                          progress: TrainingRun.progress(out, printer: printer, command: method.rawValue, failure: writeFailure))
        try writeFailure.rethrow()
        var charts: [(file: String, caption: String)] = []
        if (try? TrainingRun.writeChart(out, file: "loss.svg", title: "\(method.rawValue) loss", yLabel: "loss", keys: [("train/loss", "training loss")])) == true {
            charts.append(("loss.svg", "training loss"))
        }
        if (try? TrainingRun.writeChart(out, file: "accuracy.svg", title: "implicit-reward accuracy", yLabel: "accuracy",
                                        keys: [("train/rewards/accuracy", "training batch"), ("eval/rewards/accuracy", "held-out")])) == true {
            charts.append(("accuracy.svg", "implicit-reward accuracy"))
        }
        if trainer.step < trainer.totalSteps { return }
        let seconds = Date().timeIntervalSince(start)
        try LoRAOptions.save(policy, tokenizer: tokenizer, to: out.file("model"), adapterDirectory: out.file("adapter"),
                             baseModel: policyPath).map(printer.line)
        printer.line("saved the policy to \(out.file("model").path)")

        var table = ResultTable(columns: ["model", "held-out implicit-reward accuracy", "gold score", "win-rate"])
        let final = try trainer.evaluate()
        // At π = π_ref every implicit reward is 0, so the SFT row's accuracy is shown only for ORPO (no reference).
        let label = method == .dpo && config.loss != .sigmoid ? "DPO (\(config.loss.rawValue))" : method.rawValue.uppercased()
        var rows: [(String, GPT, Double?)] = [("SFT", sft, method == .orpo ? initial?["eval/rewards/accuracy"] : nil),
                                              (label, policy, final?["eval/rewards/accuracy"])]
        if let evalPath = arguments.options["eval"] {
            let records = Array(try RunSupport.read(PromptCompletionRecord.self, evalPath).prefix(Int(arguments.options["eval-limit"] ?? "200") ?? 200))
            var rng = SeededGenerator(seed: config.seed &+ 17)
            for (name, model, accuracy) in rows {
                let score = try RunSupport.evaluate(policy: TextPolicy(model: model, tokenizer: tokenizer), records: records, method: name, out: out, using: &rng)
                try table.addRow([.text(name), accuracy.map { .number($0) } ?? .missing,
                                  score.map { .interval($0.gold) } ?? .missing, score.map { .interval($0.winRate) } ?? .missing])
            }
            rows = []
        }
        for (name, _, accuracy) in rows { try table.addRow([.text(name), accuracy.map { .number($0) } ?? .missing, .missing, .missing]) }
        let facts = ["\(trainer.step) steps of \(config.batchSize) at learning rate \(config.learningRate), β \(config.beta)\(variant), on `\(trainPath)` from `\(policyPath)`",
                     String(format: "training took %.1f s", seconds)]
        try TrainingRun.writeReport(out, title: "rlft \(method.rawValue)", facts: facts, table: table.markdown(), charts: charts)
        printer.line("")
        printer.line(table.markdown())
    }
}
