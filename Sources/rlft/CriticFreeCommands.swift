// `rlft rloo`, `rlft grpo`: critic-free online RL of an SFT model against a reward model or the instruction
// task's gold score; writes config.json, metrics.jsonl, samples.jsonl, checkpoints, the final model and SVG curves.
import CriticFreeRL
import Foundation
import LanguageModels
import PPO
import Runs
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

extension RLOOConfig: DocumentedConfiguration {}
extension GRPOConfig: DocumentedConfiguration {}

enum RLOOCommand: Command {
    static let name = "rloo"
    static let summary = "RLOO (k samples per prompt, leave-one-out baseline) against a reward model or the gold score"
    static var help: String {
        RLOOConfig.helpText(command: name, summary: "REINFORCE leave-one-out; Ctrl-C stops after the current iteration with a checkpoint",
                            extraOptions: CriticFreeRun.options)
    }
    static func run(_ given: CommandLineArguments) throws {
        let (resolved, resuming) = try TrainingRun.arguments(given, keys: CriticFreeRun.dataKeys, savedOptionsRequired: false)
        let arguments = resolved.renamingOption("policy", to: "model")
        let config = try RLOOConfig.load(arguments: arguments, reserved: CriticFreeRun.reserved)
        try CriticFreeRun.run(.rloo(config), configData: try config.jsonData(), arguments, resuming: resuming)
    }
}

enum GRPOCommand: Command {
    static let name = "grpo"
    static let summary = "GRPO (G samples per prompt, group-normalised advantages) against a reward model or the gold score"
    static var help: String {
        GRPOConfig.helpText(command: name, summary: "group relative policy optimisation; Ctrl-C stops after the current iteration with a checkpoint",
                            extraOptions: CriticFreeRun.options)
    }
    static func run(_ given: CommandLineArguments) throws {
        let (resolved, resuming) = try TrainingRun.arguments(given, keys: CriticFreeRun.dataKeys, savedOptionsRequired: false)
        let arguments = resolved.renamingOption("policy", to: "model")
        let config = try GRPOConfig.load(arguments: arguments, reserved: CriticFreeRun.reserved)
        try CriticFreeRun.run(.grpo(config), configData: try config.jsonData(), arguments, resuming: resuming)
    }
}

enum CriticFreeRun {
    static let options: [(String, String)] = [
        ("model DIR", "the SFT model directory (GPT files and tokenizer), also the reference π_ref; required"),
        ("reward-model DIR", "a reward-model directory as `rlft reward` writes it (model, tokenizer, normaliser)"),
        ("reward gold", "use the built-in instruction task's gold score instead of a reward model"),
        ("prompts FILE.jsonl", "RL prompts, one {\"prompt\": …} per line; required"),
        ("out DIR", "the run directory; required (unless --resume)"),
        ("resume DIR", "continue the run in DIR from its latest checkpoint, with the options (options.json) and configuration (config.json) it started with"),
        ("checkpoint-every N", "iterations between checkpoints (default 10; one is always written at the end)"),
        ("samples-every N", "iterations between dumps of the rollout to samples.jsonl (default 10)"),
        ("threads N", "compute threads (default: all cores)"),
    ] + [TrainingRun.overwriteOption] + LoRAOptions.help
    static let reserved: Set<String> = Set(["overwrite", "model", "reward-model", "reward", "prompts", "out", "resume", "checkpoint-every",
                                            "samples-every", "threads"]).union(LoRAOptions.keys)

    /// Options saved in options.json, so that `--resume DIR` needs nothing else (a resumed run also reads its own
    /// config.json; options given again still apply).
    static let dataKeys: Set<String> = Set(["model", "policy", "reward-model", "reward", "prompts", "checkpoint-every", "samples-every"])
        .union(LoRAOptions.keys)

