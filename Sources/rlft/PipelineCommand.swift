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
            ("resume DIR", "continue the interrupted run in DIR with its own config.json: finished stages are loaded, the unfinished one continues from its last checkpoint; the table matches an uninterrupted run's (same thread count)"),
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let resume = arguments.options["resume"]
        var arguments = arguments
        if let resume {
            let overrides = arguments.options.keys.filter { !["resume", "out", "config"].contains($0) }
            guard overrides.isEmpty else {
                throw UsageError("a resumed pipeline runs with its saved configuration; drop --\(overrides.sorted().joined(separator: ", --"))")
            }
            if let out = arguments.options["out"], URL(fileURLWithPath: out).standardized != URL(fileURLWithPath: resume).standardized {
                throw UsageError("--out \(out) differs from --resume \(resume); a resumed run continues in its own directory")
            }
            arguments.options["config"] = arguments.options["config"] ?? URL(fileURLWithPath: resume).appendingPathComponent("config.json").path
            arguments.options["out"] = resume
        }
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/pipeline"))
        let config = try PipelineConfig.load(arguments: arguments, reserved: ["out", "resume"])
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        let pipeline = try InstructGPTPipeline(config: config, output: out, resuming: resume != nil, shouldStop: { Interrupt.requested }) { line in
            printer.line(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        let result: PipelineResult
        do {
            result = try pipeline.runAll()
        } catch let stop as RunInterrupted {
            printer.line("interrupted: \(stop); continue with rlft pipeline --resume \(out.path)")
            return
        }
        print("")
        print(result.table)
        for line in result.rewardModel.lines { print(line) }
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }
}
