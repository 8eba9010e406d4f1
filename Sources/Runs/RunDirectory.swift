// One directory per run: the resolved configuration, metrics.jsonl, samples.jsonl, a report and plots.
import Foundation

/// A run's output directory and its append-only logs.
public final class RunDirectory {
    /// The directory.
    public let url: URL
    private var metricsHandle: FileHandle?
    private var samplesHandle: FileHandle?

    /// Creates (or reopens, when resuming) the directory.
    public init(_ url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A file inside the run directory.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `data` to `name` atomically (temporary file, then rename).
    public func writeAtomically(_ data: Data, to name: String) throws {
        try RunDirectory.writeAtomically(data, to: file(name))
    }

    /// Writes `data` to `destination` atomically: a crash leaves either the old file or the new one.
    public static func writeAtomically(_ data: Data, to destination: URL) throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try data.write(to: temporary)
        if rename(temporary.path, destination.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
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
        if handle == nil {
            let path = file(name)
            // FileHandle(forWritingTo:) cannot create the file; a failed creation is reported with the path.
            if !FileManager.default.fileExists(atPath: path.path),
               !FileManager.default.createFile(atPath: path.path, contents: nil) {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path.path])
            }
            handle = try FileHandle(forWritingTo: path)
            try handle!.seekToEnd()
        }
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        data.append(0x0A)
        try handle!.write(contentsOf: data)
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

    private func removeRecords(from name: String, where drop: ([String: Any]) -> Bool) throws {
        guard let text = try? String(contentsOf: file(name), encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return true }
            return !drop(object)
        }
        try writeAtomically(Data(kept.map { $0 + "\n" }.joined().utf8), to: name)
    }

    deinit {
        try? metricsHandle?.close()
        try? samplesHandle?.close()
    }
}