    static func run(_ algorithm: CriticFreeAlgorithm, configData: Data, _ arguments: CommandLineArguments, resuming: Bool) throws {
        if let threads = arguments.options["threads"] {
            guard let n = Int(threads), n >= 1 else { throw ConfigurationError.badValue(field: "threads", value: threads, expected: "a positive integer") }
            Compute.threadCount = n
        }
        let name = algorithm.name
        let communicator = DataParallel.communicator
        let out = communicator.isRoot ? try TrainingRun.outputDirectory(arguments, resuming: resuming, example: "runs/\(name)")
            : try DataParallel.followerOutput(arguments)
        let policyDirectory = URL(fileURLWithPath: try arguments.required("model", "the SFT model directory, e.g. --model runs/sft/model"))
        let promptsFile = URL(fileURLWithPath: try arguments.required("prompts", "the RL prompts, e.g. --prompts data/instructions/prompts.jsonl"))
        let checkpointEvery = try PPOCommand.positiveInteger(arguments, "checkpoint-every", default: 10)
        let samplesEvery = try PPOCommand.positiveInteger(arguments, "samples-every", default: 10)

        // With LoRA the reference is the loaded model itself (shared, frozen weights).
        let lora = try LoRAOptions.config(arguments)
        let seed: UInt64
        switch algorithm {
        case .rloo(let c): seed = c.seed
        case .grpo(let c): seed = c.seed
        }
        let (policy, reference) = try LoRAOptions.prepare(GPT.load(from: policyDirectory).model, lora, seed: seed)
        let tokenizer = try loadTokenizer(from: policyDirectory)
        let tokens = try PPOCommand.tokenConventions(tokenizer)
        let prompts = try JSONLReader().read(PromptRecord.self, from: promptsFile).records.map(\.prompt)
        let (reward, _) = try PPOCommand.loadReward(arguments, policyTokenizer: tokenizer)
        let trainer = try CriticFreeTrainer(algorithm: algorithm, policy: policy, reference: reference, reward: reward,
                                            tokenizer: tokenizer, tokens: tokens, communicator: communicator)
        guard communicator.isRoot else {
            // Ranks other than 0 sample and train their prompts of every iteration in step with it, and write nothing.
            if resuming { try trainer.resume(from: out.appendingPathComponent("checkpoints")) }
            Interrupt.install()
            try trainer.train(prompts: prompts, checkpointDirectory: out.appendingPathComponent("checkpoints"),
                              checkpointEvery: checkpointEvery, progress: DataParallel.followerProgress)
            return
        }

        let run = try TrainingRun.openRun(out, arguments, resuming: resuming)
        let checkpoints = run.file("checkpoints")
        if resuming {
            let iteration = try trainer.resume(from: checkpoints)
            try PPOCommand.truncateMetrics(run, after: iteration)
        }
        try run.writeAtomically(configData, to: "config.json")
        if !resuming { try TrainingRun.saveOptions(arguments, keys: dataKeys, to: run) }

        Interrupt.install()
        let printer = ProgressPrinter(keys: ["objective/reward", "objective/kl", "objective/zero_std_fraction", "policy/clipfrac", "response/length"])
        printer.line("\(name): \(prompts.count) prompts, \(trainer.batchSize) episodes per iteration, policy \(policy.parameterCount) parameters, run directory \(out.path)")
        let recorder = RolloutRecorder(run: run, printer: printer, method: name, samplesEvery: samplesEvery,
                                       lastRollout: { trainer.lastRollout })
        let start = Date()
        try trainer.train(prompts: prompts, checkpointDirectory: checkpoints, checkpointEvery: checkpointEvery, progress: recorder.handle)
        if let failure = recorder.failure { throw failure }
        let records = try run.readMetrics()
        func series(_ key: String, _ label: String) -> PlotSeries {
            PlotSeries(name: label, points: records.compactMap { r in
                guard let step = r["step"] as? Int, let value = r[key] as? Double else { return nil }
                return (Double(step), value)
            })
        }
        try run.writeAtomically(Data(svgLineChart(title: "\(name) reward", xLabel: "iteration", yLabel: "mean score",
                                                  series: [series("objective/reward", "raw score")]).utf8), to: "reward.svg")
        try run.writeAtomically(Data(svgLineChart(title: "KL from the reference", xLabel: "iteration", yLabel: "nats",
                                                  series: [series("objective/kl", "KL (k1, per sequence)")]).utf8), to: "kl.svg")
        if Interrupt.requested { return }
        try LoRAOptions.save(trainer.policy, tokenizer: tokenizer, to: run.file("model"), adapterDirectory: run.file("adapter"),
                             baseModel: policyDirectory.path).map(printer.line)
        let last: [String: Any] = records.last { ($0["step"] as? Int) == trainer.iteration } ?? [:]
        let finalReward: Double = (last["objective/reward"] as? Double) ?? .nan
        let finalKL: Double = (last["objective/kl"] as? Double) ?? .nan
        let seconds: Double = Date().timeIntervalSince(start)
        let summary = String(format: "- final mean reward %.4f, KL from the reference %.3f nats; %.1f s", finalReward, finalKL, seconds)
        let report: [String] = ["# rlft \(name)", "",
                                "- \(trainer.iteration) iterations of \(trainer.batchSize) episodes on `\(promptsFile.path)` from `\(policyDirectory.path)`",
                                summary, "", "![reward](reward.svg)", "", "![KL](kl.svg)", "",
                                "Files: `config.json`, `metrics.jsonl`, `samples.jsonl`, `options.json`, `checkpoints/` (continue with `rlft \(name) --resume DIR`), `model/`."]
        try run.writeAtomically(Data(report.joined(separator: "\n").utf8), to: "report.md")
        printer.line("\(name): wrote \(run.file("model").path), metrics.jsonl, samples.jsonl, report.md, reward.svg and kl.svg")
    }
}
