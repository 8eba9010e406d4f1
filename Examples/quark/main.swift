// quark: Quark's three experiments (Lu et al. 2022) in miniature on the review world.
//
//   swift run -c release quark                                  # toxicity, then repetition, then sentiment
//   swift run -c release quark --task=toxicity --out=runs/quark  # one table
//   swift run -c release quark --task=repetition --steps=5       # a smoke run (seconds)
//
// Each table runs every method in one go — toxicity and sentiment: base, DAPT, PPO, Quark; repetition: MLE,
// unlikelihood, Quark, Quark + unlikelihood — and writes samples.jsonl, metrics.jsonl and report.md into
// `<out>/<task>`. Any field of QuarkExperimentConfig can be overridden as `--key=value` or `--key value` (see
// `rlft quark --help`); a wrong name or value is rejected with what is allowed.
//
// What the defaults give, over seeds 0, 1, 2 (`rlft quark --task … --seeds 0,1,2`), with the paper-shape block of
// each table: the README's Quark section and the QuarkExperiments article.
import Foundation
import RLFineTuningExperiments

do {
    let arguments = try CommandLineArguments(Array(CommandLine.arguments.dropFirst()))
    let tasks = arguments.options["task"].map { [$0] } ?? ["toxicity", "repetition", "sentiment"]
    let out = URL(fileURLWithPath: arguments.options["out"] ?? "runs/quark-example")
    for name in tasks {
        guard let task = QuarkExperimentTask(rawValue: name) else {
            print("unknown task \(name); use toxicity, sentiment or repetition")
            exit(2)
        }
        // The task's own defaults (sentiment has its own tuned PPO and Quark settings), then the overrides.
        let config = try QuarkExperimentConfig.load(arguments: arguments, reserved: ["task", "out"],
                                                    defaults: QuarkExperimentConfig(task: task))
        let start = Date()
        let experiment = try QuarkExperiment(task: task, config: config, outputDirectory: out.appendingPathComponent(name)) { line in
            print(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
        }
        print(try experiment.run())
    }
} catch {
    print("quark: error: \(error)")
    exit(1)
}
