// Resumable multi-stage runs (a pipeline, an experiment): the ledger of finished stages in `stages.json`, so that
// `--resume` skips what is done, and the error a run throws when it is asked to stop between or inside stages.
import Foundation

/// The stages of a multi-stage run that have finished, with their seconds and a few figures, kept in the run
/// directory's `stages.json` (rewritten atomically after every stage).
///
/// A runner saves each stage's product (models, data) before it records the stage as finished, so a resumed run
/// rebuilds finished stages from disk and runs only the rest. With the same seed and thread count the resumed
/// run ends with exactly the numbers of an uninterrupted one, because every stage seeds its own generators.
public final class StageLedger {
    /// One finished stage.
    public struct Record: Codable, Equatable, Sendable {
        /// The stage's name as the runner's clock reports it.
        public var name: String
        /// Wall-clock seconds the stage took when it ran.
        public var seconds: Double
        /// Figures the stage produced that later stages or the report need (e.g. an accuracy).
        public var values: [String: Double]
    }

    /// The finished stages, in the order they finished.
    public private(set) var records: [Record] = []
    /// Whether the ledger continues an interrupted run (trainers then continue from their checkpoints).
    public let resuming: Bool
    private let run: RunDirectory
    static let fileName = "stages.json"

    /// Opens the ledger of `run`.
    ///
    /// - Parameter resuming: false starts a new run (an existing ledger is replaced by an empty one); true reads
    ///   `stages.json`.
    /// - Throws: `RunResumeError` when resuming a directory whose ledger is missing or unreadable.
    public init(run: RunDirectory, resuming: Bool) throws {
        self.run = run
        self.resuming = resuming
        let url = run.file(Self.fileName)
        guard resuming else {
            try save()   // an empty ledger marks the directory as a run that can be resumed, even from its first stage
            return
        }
        guard let data = try? Data(contentsOf: url) else {
            throw RunResumeError.notResumable(directory: run.url.path, reason: "it has no \(Self.fileName), so it is not a run this command started")
        }
        do {
            records = try JSONDecoder().decode([Record].self, from: data)
        } catch {
            throw RunResumeError.notResumable(directory: run.url.path, reason: "\(Self.fileName) cannot be read (\(error))")
        }
    }

    /// Opens the ledger of a run of `configuration`. When resuming, the run's `config.json` must decode to the same
    /// configuration and each file named in `savedTexts` must hold the given text (for example the task), since a
    /// resumed run continues exactly the run that was started.
    ///
    /// - Throws: `RunResumeError` naming what differs.
    public convenience init<Configuration: Decodable & Equatable>(run: RunDirectory, resuming: Bool, configuration: Configuration,
                                                                  savedTexts: [String: String] = [:]) throws {
        if resuming {
            let saved = try? JSONDecoder().decode(Configuration.self, from: Data(contentsOf: run.file("config.json")))
            guard saved == configuration else {
                throw RunResumeError.notResumable(directory: run.url.path, reason: "its config.json is missing or differs from the configuration given; resume with the run's own")
            }
            for (file, text) in savedTexts.sorted(by: { $0.key < $1.key }) where (try? String(contentsOf: run.file(file), encoding: .utf8)) != text {
                throw RunResumeError.notResumable(directory: run.url.path, reason: "its \(file) is missing or is not \"\(text)\"; resume with the run's own settings")
            }
        }
        try self.init(run: run, resuming: resuming)
    }

    /// The record of `name` when that stage has finished.
    public func finished(_ name: String) -> Record? { records.first { $0.name == name } }

    /// Records `name` as finished (after its products are saved).
    public func markFinished(_ name: String, seconds: Double, values: [String: Double] = [:]) throws {
        records.removeAll { $0.name == name }
        records.append(Record(name: name, seconds: seconds, values: values))
        try save()
    }

    private func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try run.writeAtomically(try encoder.encode(records), to: Self.fileName)
    }
}

/// A multi-stage run stopped on request (Ctrl-C) after saving what it had; `--resume` continues it.
public struct RunInterrupted: Error, CustomStringConvertible {
    /// The stage that was running or about to start.
    public var stage: String
    /// The run directory to resume.
    public var directory: String

    public init(stage: String, directory: String) {
        self.stage = stage
        self.directory = directory
    }

    public var description: String {
        "stopped during \"\(stage)\"; finished stages and the stage's last checkpoint are saved in \(directory)"
    }
}

/// A run directory cannot be resumed.
public enum RunResumeError: Error, Equatable, CustomStringConvertible {
    case notResumable(directory: String, reason: String)

    public var description: String {
        switch self {
        case .notResumable(let directory, let reason):
            return "\(directory) cannot be resumed: \(reason); start a new run with --out"
        }
    }
}
