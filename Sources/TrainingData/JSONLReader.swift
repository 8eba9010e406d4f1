// Reads JSONL files into validated records, failing on or skipping invalid lines, and reports what it did.
import Foundation

/// What the reader does with an invalid record.
public enum InvalidRecordPolicy: String, Codable, Sendable {
    /// Throw ``DatasetError/invalidRecord(path:line:problem:)`` for the first invalid record. The default.
    case fail
    /// Skip the record and list its error in ``DatasetReport/skipped``.
    case skip
}

/// A summary of one read: how many lines were records, blank or skipped, and why each skipped line was skipped.
public struct DatasetReport: Equatable, Sendable, CustomStringConvertible {
    /// The path (or source name) that was read.
    public var path: String
    /// The number of lines in the file, blank ones included.
    public var lineCount: Int
    /// The number of valid records returned.
    public var recordCount: Int
    /// The number of blank (whitespace-only) lines, which are ignored.
    public var blankLineCount: Int
    /// The errors of the skipped records, in file order (empty when reading with ``InvalidRecordPolicy/fail``).
    public var skipped: [DatasetError]

    /// The number of skipped records.
    public var skippedCount: Int { skipped.count }

    public var description: String {
        var s = "\(path): \(recordCount) record\(recordCount == 1 ? "" : "s")"
        if skippedCount > 0 { s += ", \(skippedCount) invalid record\(skippedCount == 1 ? "" : "s") skipped" }
        if blankLineCount > 0 { s += ", \(blankLineCount) blank line\(blankLineCount == 1 ? "" : "s") ignored" }
        return s
    }
}

/// The records read from a file together with the read's ``DatasetReport``.
public struct LoadedDataset<Record: DatasetRecord>: Sendable {
    /// The valid records, in file order.
    public var records: [Record]
    /// What happened while reading.
    public var report: DatasetReport
}

/// Reads JSONL files (one JSON object per line) into validated ``DatasetRecord``s.
///
/// Each non-blank line must be a UTF-8 JSON object of the record's ``DatasetRecord/format``. Lines may end with
/// `\n` or `\r\n`; a leading byte-order mark is ignored; blank lines are skipped. With ``maximumLength`` set, each
/// record's ``DatasetRecord/lengthCheckedTexts`` are measured by ``length`` (for example a tokenizer's token
/// count) and a record longer than the maximum is invalid.
///
/// ```swift
/// let reader = JSONLReader(onInvalidRecord: .skip, maximumLength: 128)
/// let data = try reader.read(PreferenceRecord.self, from: URL(fileURLWithPath: "comparisons.jsonl"))
/// print(data.report)   // comparisons.jsonl: 1998 records, 2 invalid records skipped
/// ```
public struct JSONLReader: Sendable {
    /// What to do with an invalid record. Default ``InvalidRecordPolicy/fail``.
    public var onInvalidRecord: InvalidRecordPolicy
    /// The largest allowed record length, or `nil` for no check. Default `nil`.
    public var maximumLength: Int?
    /// Measures a text for the ``maximumLength`` check. Default: its UTF-8 byte count.
    public var length: @Sendable (String) -> Int

    /// Creates a reader.
    ///
    /// - Parameters:
    ///   - onInvalidRecord: Fail on (default) or skip invalid records.
    ///   - maximumLength: The largest allowed length of a record's texts; `nil` (default) disables the check.
    ///   - length: How to measure a text, for example `{ tokenizer.encode($0).count }`. Default: UTF-8 bytes.
    public init(onInvalidRecord: InvalidRecordPolicy = .fail, maximumLength: Int? = nil,
                length: @escaping @Sendable (String) -> Int = { $0.utf8.count }) {
        self.onInvalidRecord = onInvalidRecord
        self.maximumLength = maximumLength
        self.length = length
    }

    /// Reads and validates a JSONL file.
    ///
    /// - Parameters:
    ///   - type: The record type, such as `PromptCompletionRecord.self`.
    ///   - url: The file.
    /// - Returns: The valid records and a report.
    /// - Throws: ``DatasetError`` if the file is missing or unreadable, a record is invalid (with
    ///   ``InvalidRecordPolicy/fail``), or no valid record remains.
    public func read<Record: DatasetRecord>(_ type: Record.Type, from url: URL) throws(DatasetError)
        -> LoadedDataset<Record> {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .fileUnreadable(path: path, reason: error.localizedDescription)
        }
        return try read(type, data: data, path: path)
    }

    /// Reads and validates JSONL bytes held in memory.
    ///
    /// - Parameters:
    ///   - type: The record type.
    ///   - data: The file's bytes.
    ///   - path: The name to use in errors and the report.
    /// - Returns: The valid records and a report.
    /// - Throws: ``DatasetError`` as for ``read(_:from:)``.
    public func read<Record: DatasetRecord>(_ type: Record.Type, data: Data, path: String) throws(DatasetError)
        -> LoadedDataset<Record> {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records: [Record] = []
        var skipped: [DatasetError] = []
        var blank = 0
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = bytes[start..<lineEnd]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                blank += 1
                continue
            }
            do throws(RecordProblem) {
                records.append(try decode(Record.self, line: line))
            } catch {
                let failure = DatasetError.invalidRecord(path: path, line: lineNumber, problem: error)
                if onInvalidRecord == .fail { throw failure }
                skipped.append(failure)
            }
        }
        guard !records.isEmpty else { throw .emptyDataset(path: path, skippedCount: skipped.count) }
        let report = DatasetReport(path: path, lineCount: lineNumber, recordCount: records.count,
                                   blankLineCount: blank, skipped: skipped)
        return LoadedDataset(records: records, report: report)
    }

    private func decode<Record: DatasetRecord>(_ type: Record.Type, line: ArraySlice<UInt8>) throws(RecordProblem)
        -> Record {
        guard let text = String(validating: line, as: UTF8.self) else { throw .invalidUTF8 }
        let value: JSONLValue
        do throws(JSONLSyntaxError) {
            value = try JSONLValue.parse(text)
        } catch {
            throw .malformedJSON(reason: error.message, column: error.column)
        }
        guard case .object(let object) = value else { throw .notAnObject(found: value.summary) }
        let record = try Record(validating: object.dictionary)
        if let maximumLength {
            let longest = record.lengthCheckedTexts.map(length).max() ?? 0
            if longest > maximumLength { throw .tooLong(length: longest, maximum: maximumLength) }
        }
        return record
    }
}
