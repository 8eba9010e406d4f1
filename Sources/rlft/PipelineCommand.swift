// `rlft pipeline --out DIR`: the whole InstructGPT pipeline on the built-in task (or --data DIR) with one table.
import Foundation
import Pipeline
import Runs

enum PipelineCommand: Command {
    static let name = "pipeline"
    static let summary = "pretrain → SFT → reward model → PPO, PPO-ptx, best-of-n → evaluation table (the main job)"
    static var help: String {
        PipelineConfig.helpText(command: name, summary: summary, extraOptions: [
            ("out DIR", "the run directory: config.json, data/, models/, metrics.jsonl, samples.jsonl, report.md, reward.svg, kl.svg (required)"),
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/pipeline"))
        let config = try PipelineConfig.load(arguments: arguments, reserved: ["out"])
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        let pipeline = try InstructGPTPipeline(config: config, output: out) { line in
            printer.line(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        let result = try pipeline.runAll()
        print("")
        print(result.table)
        for line in result.rewardModel.lines { print(line) }
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }
}
