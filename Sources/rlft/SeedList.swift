// `--seeds 0,1,2` of the multi-seed commands (pipeline, rainier): one whole run per seed in OUT/seed-N, then a
// summary over the seeds in OUT/report.md.
import Foundation
import Runs

enum SeedList {
    /// The seeds of a `--seeds` value, in the order given.
    ///
    /// - Throws: `ConfigurationError.badValue` for an empty list, a value that is not a non-negative integer, or a
    ///   repeated seed.
    static func parse(_ text: String) throws -> [UInt64] {
        let seeds = text.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !seeds.isEmpty, seeds.allSatisfy({ $0 != nil }), Set(seeds).count == seeds.count else {
            throw ConfigurationError.badValue(field: "seeds", value: text, expected: "distinct non-negative integers separated by commas, such as 0,1,2")
        }
        return seeds.map { $0! }
    }

    /// Runs `runSeed` for every seed of `--seeds` into OUT/seed-N (a seed whose run exists continues or reloads it,
    /// since its directory holds `stages.json`), then writes and prints `summary` of the results as OUT/report.md.
    /// A Ctrl-C stops after the current step with a line saying how to continue.
    ///
    /// - Parameters:
    ///   - arguments: The command's arguments, with `--seeds` and `--out`.
    ///   - command: The command's name, for messages.
    ///   - runSeed: Builds and runs one seed's experiment in `directory`, logging through `log` and polling
    ///     `shouldStop`.
    ///   - summary: The Markdown of the finished runs.
    /// - Throws: `UsageError` for `--seed` or `--resume` beside `--seeds`; what the runs throw.
    static func runEach<Result>(_ arguments: CommandLineArguments, command: String,
                                runSeed: (_ seed: UInt64, _ directory: URL, _ resuming: Bool, _ log: @escaping (String) -> Void,
                                          _ shouldStop: @escaping () -> Bool) throws -> Result,
                                summary: ([(seed: UInt64, result: Result)]) throws -> String) throws {
        let seeds = try parse(arguments.options["seeds"]!)
        for conflicting in ["seed", "resume"] where arguments.options[conflicting] != nil {
            throw UsageError("--seeds runs one \(command) per seed; drop --\(conflicting) (a seed whose run exists in OUT/seed-N continues by itself)")
        }
        let out = URL(fileURLWithPath: try arguments.required("out", "the directory of the runs, e.g. --out runs/\(command)-seeds"))
        let start = Date()
        let printer = ProgressPrinter(keys: [])
        Interrupt.install()
        var runs: [(seed: UInt64, result: Result)] = []
        for seed in seeds {
            let directory = out.appendingPathComponent("seed-\(seed)")
            let resuming = FileManager.default.fileExists(atPath: directory.appendingPathComponent("stages.json").path)
            do {
                runs.append((seed, try runSeed(seed, directory, resuming, { line in
                    printer.line(String(format: "[%6.1fs] seed %llu: ", Date().timeIntervalSince(start), seed) + line)
                }, { Interrupt.requested })))
            } catch let stop as RunInterrupted {
                printer.line("interrupted: \(stop); run the same command again to continue")
                return
            }
        }
        let text = try summary(runs)   // no wall-clock time in it: a second call that reloads the runs writes the same file
        try Data(text.utf8).write(to: out.appendingPathComponent("report.md"), options: .atomic)
        print("")
        print(text)
        print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
    }
}
