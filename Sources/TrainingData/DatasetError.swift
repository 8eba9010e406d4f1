// Errors raised while reading or writing JSONL datasets, with messages that name the file, the line and the fix.
import Foundation

/// What is wrong with one JSONL record, independent of where it was found.
///
/// ``DatasetError/invalidRecord(path:line:problem:)`` pairs a problem with its file and line. Keys inside nested
/// values are written as paths, such as `messages[2].role` or `completions[0]`.
public enum RecordProblem: Error, Equatable, Sendable {
    /// The line is not valid UTF-8.
    case invalidUTF8
    /// The line is not valid JSON.
    case malformedJSON(reason: String, column: Int)
    /// The line is valid JSON but not an object.
    case notAnObject(found: String)
    /// A required key is absent. `format` shows the shape the record should have.
    case missingKey(key: String, format: String)
    /// A key holds a value of the wrong JSON type.
    case wrongType(key: String, expected: String, found: String)
    /// A string that must carry text is empty (`""`).
    case emptyString(key: String)
    /// A value has the right type but is not allowed, such as an unknown chat role.
    case invalidValue(key: String, reason: String)
    /// The record is longer than the caller's maximum, as measured by the caller's length function.
    case tooLong(length: Int, maximum: Int)

    /// What is wrong, followed by how to fix it.
    public var message: String {
        switch self {
        case .invalidUTF8:
            return "the line is not valid UTF-8; re-encode the file as UTF-8 (for example with `iconv -t UTF-8`)"
        case .malformedJSON(let reason, let column):
            return "the line is not valid JSON (\(reason) at column \(column)); write exactly one JSON object per line"
        case .notAnObject(let found):
            return "expected a JSON object, found \(found); write one object per line, such as {\"prompt\": \"…\"}"
        case .missingKey(let key, let format):
            return "missing key \"\(key)\"; each line must look like \(format)"
        case .wrongType(let key, let expected, let found):
            return "\"\(key)\" must be \(expected), found \(found); change the value's type"
        case .emptyString(let key):
            return "\"\(key)\" is an empty string; give it text or remove the record"
        case .invalidValue(let key, let reason):
            return "\"\(key)\" \(reason)"
        case .tooLong(let length, let maximum):
            return "the record has length \(length), more than the maximum \(maximum); "
                + "shorten it, raise the maximum length, or read with onInvalidRecord: .skip"
        }
    }
}

/// An error reading or writing a dataset file.
///
/// Every case carries the file's path, and record errors carry the 1-based line number, so that the message can
/// point at the exact place to fix. Reading with ``InvalidRecordPolicy/skip`` turns record errors into entries
/// of ``DatasetReport/skipped`` instead of throwing.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file exists at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be read or written.
    case fileUnreadable(path: String, reason: String)
    /// One record (line) is invalid.
    case invalidRecord(path: String, line: Int, problem: RecordProblem)
    /// The file has no valid records: it is empty, only blank lines, or every record was skipped.
    case emptyDataset(path: String, skippedCount: Int)
    /// Writing the file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path (relative paths resolve against the working directory)"
        case .fileUnreadable(let path, let reason):
            return "\(path): cannot read the file (\(reason)); check its permissions"
        case .invalidRecord(let path, let line, let problem):
            return "\(path):\(line): \(problem.message)"
        case .emptyDataset(let path, let skippedCount):
            if skippedCount > 0 {
                return "\(path): the dataset is empty because all \(skippedCount) records were invalid and skipped; "
                    + "read with onInvalidRecord: .fail to see the first error"
            }
            return "\(path): the dataset has no records; write at least one JSON object per line"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the file (\(reason)); check that the directory exists and is writable"
        }
    }
}
