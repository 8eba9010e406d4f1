// `rlft rlp --out DIR`: RLP (reward learning on policy) against PPO, SFT and best-of-n on the built-in task.
import Foundation
import RLPExperiments
import Runs

enum RLPCommand: Command {
    static let name = "rlp"
    static let summary = "RLP-UML and RLP-SPG vs PPO, best-of-n, SFT: reward retraining on policy samples, mean ± std over seeds"
    static var help: String {
        RLPExperimentConfig.helpText(command: name, summary: summary, extraOptions: [
            ("out DIR", "the run directory: config.json, models/, checkpoints/, stages.json, metrics.jsonl, samples.jsonl, report.md (required unless --resume)"),
            ResumedExperiment.option,
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let resume = try ResumedExperiment(arguments, command: name)
        let arguments = resume.arguments
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/rlp"))
        let config = try RLPExperimentConfig.load(arguments: arguments, reserved: ["out", "resume"])
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        let experiment = try RLPExperiment(config: config, output: out, resuming: resume.resuming) { line in
            printer.line(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        experiment.shouldStop = { Interrupt.requested }
        guard let result = try resume.interruptible(printer, { try experiment.runAll() }) else { return }
        print("")
        print(result.table)
        print("Paired differences from PPO (95 % bootstrap, prompts resampled within each seed):")
        print(result.differenceTable)
        print("Paper shape (RLP, arXiv 2403.19279):")
        for claim in result.claims { print("  " + claim.line) }
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }
}
