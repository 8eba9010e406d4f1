// `rlft ppo`: PPO-RLHF (and PPO-ptx) of an SFT model against a reward model or the instruction task's gold
// score; writes config.json, metrics.jsonl, samples.jsonl, checkpoints, the final model and SVG curves.
import Foundation
import PPO
import RewardModeling
import RLFineTuning
import Tasks

extension PPOConfig: DocumentedConfiguration {}

/// Ctrl-C asks the run to stop after the current iteration (a checkpoint is then written).

enum PPOCommand: Command {
    static let name = "ppo"
    static let summary = "PPO-RLHF / PPO-ptx against a reward model or the gold score"
    static let options: [(String, String)] = [
        ("model DIR", "the SFT model directory (GPT.save with its tokenizer); required"),
        ("reward-model DIR", "a reward-model directory as `rlft reward` writes it (model, tokenizer, normaliser)"),
        ("reward gold", "use the built-in instruction task's gold score instead of a reward model"),
        ("prompts FILE.jsonl", "RL prompts, one {\"prompt\": …} per line; required"),
        ("out DIR", "the run directory; required (unless --resume)"),
        ("resume DIR", "continue the run in DIR from its latest checkpoint, with the options (options.json) and configuration (config.json) it started with"),
        ("critic shared|reward-model|policy", "value head on the policy trunk (default), or a separate value model initialised from the reward model or the policy"),
        ("ptx-data FILE.jsonl", "pretraining text for PPO-ptx, one {\"text\": …} per line (with --ptx-coefficient > 0)"),
        ("checkpoint-every N", "iterations between checkpoints (default 10; one is always written at the end)"),
        ("samples-every N", "iterations between dumps of the rollout to samples.jsonl (default 10)"),
        ("threads N", "compute threads (default: all cores)"),
    ] + [TrainingRun.overwriteOption] + LoRAOptions.help
    static var help: String {
        PPOConfig.helpText(command: name, summary: "fine-tunes a policy with PPO (InstructGPT's step 3); Ctrl-C stops after the current iteration with a checkpoint",
                           extraOptions: options)
    }

    static let reserved: Set<String> = Set(["overwrite", "model", "reward-model", "reward", "prompts", "out", "resume", "critic", "ptx-data",
                                            "checkpoint-every", "samples-every", "threads"]).union(LoRAOptions.keys)

    /// Options saved in options.json, so that `--resume DIR` needs nothing else.
    static let dataKeys: Set<String> = Set(["model", "policy", "reward-model", "reward", "prompts", "critic", "ptx-data",
                                            "checkpoint-every", "samples-every"]).union(LoRAOptions.keys)

