// `rlft pipeline --out DIR`: the whole InstructGPT pipeline on the built-in task (or --data DIR) with one table.
// Ctrl-C stops after the current training step with a checkpoint; `--resume DIR` continues the run.
import Foundation
import Pipeline
import Runs

enum PipelineCommand: Command {
    static let name = "pipeline"
    static let summary = "pretrain → SFT → reward model → PPO, PPO-ptx, best-of-n → evaluation table (the main job)"
    static var help: String {
        PipelineConfig.helpText(command: name, summary: summary, extraOptions: [
            ("out DIR", "the run directory: config.json, data/, models/, checkpoints/, stages.json, metrics.jsonl, samples.jsonl, report.md, reward.svg, kl.svg (required unless --resume)"),
            ("seeds LIST", "run one pipeline per seed (comma-separated, e.g. 0,1,2) into OUT/seed-N and write OUT/report.md with every row as mean ± 95 % t-interval over seeds; a seed whose run exists continues or reloads it"),
            ResumedExperiment.option,
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        if arguments.options["seeds"] != nil { return try runSeeds(arguments) }
        let resume = try ResumedExperiment(arguments, command: name)
        let arguments = resume.arguments
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/pipeline"))
        let config = try PipelineConfig.load(arguments: arguments, reserved: ["out", "resume"])
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        let pipeline = try InstructGPTPipeline(config: config, output: out, resuming: resume.resuming) { line in
            printer.line(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        pipeline.shouldStop = { Interrupt.requested }
        guard let result = try resume.interruptible(printer, { try pipeline.runAll() }) else { return }
        print("")
        print(result.table)
        if !result.differences.isEmpty {
            print("\nPaired differences from SFT (same prompts, 95 % paired bootstrap):")
            print(try PipelineClaims.table(result.differences))
        }
        if !result.claims.isEmpty {
            print("\nPaper shape (InstructGPT, arXiv 2203.02155):")
            for claim in result.claims { print("  " + claim.line) }
        }
        for line in result.rewardModel.lines { print(line) }
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }

    /// `--seeds 0,1,2`: one run per seed in OUT/seed-N, then the summary over seeds in OUT/report.md.
    static func runSeeds(_ arguments: CommandLineArguments) throws {
        let base = try PipelineConfig.load(arguments: arguments, reserved: ["out", "seeds"])
        try SeedList.runEach(arguments, command: name, runSeed: { seed, directory, resuming, log, shouldStop in
            var config = base
            config.seed = seed
            let pipeline = try InstructGPTPipeline(config: config, output: directory, resuming: resuming, log: log)
            pipeline.shouldStop = shouldStop
            return try pipeline.runAll()
        }, summary: { runs in
            "# InstructGPT pipeline over seeds\n\n" + (try PipelineSeeds.summary(runs))
        })
    }
}
