// Small helpers for reading and writing the JSON and text files of tokenizers, mapping every
// failure to a TokenizerError that names the file.
import Foundation
import JSON

enum FileIO {
    static func readData(_ url: URL, hint: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.missingFile(path: url.path, hint: hint)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.ioFailure(path: url.path, reason: "\(error)")
        }
    }

    /// Parses a JSON file; a syntax error becomes `malformedVocabulary` with its line and column.
    static func readJSON(_ url: URL, hint: String) throws -> JSONValue {
        let data = try readData(url, hint: hint)
        do {
            return try JSONValue.parse(utf8: data)
        } catch {
            throw TokenizerError.malformedVocabulary(path: url.path, reason: error.description + "; fix or re-export the file")
        }
    }

    static func write(_ text: String, to url: URL) throws {
        try write(Array(text.utf8), to: url)
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw TokenizerError.ioFailure(path: url.path, reason: "\(error)")
        }
    }

    static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw TokenizerError.ioFailure(path: url.path, reason: "cannot create the directory: \(error)")
        }
    }
}

/// `{"a": 0, "b": 1}` with entries in the given order.
func jsonObject(_ entries: [(String, String)], separator: String = ", ") -> String {
    "{" + entries.map { JSONValue.quote($0.0) + ": " + $0.1 }.joined(separator: separator) + "}"
}
