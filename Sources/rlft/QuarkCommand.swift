// `rlft quark --task toxicity|sentiment|repetition --out DIR`: one of Quark's three tables on the review world, with
// every method of the table in one run (base/DAPT/PPO/Quark, or MLE/unlikelihood/Quark/Quark+UL).
import Foundation
import QuarkExperiments
import RLFineTuning
import Runs

enum QuarkCommand: Command {
    static let name = "quark"
    static let summary = "Quark: unlearning toxicity, a sentiment, or repetition on the review world (all methods, one table)"
    static var help: String {
        QuarkExperimentConfig.helpText(command: name, summary: summary, extraOptions: [
            ("task toxicity|sentiment|repetition", "which table (required); the defaults below are toxicity's and repetition's, sentiment starts from its own PPO and Quark settings, tuned on its validation prompts (QuarkExperimentConfig(task:); its config.json lists them)"),
            ("out DIR", "the run directory: config.json, tokenizer/, checkpoints/, metrics.jsonl, samples.jsonl, report.md (required)"),
            ("threads N", "compute threads (default: all cores)"),
            ("seeds LIST", "run the table once per seed (comma-separated, e.g. 0,1,2) into OUT/seed-N and write OUT/report.md with the means over seeds, Student-t intervals, Quark's paired differences and the paper-shape block on the means; a seed whose run exists continues or reloads it"),
            ResumedExperiment.option,
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        if let threads = arguments.options["threads"] {
            guard let n = Int(threads), n >= 1 else { throw ConfigurationError.badValue(field: "threads", value: threads, expected: "a positive integer") }
            Compute.threadCount = n
        }
        if arguments.options["seeds"] != nil { return try runSeeds(arguments) }
        let resume = try ResumedExperiment(arguments, command: name, savedOptions: ["task": "task.txt"])
        let arguments = resume.arguments
        let task = try self.task(arguments)
        let taskName = task.rawValue
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/quark-\(taskName)"))
        let config = try QuarkExperimentConfig.load(arguments: arguments, reserved: ["out", "task", "threads", "resume"],
                                                    defaults: QuarkExperimentConfig(task: task))
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        let experiment = try QuarkExperiment(task: task, config: config, outputDirectory: out, resuming: resume.resuming) { line in
            printer.line(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        experiment.shouldStop = { Interrupt.requested }
        guard let report = try resume.interruptible(printer, { try experiment.run() }) else { return }
        print("")
        print(report)
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }

    static func task(_ arguments: CommandLineArguments) throws -> QuarkExperimentTask {
        let taskName = try arguments.required("task", "toxicity, sentiment or repetition, e.g. --task toxicity")
        guard let task = QuarkExperimentTask(rawValue: taskName) else {
            throw ConfigurationError.badValue(field: "task", value: taskName, expected: "toxicity, sentiment or repetition")
        }
        return task
    }

    /// `--seeds 0,1,2`: one run of the table per seed in OUT/seed-N, then the summary over seeds in OUT/report.md.
    static func runSeeds(_ arguments: CommandLineArguments) throws {
        if let threads = arguments.options["threads"] {
            guard let n = Int(threads), n >= 1 else { throw ConfigurationError.badValue(field: "threads", value: threads, expected: "a positive integer") }
            Compute.threadCount = n
        }
        let task = try self.task(arguments)
        let base = try QuarkExperimentConfig.load(arguments: arguments, reserved: ["out", "task", "threads", "seeds"],
                                                  defaults: QuarkExperimentConfig(task: task))
        try SeedList.runEach(arguments, command: name, runSeed: { seed, directory, resuming, log, shouldStop in
            var config = base
            config.seed = seed
            let experiment = try QuarkExperiment(task: task, config: config, outputDirectory: directory, resuming: resuming, log: log)
            experiment.shouldStop = shouldStop
            _ = try experiment.run()
            return experiment.measurements
        }, summary: { runs in
            "# Quark: \(task.rawValue) over seeds\n\n" + (try QuarkSeeds.summary(task: task, runs: runs.map { ($0.seed, $0.result) }))
        })
    }
}