    static func run(_ given: CommandLineArguments) throws {
        // A resumed run reads its own config.json and options.json (options given again still apply).
        let (resolved, resuming) = try TrainingRun.arguments(given, keys: dataKeys, savedOptionsRequired: false)
        let arguments = resolved.renamingOption("policy", to: "model")
        if let threads = arguments.options["threads"] {
            guard let n = Int(threads), n >= 1 else { throw ConfigurationError.badValue(field: "threads", value: threads, expected: "a positive integer") }
            Compute.threadCount = n
        }
        let config = try PPOConfig.load(arguments: arguments, reserved: reserved)
        let communicator = DataParallel.communicator
        let out = communicator.isRoot ? try TrainingRun.outputDirectory(arguments, resuming: resuming, example: "runs/ppo")
            : try DataParallel.followerOutput(arguments)
        let policyDirectory = URL(fileURLWithPath: try arguments.required("model", "the SFT model directory, e.g. --model runs/sft/model"))
        let promptsFile = URL(fileURLWithPath: try arguments.required("prompts", "the RL prompts, e.g. --prompts data/instructions/prompts.jsonl"))
        let checkpointEvery = try positiveInteger(arguments, "checkpoint-every", default: 10)
        let samplesEvery = try positiveInteger(arguments, "samples-every", default: 10)

        // Models, tokenizer, data. With LoRA the reference is the loaded model itself (shared, frozen weights).
        let lora = try LoRAOptions.config(arguments)
        let (policy, reference) = try LoRAOptions.prepare(GPT.load(from: policyDirectory).model, lora, seed: config.seed)
        let tokenizer = try loadTokenizer(from: policyDirectory)
        let tokens = try tokenConventions(tokenizer)
        let prompts = try JSONLReader().read(PromptRecord.self, from: promptsFile).records.map(\.prompt)
        let (reward, rewardModel) = try loadReward(arguments, policyTokenizer: tokenizer)
        let critic: PPOCritic
        switch arguments.options["critic"] ?? "shared" {
        case "shared": critic = .sharedHead(for: policy)
        case "policy": critic = .separate(ValueModel(policy: policy))
        case "reward-model":
            guard let rewardModel else { throw UsageError("--critic reward-model needs --reward-model DIR") }
            critic = .separate(ValueModel(rewardModel: rewardModel))
        case let other: throw ConfigurationError.badValue(field: "critic", value: other, expected: "shared, reward-model or policy")
        }
        var pretraining: PretrainingBlocks?
        if config.ptxCoefficient > 0 {
            let file = try arguments.required("ptx-data", "pretraining text for PPO-ptx, e.g. --ptx-data data/instructions/pretrain.jsonl")
            pretraining = try RunSupport.pretrainingBlocks(file, tokenizer: tokenizer, contextLength: policy.config.contextLength,
                                                          padToken: tokens.padToken, seed: config.seed)
        }
        let trainer = try PPOTrainer(config: config, policy: policy, reference: reference, critic: critic, reward: reward, tokenizer: tokenizer,
                                     tokens: tokens, pretraining: pretraining, communicator: communicator)
        guard communicator.isRoot else {
            // Ranks other than 0 sample and train their shard of every iteration in step with it, and write nothing.
            if resuming, let latest = PPOTrainer.latestCheckpoint(in: out.appendingPathComponent("checkpoints")) {
                try trainer.loadCheckpoint(from: latest)
            }
            Interrupt.install()
            try trainer.train(prompts: prompts, checkpointDirectory: out.appendingPathComponent("checkpoints"),
                              checkpointEvery: checkpointEvery, progress: DataParallel.followerProgress)
            return
        }

        // The run directory.
        let run = try TrainingRun.openRun(out, arguments, resuming: resuming)
        let checkpoints = run.file("checkpoints")
        if resuming {
            guard let latest = PPOTrainer.latestCheckpoint(in: checkpoints) else {
                throw UsageError("no checkpoint found in \(checkpoints.path); start a new run with --out instead of --resume")
            }
            try trainer.loadCheckpoint(from: latest)
            try truncateMetrics(run, after: trainer.iteration)
        }
        try run.writeAtomically(config.jsonData(), to: "config.json")
        if !resuming { try TrainingRun.saveOptions(arguments, keys: dataKeys, to: run) }

        Interrupt.install()
        let printer = ProgressPrinter(keys: ["objective/reward", "objective/kl", "objective/kl_coef", "policy/clipfrac", "response/length"])
        printer.line("ppo: \(prompts.count) prompts, \(config.iterations) iterations of \(config.batchSize) episodes, policy \(policy.parameterCount) parameters, run directory \(out.path)")
        let recorder = RolloutRecorder(run: run, printer: printer, method: "ppo", samplesEvery: samplesEvery,
                                       lastRollout: { trainer.lastRollout?.rollout })
        do {
            try trainer.train(prompts: prompts, checkpointDirectory: checkpoints, checkpointEvery: checkpointEvery, progress: recorder.handle)
        } catch {
            try? writeCurves(run)
            throw error
        }
        if let failure = recorder.failure { throw failure }
        try writeCurves(run)
        try LoRAOptions.save(trainer.policy, tokenizer: tokenizer, to: run.file("model"), adapterDirectory: run.file("adapter"),
                             baseModel: policyDirectory.path).map(printer.line)
        if let ema = trainer.emaPolicy {
            try LoRAOptions.save(ema, tokenizer: tokenizer, to: run.file("ema-model"), adapterDirectory: run.file("ema-adapter"),
                                 baseModel: policyDirectory.path)
        }
        try writeReport(run, config: config, policy: policyDirectory, prompts: promptsFile)
        printer.line("ppo: wrote \(run.file("model").path), metrics.jsonl, samples.jsonl, report.md, reward.svg, kl.svg and loss.svg")
    }

    // MARK: - Helpers

    static func positiveInteger(_ arguments: CommandLineArguments, _ key: String, default value: Int) throws -> Int {
        guard let text = arguments.options[key] else { return value }
        guard let n = Int(text), n >= 1 else { throw ConfigurationError.badValue(field: key, value: text, expected: "a positive integer") }
        return n
    }

    /// PAD is `<|pad|>`; responses stop at a newline (when it is one token) and at `<|endoftext|>`.
    static func tokenConventions(_ tokenizer: any Tokenizer) throws -> TokenConventions {
        guard let pad = tokenizer.id(forSpecialToken: "<|pad|>") else {
            throw UsageError("the policy's tokenizer has no <|pad|> token; add it with addSpecialTokens([\"<|pad|>\"]) before SFT (PPO never pads with EOS)")
        }
        var stops: [Int32] = []
        let newline = try tokenizer.encode("\n")
        if newline.count == 1 { stops.append(newline[0]) }
        if let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") { stops.append(eos) }
        return TokenConventions(padToken: pad, stopTokens: stops)
    }

