// Checkpoint folders shared by the trainers that resume exactly (CheckpointedTrainer): `step-NNNNNN` folders
// written under a temporary name and renamed into place (a crash never leaves a half-written checkpoint as the
// latest), and pruning of old ones. Trimming a run's logs back to a checkpoint's step is the run directory's job (Runs).
import Foundation
import NeuralNetworks
import TensorCore

/// A checkpoint could not be written: the run stops, and the previous checkpoint stays the latest.
public struct CheckpointWriteError: Error, Equatable, CustomStringConvertible {
    /// The checkpoint folder that was being written.
    public let directory: String
    /// The file that could not be written (inside `directory`, or `directory` itself when the swap failed).
    public let file: String
    /// What the system said.
    public let reason: String

    public init(directory: String, file: String, reason: String) {
        self.directory = directory
        self.file = file
        self.reason = reason
    }

    public var description: String {
        "cannot write \(file) (\(reason)); the checkpoint \(directory) was not written, and the previous complete "
            + "checkpoint stays the latest. Free disk space or make the directory writable, then resume from it"
    }
}

/// Helpers for a directory of `step-NNNNNN` checkpoint folders.
///
/// ```swift
/// let url = try CheckpointFolder.write(in: checkpoints, step: 40, keep: 2) { folder in
///     try model.save(to: folder.appendingPathComponent("model.safetensors"))
/// }
/// let latest = CheckpointFolder.latest(in: checkpoints)   // the folder of step 40
/// ```
public enum CheckpointFolder {
    /// The folder name of the checkpoint after `step` updates: `step-000040`.
    public static func name(step: Int) -> String { String(format: "step-%06d", step) }

    /// The complete checkpoints in `directory`, oldest first (temporary folders are hidden and skipped).
    public static func list(in directory: URL) -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest complete checkpoint in `directory`, or nil.
    public static func latest(in directory: URL) -> URL? { list(in: directory).last?.url }

    /// The newest complete checkpoint in `directory`, for resuming a run.
    ///
    /// - Throws: `TrainingError.noCheckpoint` when there is none.
    public static func requireLatest(in directory: URL) throws -> URL {
        guard let latest = latest(in: directory) else {
            throw TrainingError.noCheckpoint(directory: directory.path)
        }
        return latest
    }

    /// Writes the checkpoint of `step` into `directory/step-NNNNNN` atomically, then deletes all but the newest
    /// `keep` checkpoints.
    ///
    /// - Parameter write: fills the (temporary) folder it is given.
    /// - Returns: the checkpoint folder.
    @discardableResult
    public static func write(in directory: URL, step: Int, keep: Int, _ write: (URL) throws -> Void) throws -> URL {
        let destination = directory.appendingPathComponent(name(step: step))
        try replaceDirectory(at: destination, write)
        for old in list(in: directory).dropLast(max(keep, 1)) {
            try? FileManager.default.removeItem(at: old.url)
        }
        // Temporary folders of other steps were left by a killed process (a run has one writer): delete them.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".partial-step-") || name.hasPrefix(".old-step-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        return destination
    }

    /// Builds a directory under a temporary name next to `destination`, then swaps it into place, so readers
    /// see either the old complete directory or the new complete one.
    ///
    /// When writing fails midway (a full disk, a permission), the temporary folder is removed, `destination`
    /// keeps its old content and the error names the file that could not be written.
    /// - Throws: ``CheckpointWriteError``.
    public static func replaceDirectory(at destination: URL, _ write: (URL) throws -> Void) throws(CheckpointWriteError) {
        let fm = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let partial = parent.appendingPathComponent(".partial-\(destination.lastPathComponent)")
        let old = parent.appendingPathComponent(".old-\(destination.lastPathComponent)")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try? fm.removeItem(at: partial)
            try fm.createDirectory(at: partial, withIntermediateDirectories: true)
            try write(partial)
            try failureInjection?(partial)
        } catch {
            try? fm.removeItem(at: partial)
            throw CheckpointWriteError(directory: destination.path, file: failedFile(error, partial: partial, destination: destination),
                                       reason: reason(error))
        }
        do {
            try? fm.removeItem(at: old)
            if fm.fileExists(atPath: destination.path) { try fm.moveItem(at: destination, to: old) }
            do {
                try fm.moveItem(at: partial, to: destination)
            } catch {
                // Put the old directory back, so the last complete checkpoint stays where it was.
                if !fm.fileExists(atPath: destination.path) && fm.fileExists(atPath: old.path) { try? fm.moveItem(at: old, to: destination) }
                throw error
            }
        } catch {
            try? fm.removeItem(at: partial)
            throw CheckpointWriteError(directory: destination.path, file: destination.path, reason: reason(error))
        }
        try? fm.removeItem(at: old)
    }

    /// A test seam: when set, called with the temporary folder after the checkpoint's files are written and
    /// before it is renamed into place; an error it throws is handled as a failed write (a full disk, say), so
    /// tests can check that a run stops cleanly without filling a disk. Nil in normal use.
    nonisolated(unsafe) public static var failureInjection: ((URL) throws -> Void)?

    /// The file an error of a checkpoint write names, translated from the temporary folder to the destination
    /// (the temporary folder is gone by the time the error is read); the destination when none is named.
    private static func failedFile(_ error: Error, partial: URL, destination: URL) -> String {
        var path: String?
        if let error = error as? CheckpointError, case .ioError(let file, _) = error { path = file }
        if path == nil { path = (error as NSError).userInfo[NSFilePathErrorKey] as? String }
        if path == nil { path = ((error as NSError).userInfo[NSURLErrorKey] as? URL)?.path }
        guard let path else { return destination.path }
        return path.hasPrefix(partial.path) ? destination.path + path.dropFirst(partial.path.count) : path
    }

    private static func reason(_ error: Error) -> String {
        if error is CheckpointError { return "\(error)" }
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }

    /// Reads `state.json` of a checkpoint folder.
    ///
    /// - Throws: `TrainingError.unreadableCheckpoint` naming the file when it is missing or does not decode.
    public static func readState<State: Decodable>(_ type: State.Type, from folder: URL) throws -> State {
        let url = folder.appendingPathComponent("state.json")
        do {
            return try JSONDecoder().decode(State.self, from: Data(contentsOf: url))
        } catch {
            throw TrainingError.unreadableCheckpoint(path: url.path, reason: "\(error)")
        }
    }

    /// Writes `state` as pretty, key-sorted JSON to `state.json` in `folder`.
    public static func writeState<State: Encodable>(_ state: State, to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: folder.appendingPathComponent("state.json"))
    }
}

extension Module {
    /// Checks that `tensors` holds exactly this module's parameter names and shapes, without assigning anything
    /// (to check every file of a checkpoint before any of it is loaded).
    ///
    /// - Throws: `CheckpointError.missingParameter`, `.shapeMismatch` or `.unexpectedParameter`.
    public func validate(stateDictionary tensors: [String: Tensor]) throws(CheckpointError) {
        let parameters = namedParameters()
        for (name, parameter) in parameters {
            guard let tensor = tensors[name] else { throw .missingParameter(name: name) }
            guard tensor.shape == parameter.value.shape else {
                throw .shapeMismatch(name: name, expected: parameter.value.shape, found: tensor.shape)
            }
        }
        let known = Set(parameters.map(\.0))
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) { throw .unexpectedParameter(name: extra) }
    }
}
