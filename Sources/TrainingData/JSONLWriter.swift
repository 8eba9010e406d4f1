// Writes records as JSONL: one compact JSON object per line, keys sorted, UTF-8, newline-terminated.
import Foundation

/// Writes ``DatasetRecord``s as JSONL.
///
/// Every record becomes one line holding a compact JSON object with its keys sorted, followed by `\n`; text is
/// UTF-8 with non-ASCII characters written as-is. Newlines inside strings are escaped (`\n`), so each record
/// stays on one line. The output reads back with ``JSONLReader`` and with Python's `json.loads` per line.
public enum JSONLWriter {
    /// The JSONL line for one record, without its trailing newline.
    ///
    /// - Parameter record: The record.
    /// - Returns: For example `{"completion":" pmal\n","prompt":"Q: Reverse lamp.\nA:"}` (with `\n` escaped).
    public static func line<Record: DatasetRecord>(for record: Record) -> String {
        JSONLValue.object(record.jsonObject).serialized()
    }

    /// The JSONL bytes for a list of records.
    ///
    /// - Parameter records: The records, written in order.
    /// - Returns: UTF-8 bytes, one line per record, each ending in `\n`.
    public static func encode<Record: DatasetRecord>(_ records: [Record]) -> Data {
        var text = ""
        for record in records {
            text += line(for: record)
            text += "\n"
        }
        return Data(text.utf8)
    }

    /// Writes records to a file, replacing it atomically.
    ///
    /// - Parameters:
    ///   - records: The records.
    ///   - url: The destination file; its directory must exist.
    /// - Throws: ``DatasetError/writeFailed(path:reason:)`` if the file cannot be written.
    public static func write<Record: DatasetRecord>(_ records: [Record], to url: URL) throws(DatasetError) {
        do {
            try encode(records).write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
