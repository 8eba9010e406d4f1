// One directory per run: the resolved configuration, metrics.jsonl, samples.jsonl, a report and plots.
import Foundation

/// A file of a run directory could not be written (a full disk, a permission).
public struct RunWriteError: Error, Equatable, CustomStringConvertible {
    /// The file.
    public let file: String
    /// What the system said.
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    /// Names `file` and keeps the system's reason from `underlying` (its POSIX message when it has one).
    public init(file: String, underlying: Error) {
        let error = underlying as NSError
        if let posix = error.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            self.init(file: file, reason: String(cString: strerror(Int32(posix.code))))
        } else if error.domain == NSPOSIXErrorDomain {
            self.init(file: file, reason: String(cString: strerror(Int32(error.code))))
        } else {
            self.init(file: file, reason: error.localizedDescription)
        }
    }

    public var description: String {
        "cannot write \(file) (\(reason)); free disk space or make the directory writable, then continue the run from its "
            + "last checkpoint (rlft <command> --resume DIR)"
    }
}

/// A run's output directory and its append-only logs.
public final class RunDirectory {
    /// The directory.
    public let url: URL
    private var metricsHandle: FileHandle?
    private var samplesHandle: FileHandle?
    /// This process's exclusive hold on the directory, shared by every `RunDirectory` it opens on it.
    private let lock: RunLock

    /// Creates (or reopens, when resuming) the directory and locks it for this process.
    ///
    /// - Throws: `RunLockError.inUse` naming the other process's PID when another live process has the
    ///   directory open (two writers would interleave metrics and checkpoints); file errors.
    public init(_ url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        lock = try RunLock.shared(for: url)
        removeStaleTemporaryFiles()
    }

    /// Deletes the temporary files (`.NAME.tmp-PID`) of atomic writes that a killed process left behind. Holding
    /// the lock, this process is the directory's only writer, so those of other PIDs are dead.
    private func removeStaleTemporaryFiles() {
        let own = "tmp-\(ProcessInfo.processInfo.processIdentifier)"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
            guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards),
                  Int(name[range.upperBound...]) != nil, !name.hasSuffix(own) else { continue }
            try? FileManager.default.removeItem(at: file(name))
        }
    }

    /// Deletes everything in the directory but its lock: a run started over with `--overwrite` must not mix with
    /// the metrics, checkpoints and models of the run it replaces.
    public func removeAllContents() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name != RunLock.fileName {
            try FileManager.default.removeItem(at: file(name))
        }
    }

    /// Whether the directory holds a run's files (configuration, metrics, checkpoints or a model).
    public static func holdsRun(_ url: URL) -> Bool {
        ["config.json", "options.json", "checkpoints", "model", "stages.json"].contains {
            FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
        }
    }

    /// A file inside the run directory.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `data` to `name` atomically (temporary file, then rename).
    public func writeAtomically(_ data: Data, to name: String) throws {
        try RunDirectory.writeAtomically(data, to: file(name))
    }

    /// Writes `data` to `destination` atomically: a crash leaves either the old file or the new one.
    ///
    /// - Throws: ``RunWriteError`` naming `destination` (a full disk, a permission); no temporary file is left.
    public static func writeAtomically(_ data: Data, to destination: URL) throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RunWriteError(file: destination.path, underlying: error)
        }
        if rename(temporary.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw RunWriteError(file: destination.path, reason: reason)
        }
    }

    /// Appends one metrics record (`{"step": n, "key": value, ...}`) to metrics.jsonl.
    public func appendMetrics(step: Int, phase: String? = nil, _ metrics: [String: Double]) throws {
        var object: [String: Any] = ["step": step]
        if let phase { object["phase"] = phase }
        for (k, v) in metrics { object[k] = v.isFinite ? v : (v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")) }
        try append(object, to: &metricsHandle, name: "metrics.jsonl")
    }

    /// Appends one sample record (`{"method", "prompt", "completion", ...scores}`) to samples.jsonl.
    public func appendSample(method: String, prompt: String, completion: String, scores: [String: Double] = [:]) throws {
        var object: [String: Any] = ["method": method, "prompt": prompt, "completion": completion]
        for (k, v) in scores where v.isFinite { object[k] = v }
        try append(object, to: &samplesHandle, name: "samples.jsonl")
    }

    private func append(_ object: [String: Any], to handle: inout FileHandle?, name: String) throws {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        data.append(0x0A)
        let path = file(name)
        do {
            if handle == nil {
                if !FileManager.default.fileExists(atPath: path.path) {
                    _ = FileManager.default.createFile(atPath: path.path, contents: nil)
                }
                handle = try FileHandle(forWritingTo: path)
                try handle!.seekToEnd()
            }
            try handle!.write(contentsOf: data)
        } catch {
            throw RunWriteError(file: path.path, underlying: error)
        }
    }

    /// Reads metrics.jsonl back as records.
    public func readMetrics() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: file("metrics.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Rewrites metrics.jsonl without the records for which `drop` is true (a resumed stage drops what it
    /// wrote after its last checkpoint, then writes it again).
    public func removeMetrics(where drop: ([String: Any]) -> Bool) throws {
        try? metricsHandle?.close()
        metricsHandle = nil
        try removeRecords(from: "metrics.jsonl", where: drop)
    }

    /// Rewrites samples.jsonl without the records for which `drop` is true.
    public func removeSamples(where drop: ([String: Any]) -> Bool) throws {
        try? samplesHandle?.close()
        samplesHandle = nil
        try removeRecords(from: "samples.jsonl", where: drop)
    }

    /// Rewrites a log without the records `drop` selects and without a last line that lacks its newline (the
    /// torn write of a killed process, which the next append would otherwise run into).
    private func removeRecords(from name: String, where drop: ([String: Any]) -> Bool) throws {
        try RunDirectory.rewriteLog(file(name), where: drop)
    }

    /// Drops the lines of a JSONL log (such as `metrics.jsonl` or `samples.jsonl`) whose numeric `"step"` is after
    /// `step`: the lines a stopped run wrote after its last checkpoint, which the resumed run writes again. Lines
    /// without a step are kept, except a last line without its newline: the torn write of a killed process, which
    /// the next append would otherwise run into. The file is rewritten atomically; a missing file is left missing.
    public static func truncateLog(_ url: URL, afterStep step: Int) throws {
        try rewriteLog(url) { record in
            guard let number = record["step"] as? NSNumber else { return false }
            return number.intValue > step
        }
    }

    /// Rewrites the log at `url` atomically without the records `drop` selects and without a last line that lacks
    /// its newline; lines that are not JSON objects are kept. A missing file is left missing.
    private static func rewriteLog(_ url: URL, where drop: ([String: Any]) -> Bool) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // what follows the last newline: empty, or a torn line
        let kept = lines.filter { !$0.isEmpty }.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return true }
            return !drop(object)
        }
        try writeAtomically(Data(kept.map { $0 + "\n" }.joined().utf8), to: url)
    }

    deinit {
        try? metricsHandle?.close()
        try? samplesHandle?.close()
    }
}
