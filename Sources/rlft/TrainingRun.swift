// Checkpointed runs of the sft and reward commands: the data options saved in the run directory so that
// `--resume RUN_DIR` needs nothing else, checkpoint options, loss curves as SVG and the Markdown report.
import Foundation
import Runs
import TrainingCore

enum TrainingRun {
    /// The options every checkpointed command takes besides its own.
    static let checkpointOptions: [(String, String)] = [
        ("resume DIR", "continue the run in DIR from its newest checkpoint with its saved configuration and options; finishes bit-identical to an uninterrupted run (same thread count)"),
        ("checkpoint-every N", "updates between checkpoints in DIR/checkpoints (default 50; one is also written at the end and on Ctrl-C)"),
        ("keep-checkpoints N", "checkpoints kept on disk (default 2)"),
    ]
    static let checkpointKeys: Set<String> = ["resume", "checkpoint-every", "keep-checkpoints"]

    /// The arguments to run with, and whether they continue a run.
    ///
    /// A new run saves `options` (the data and model options in `keys`) to `options.json` in its directory. With
    /// `--resume DIR`, those saved options fill in whatever is not given again, `--out` becomes DIR and the
    /// configuration comes from DIR/config.json.
    ///
    /// - Parameter savedOptionsRequired: false for commands whose older runs have no `options.json`: those resume
    ///   with the options given again.
    static func arguments(_ arguments: CommandLineArguments, keys: Set<String>,
                          savedOptionsRequired: Bool = true) throws -> (arguments: CommandLineArguments, resuming: Bool) {
        guard let resume = arguments.options["resume"] else { return (arguments, false) }
        let directory = URL(fileURLWithPath: resume)
        let optionsURL = directory.appendingPathComponent("options.json")
        var saved: [String: String] = [:]
        if let data = try? Data(contentsOf: optionsURL), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: String] {
            saved = object
        } else if savedOptionsRequired || !FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
            throw UsageError("\(optionsURL.path) is missing or unreadable, so \(resume) is not a run directory that can be resumed; start a new run with --out")
        }
        var merged = arguments
        for (key, value) in saved where keys.contains(key) && merged.options[key] == nil { merged.options[key] = value }
        if let given = merged.options["out"], URL(fileURLWithPath: given).standardized != directory.standardized {
            throw UsageError("--out \(given) differs from --resume \(resume); a resumed run continues in its own directory")
        }
        merged.options["out"] = resume
        if merged.options["config"] == nil { merged.options["config"] = directory.appendingPathComponent("config.json").path }
        return (merged, true)
    }

    /// The run directory `--out` names, checked before anything is read or written: not a file, and for a new run
    /// not a directory that holds a run already, unless `--overwrite` asks to start it over. Nothing is created
    /// here, so an option refused later leaves nothing on disk; `openRun` creates it once everything is checked.
    static func outputDirectory(_ arguments: CommandLineArguments, resuming: Bool, example: String) throws -> URL {
        let path = try arguments.required("out", "the run directory, e.g. --out \(example)")
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError("--out \(path) is a file, not a directory; name a new directory for the run")
        }
        if !resuming && arguments.options["overwrite"] != "true" && RunDirectory.holdsRun(url) {
            // A live writer is the more useful news: its lock refuses with its PID.
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(RunLock.fileName).path) {
                _ = try RunLock(directory: url)
            }
            throw UsageError("--out \(path) already holds a run; continue it with --resume \(path), start it over with "
                             + "--overwrite (its files are deleted), or name a new directory")
        }
        return url
    }

    /// Creates and locks the run directory checked by `outputDirectory`; with `--overwrite` (and not resuming),
    /// empties it first so the new run's files never mix with the old run's.
    static func openRun(_ url: URL, _ arguments: CommandLineArguments, resuming: Bool) throws -> RunDirectory {
        let run = try RunDirectory(url)
        if !resuming && arguments.options["overwrite"] == "true" { try run.removeAllContents() }
        return run
    }

    static let overwriteOption = ("overwrite", "start over in an --out directory that holds a run, deleting its files (without it, such a directory is refused)")

    /// Links `run/checkpoint` to `run/model`: the final model's directory of every trainer is `model/`, and
    /// `rlft sft` and `rlft reward` wrote it to `checkpoint/` before, which scripts may still read.
    static func linkFormerModelDirectory(_ run: RunDirectory) {
        let link = run.file("checkpoint")
        try? FileManager.default.removeItem(at: link)
        try? FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "model")
    }

    /// Saves the options in `keys` that were given, for `--resume`.
    /// Paths are saved absolute, so that `--resume` works from any working directory.
    static func saveOptions(_ arguments: CommandLineArguments, keys: Set<String>, to run: RunDirectory) throws {
        let saved = arguments.options.filter { keys.contains($0.key) && $0.key != "out" }.mapValues { value in
            FileManager.default.fileExists(atPath: value) ? URL(fileURLWithPath: value).standardizedFileURL.path : value
        }
        try run.writeAtomically(try JSONSerialization.data(withJSONObject: saved, options: [.prettyPrinted, .sortedKeys]), to: "options.json")
    }

    /// A positive integer option, or `default`.
    static func positiveInteger(_ arguments: CommandLineArguments, _ key: String, default value: Int) throws -> Int {
        guard let text = arguments.options[key] else { return value }
        guard let n = Int(text), n >= 0 else {
            throw ConfigurationError.badValue(field: key, value: text, expected: "a whole number ≥ 0, such as \(value)")
        }
        return n
    }

    /// Writes a run's final model directory whole or not at all: built in a temporary folder and swapped into place,
    /// so a run killed while saving leaves neither a half-written model nor stray temporary files in it (the
    /// resumed run writes it again).
    static func saveModel(at directory: URL, _ write: (URL) throws -> Void) throws {
        try CheckpointFolder.replaceDirectory(at: directory, write)
    }

    /// Drops metrics written after the checkpoint a run resumes from (the resumed run writes them again).
    static func truncateLogs(_ run: RunDirectory, afterStep step: Int) throws {
        try RunDirectory.truncateLog(run.file("metrics.jsonl"), afterStep: step)
    }

    /// One SVG line chart of metric keys against the step, from metrics.jsonl.
    ///
    /// - Returns: false (and writes nothing) when none of the keys has a value.
    @discardableResult
    static func writeChart(_ run: RunDirectory, file: String, title: String, yLabel: String, keys: [(key: String, name: String)]) throws -> Bool {
        let records = try run.readMetrics()
        let series = keys.map { key, name in
            PlotSeries(name: name, points: records.compactMap { r in
                guard let step = r["step"] as? Int, let value = r[key] as? Double, r["phase"] as? String != "final" else { return nil }
                return (Double(step), value)
            })
        }.filter { !$0.points.isEmpty }
        guard !series.isEmpty else { return false }
        try run.writeAtomically(Data(svgLineChart(title: title, xLabel: "step", yLabel: yLabel, series: series).utf8), to: file)
        return true
    }

    /// report.md: a title, what was run, the result table, and the curves that were written.
    static func writeReport(_ run: RunDirectory, title: String, facts: [String], table: String, charts: [(file: String, caption: String)]) throws {
        var lines = ["# \(title)", ""]
        lines += facts.map { "- \($0)" }
        lines += ["", "## Results", "", table, ""]
        if !charts.isEmpty {
            lines += ["## Curves", ""]
            for chart in charts { lines += ["![\(chart.caption)](\(chart.file))", ""] }
        }
        lines += ["Files: `config.json` (the resolved configuration), `options.json`, `metrics.jsonl`, `checkpoints/` (resume with `--resume`), `checkpoint/` (the final model)."]
        try run.writeAtomically(Data(lines.joined(separator: "\n").utf8), to: "report.md")
    }
}

