// `--resume DIR` and Ctrl-C for the multi-stage commands (pipeline, quark, rlp, rainier): a resumed run takes its
// configuration (and saved options such as the task) from DIR, refuses overrides that would change it, and a
// stopped run prints how to continue.
import Foundation
import Runs

struct ResumedExperiment {
    /// The arguments to run with: for a resumed run, `out` and `config` point into the run directory.
    let arguments: CommandLineArguments
    /// Whether the run continues an interrupted one.
    let resuming: Bool
    let command: String

    /// The help line of `--resume`.
    static let option = ("resume DIR", "continue the interrupted run in DIR with its own configuration: finished stages are loaded, the stopped one continues from its checkpoint; the results match an uninterrupted run's (same thread count). Ctrl-C stops a run after the current step with a checkpoint")

    /// - Parameter savedOptions: options a resumed run reads from a file of the run directory when not given
    ///   (e.g. `task` from `task.txt`).
    init(_ given: CommandLineArguments, command: String, savedOptions: [String: String] = [:]) throws {
        self.command = command
        guard let resume = given.options["resume"] else {
            (arguments, resuming) = (given, false)
            return
        }
        let directory = URL(fileURLWithPath: resume)
        let allowed = Set(["resume", "out", "config", "threads"]).union(savedOptions.keys)
        let overrides = given.options.keys.filter { !allowed.contains($0) }
        guard overrides.isEmpty else {
            throw UsageError("a resumed run uses its saved configuration; drop --\(overrides.sorted().joined(separator: ", --"))")
        }
        if let out = given.options["out"], URL(fileURLWithPath: out).standardized != directory.standardized {
            throw UsageError("--out \(out) differs from --resume \(resume); a resumed run continues in its own directory")
        }
        var merged = given
        merged.options["out"] = resume
        merged.options["config"] = merged.options["config"] ?? directory.appendingPathComponent("config.json").path
        for (key, file) in savedOptions where merged.options[key] == nil {
            guard let value = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else {
                throw UsageError("\(directory.appendingPathComponent(file).path) is missing, so \(resume) is not a run that can be resumed; start a new run with --out")
            }
            merged.options[key] = value.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        (arguments, resuming) = (merged, true)
    }

    /// Runs `body`; when it stops on request, prints how to continue and returns nil.
    func interruptible<T>(_ printer: ProgressPrinter, _ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let stop as RunInterrupted {
            printer.line("interrupted: \(stop); continue with rlft \(command) --resume \(stop.directory)")
            return nil
        }
    }
}
