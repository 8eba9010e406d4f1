// `rlft rainier --out DIR`: Rainier on the built-in commonsense world — QA model, stage I, stage II, the table.
import Foundation
import RainierExperiments
import Runs

enum RainierCommand: Command {
    static let name = "rainier"
    static let summary = "Rainier: knowledge introspector (imitation, then PPO against a fixed QA model) on the commonsense world"
    static var help: String {
        RainierExperimentConfig.helpText(command: name, summary: summary, extraOptions: [
            ("out DIR", "the run directory: config.json, metrics.jsonl, samples.jsonl (every knowledge statement used), report.md, reward.svg, models/, checkpoints/, stages.json (required unless --resume)"),
            ("seeds LIST", "run one experiment per seed (comma-separated, e.g. 0,1,2) into OUT/seed-N and write OUT/report.md with the table pooled over seeds (entities resampled within each seed); a seed whose run exists continues or reloads it"),
            ResumedExperiment.option,
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        if arguments.options["seeds"] != nil { return try runSeeds(arguments) }
        let resume = try ResumedExperiment(arguments, command: name)
        let arguments = resume.arguments
        let out = URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/rainier"))
        let config = try RainierExperimentConfig.load(arguments: arguments, reserved: ["out", "resume"])
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        let experiment = try RainierExperiment(config: config, output: out, resuming: resume.resuming) { printer.line($0) }
        experiment.shouldStop = { Interrupt.requested }
        guard let result = try resume.interruptible(printer, { try experiment.runAll() }) else { return }
        print("")
        print("Accuracy (95 % bootstrap intervals):")
        print(result.accuracyTable)
        print("Paired differences (95 % bootstrap over test entities):")
        print(result.differenceTable)
        print("Paper shape (Rainier, arXiv 2210.03078):")
        for claim in result.claims { print("  " + claim.line) }
        print("")
        print("Knowledge statements that are true and relevant:")
        print(result.knowledgeTable)
        print("Aggregations:")
        print(result.aggregationTable)
        print(String(format: "Total %.1f s. Report: %@", result.seconds, out.appendingPathComponent("report.md").path))
    }

    /// `--seeds 0,1,2`: one run per seed in OUT/seed-N, then the pooled summary in OUT/report.md.
    static func runSeeds(_ arguments: CommandLineArguments) throws {
        let base = try RainierExperimentConfig.load(arguments: arguments, reserved: ["out", "seeds"])
        try SeedList.runEach(arguments, command: name, runSeed: { seed, directory, resuming, log, shouldStop in
            var config = base
            config.seed = seed
            let experiment = try RainierExperiment(config: config, output: directory, resuming: resuming, log: log)
            experiment.shouldStop = shouldStop
            return try experiment.runAll()
        }, summary: { runs in
            "# Rainier on the commonsense world over seeds\n\n" + (try RainierSeeds.summary(runs, resamples: base.bootstrapResamples))
        })
    }
}