/// The first failure to write the run directory while training, kept for the command to throw once the trainer
/// has stopped (a progress handler cannot throw; it stops the run instead).
final class RunWriteFailure {
    fileprivate(set) var error: Error?

    /// Throws the failure, if there was one.
    func rethrow() throws {
        if let error { throw error }
    }
}

extension TrainingRun {
    /// The event handler of the offline trainers' commands (sft, reward, dpo, kto, orpo): training and validation
    /// metrics into `metrics.jsonl`, a progress line per step with the latest of both, warnings, and a clean stop
    /// on Ctrl-C that tells how to resume. A metrics write that fails (a full disk) stops the run and is kept in
    /// `failure`, which the command throws after the trainer returns.
    ///
    /// - Parameter command: the subcommand name, for the resume hint (`rlft <command> --resume DIR`).
    static func progress(_ run: RunDirectory, printer: ProgressPrinter, command: String, failure: RunWriteFailure) -> TrainingProgress {
        var latest: [String: Double] = [:]
        return { event in
            switch event {
            case .step(let step, let total, let metrics):
                do {
                    try run.appendMetrics(step: step, phase: "train", metrics)
                } catch {
                    failure.error = failure.error ?? error
                    return .stop
                }
                latest.merge(metrics) { $1 }
                printer.step("step", step: step, total: total, metrics: latest)
            case .evaluation(let step, let metrics):
                do {
                    try run.appendMetrics(step: step, phase: "validation", metrics)
                } catch {
                    failure.error = failure.error ?? error
                    return .stop
                }
                latest.merge(metrics) { $1 }
            case .checkpoint(_, let path):
                if Interrupt.requested { printer.line("interrupted: checkpoint written to \(path); continue with rlft \(command) --resume \(run.url.path)") }
            case .warning(let text):
                printer.line("warning: \(text)")
            }
            return Interrupt.requested ? .stop : .continue
        }
    }
}
