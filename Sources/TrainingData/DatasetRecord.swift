// The protocol every JSONL record type conforms to, and the field accessors used to validate records.
import Foundation

/// A record type that can be read from and written to one line of a JSONL file.
///
/// Conforming types validate while decoding: ``init(validating:)`` receives the parsed JSON object of one line
/// and throws a ``RecordProblem`` for a missing key, a wrong type, an empty string or a disallowed value. Keys
/// not named by the format are ignored, as the Hugging Face `datasets` loaders ignore extra columns.
///
/// The types are also `Codable` with the same keys, so `JSONEncoder`/`JSONDecoder` work on them too.
public protocol DatasetRecord: Codable, Equatable, Sendable {
    /// The shape of one line, shown in error messages, such as `{"prompt": string, "completion": string}`.
    static var format: String { get }

    /// Decodes and validates a record from the JSON object on one line.
    ///
    /// - Parameter object: The parsed object.
    /// - Throws: ``RecordProblem`` naming the offending key.
    init(validating object: [String: JSONLValue]) throws(RecordProblem)

    /// The record as a JSON object, with the keys of ``format``.
    var jsonObject: [String: JSONLValue] { get }

    /// The full texts a model will see for this record, whose lengths the reader checks against a maximum.
    ///
    /// For example `prompt + completion` for a prompt–completion record, or `prompt + chosen` and
    /// `prompt + rejected` for a preference record. The longest one must fit.
    var lengthCheckedTexts: [String] { get }
}

// MARK: - Field access helpers

/// Validating accessors over a record's JSON object, shared by the record types.
struct RecordFields {
    let object: [String: JSONLValue]
    let format: String

    /// A required, non-empty string. Whitespace-only strings (such as a completion of just "\n") are allowed.
    func string(_ key: String, path: String? = nil) throws(RecordProblem) -> String {
        let name = path ?? key
        guard let value = object[key] else { throw .missingKey(key: name, format: format) }
        return try RecordFields.nonEmptyString(value, key: name)
    }

    static func nonEmptyString(_ value: JSONLValue, key: String) throws(RecordProblem) -> String {
        guard case .string(let s) = value else {
            throw .wrongType(key: key, expected: "a string", found: value.summary)
        }
        guard !s.isEmpty else { throw .emptyString(key: key) }
        return s
    }

    func bool(_ key: String) throws(RecordProblem) -> Bool {
        guard let value = object[key] else { throw .missingKey(key: key, format: format) }
        guard case .bool(let b) = value else {
            throw .wrongType(key: key, expected: "a boolean (true or false)", found: value.summary)
        }
        return b
    }

    func array(_ key: String) throws(RecordProblem) -> [JSONLValue] {
        guard let value = object[key] else { throw .missingKey(key: key, format: format) }
        guard case .array(let a) = value else {
            throw .wrongType(key: key, expected: "an array", found: value.summary)
        }
        return a
    }

    func stringArray(_ key: String, minimumCount: Int) throws(RecordProblem) -> [String] {
        let items = try array(key)
        guard items.count >= minimumCount else {
            throw .invalidValue(key: key, reason: "has \(items.count) element\(items.count == 1 ? "" : "s"), "
                + "but at least \(minimumCount) are needed; add more or remove the record")
        }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            out.append(try RecordFields.nonEmptyString(item, key: "\(key)[\(i)]"))
        }
        return out
    }
}