    static func loadReward(_ arguments: CommandLineArguments, policyTokenizer: any Tokenizer) throws -> (RolloutReward, RewardModel?) {
        switch (arguments.options["reward-model"], arguments.options["reward"]) {
        case (nil, "gold"?):
            let gold = ClosureReward { prompts, completions in
                try zip(prompts, completions).map { Float(try Instruction(prompt: $0).goldScore(completion: $1)) }
            }
            return (.function(gold), nil)
        case (let directory?, nil):
            // The reward model with its normaliser (saved by `rlft reward`), so PPO sees normalised scores.
            let function = try RewardModelFunction.load(from: URL(fileURLWithPath: directory))
            let probe = "Q: probe\nA: ok\n"
            if function.tokenizer.vocabularySize == policyTokenizer.vocabularySize,
               try function.tokenizer.encode(probe) == policyTokenizer.encode(probe) {
                let model = function.normalizedModel()
                return (.rewardModel(model), model)
            }
            return (.function(function), function.normalizedModel())
        case (nil, let other?):
            throw ConfigurationError.badValue(field: "reward", value: other, expected: "gold (or pass --reward-model DIR)")
        case (nil, nil):
            throw ConfigurationError.missingRequired(option: "--reward-model DIR or --reward gold", hint: "say what PPO optimises")
        case (_?, _?):
            throw UsageError("give either --reward-model DIR or --reward gold, not both")
        }
    }

    /// Keeps the metrics of iterations up to `iteration` (a resumed run rewrites the ones after its checkpoint).
    static func truncateMetrics(_ run: RunDirectory, after iteration: Int) throws {
        let url = run.file("metrics.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = object["step"] as? Int else { return false }
            return step <= iteration
        }
        try run.writeAtomically(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: "metrics.jsonl")
        // Rollouts written after the checkpoint are written again by the resumed run (a killed run had no chance
        // to checkpoint where it stopped).
        try run.removeSamples { record in (record["iteration"] as? NSNumber).map { $0.intValue > iteration } ?? false }
    }

    static func writeCurves(_ run: RunDirectory) throws {
        let records = try run.readMetrics()
        func series(_ key: String, _ name: String) -> PlotSeries {
            PlotSeries(name: name, points: records.compactMap { r in
                guard let step = r["step"] as? Int, let value = r[key] as? Double else { return nil }
                return (Double(step), value)
            })
        }
        try run.writeAtomically(Data(svgLineChart(title: "PPO reward", xLabel: "iteration", yLabel: "mean score",
                                                  series: [series("objective/reward", "reward"), series("objective/raw_score", "raw score")]).utf8),
                                to: "reward.svg")
        try run.writeAtomically(Data(svgLineChart(title: "KL from the reference", xLabel: "iteration", yLabel: "nats",
                                                  series: [series("objective/kl", "KL (k1, per sequence)")]).utf8),
                                to: "kl.svg")
        try run.writeAtomically(Data(svgLineChart(title: "PPO losses", xLabel: "iteration", yLabel: "loss",
                                                  series: [series("loss/policy", "policy (clipped surrogate)"),
                                                           series("loss/value", "value")]).utf8),
                                to: "loss.svg")
    }

    /// report.md: what ran, the last iteration's reward and KL, and the curves.
    static func writeReport(_ run: RunDirectory, config: PPOConfig, policy: URL, prompts: URL) throws {
        let records = try run.readMetrics()
        let last = records.last { $0["objective/reward"] != nil } ?? [:]
        func value(_ key: String) -> String { (last[key] as? Double).map { String(format: "%.4f", $0) } ?? "—" }
        let lines = ["# rlft ppo", "",
                     "- \(config.iterations) iterations of \(config.batchSize) episodes on `\(prompts.path)` from `\(policy.path)`",
                     "- last iteration: reward \(value("objective/reward")), raw score \(value("objective/raw_score")), "
                        + "KL from the reference \(value("objective/kl")) nats, β \(value("objective/kl_coef"))", "",
                     "![reward](reward.svg)", "", "![KL](kl.svg)", "", "![losses](loss.svg)", "",
                     "Files: `config.json`, `options.json`, `metrics.jsonl`, `samples.jsonl`, `checkpoints/` (continue with "
                        + "`rlft ppo --resume DIR`), `model/`."]
        try run.writeAtomically(Data(lines.joined(separator: "\n").utf8), to: "report.md")
    }
}
