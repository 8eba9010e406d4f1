// Tests of JSONL reading: validation errors with file, line and fix; skip mode; blank lines; encodings.
import XCTest
import TrainingData

final class JSONLReaderTests: XCTestCase {
    private func read<R: DatasetRecord>(_ type: R.Type, _ text: String, reader: JSONLReader = JSONLReader())
        throws -> LoadedDataset<R> {
        try reader.read(type, data: Data(text.utf8), path: "data.jsonl")
    }

    private func assertError<R: DatasetRecord>(_ type: R.Type, _ text: String, reader: JSONLReader = JSONLReader(),
                                               _ expected: DatasetError, contains fragment: String,
                                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(type, text, reader: reader), file: file, line: line) { error in
            XCTAssertEqual(error as? DatasetError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains(fragment), "message was: \(error)", file: file, line: line)
        }
    }

    func testReadsPromptCompletionAndIgnoresBlankLines() throws {
        let text = "{\"prompt\": \"a\", \"completion\": \"b\"}\n\n   \n{\"completion\":\"d\",\"prompt\":\"c\",\"extra\":1}\n"
        let loaded = try read(PromptCompletionRecord.self, text)
        XCTAssertEqual(loaded.records, [PromptCompletionRecord(prompt: "a", completion: "b"),
                                        PromptCompletionRecord(prompt: "c", completion: "d")])
        XCTAssertEqual(loaded.report.lineCount, 4)
        XCTAssertEqual(loaded.report.blankLineCount, 2)
        XCTAssertEqual(loaded.report.skippedCount, 0)
        XCTAssertEqual(loaded.report.description, "data.jsonl: 2 records, 2 blank lines ignored")
    }

    func testMissingKeyNamesFileLineAndShape() {
        assertError(PromptCompletionRecord.self, "\n{\"prompt\": \"a\"}\n",
                    .invalidRecord(path: "data.jsonl", line: 2,
                                   problem: .missingKey(key: "completion", format: PromptCompletionRecord.format)),
                    contains: "data.jsonl:2: missing key \"completion\"; each line must look like {\"prompt\": string, \"completion\": string}")
    }

    func testWrongTypeShowsTheValue() {
        assertError(PromptRecord.self, "{\"prompt\": 3}",
                    .invalidRecord(path: "data.jsonl", line: 1,
                                   problem: .wrongType(key: "prompt", expected: "a string", found: "number 3")),
                    contains: "\"prompt\" must be a string, found number 3")
    }

    func testBooleanLabelIsStrict() {
        assertError(UnpairedPreferenceRecord.self, "{\"prompt\": \"p\", \"completion\": \"c\", \"label\": 1}",
                    .invalidRecord(path: "data.jsonl", line: 1,
                                   problem: .wrongType(key: "label", expected: "a boolean (true or false)",
                                                       found: "number 1")),
                    contains: "found number 1")
    }

    func testEmptyString() {
        assertError(PreferenceRecord.self, "{\"prompt\": \"p\", \"chosen\": \"\", \"rejected\": \"r\"}",
                    .invalidRecord(path: "data.jsonl", line: 1, problem: .emptyString(key: "chosen")),
                    contains: "\"chosen\" is an empty string")
    }

    func testInvalidUTF8() throws {
        var data = Data("{\"text\": \"ok\"}\n{\"text\": \"".utf8)
        data.append(contentsOf: [0xC3, 0x28])
        data.append(contentsOf: Array("\"}\n".utf8))
        XCTAssertThrowsError(try JSONLReader().read(LanguageModelingRecord.self, data: data, path: "x.jsonl")) {
            XCTAssertEqual($0 as? DatasetError, .invalidRecord(path: "x.jsonl", line: 2, problem: .invalidUTF8))
            XCTAssertTrue("\($0)".contains("x.jsonl:2: the line is not valid UTF-8"))
        }
    }

    func testMalformedJSONAndNonObjects() {
        assertError(PromptRecord.self, "{\"prompt\": \"a\"",
                    .invalidRecord(path: "data.jsonl", line: 1,
                                   problem: .malformedJSON(reason: "unterminated object", column: 15)),
                    contains: "not valid JSON (unterminated object at column 15)")
        assertError(PromptRecord.self, "[\"a\"]",
                    .invalidRecord(path: "data.jsonl", line: 1, problem: .notAnObject(found: "array of 1 element")),
                    contains: "expected a JSON object")
    }

    func testTooLongWithCallerLengthFunction() throws {
        let words = JSONLReader(maximumLength: 3, length: { $0.split(separator: " ").count })
        let text = "{\"prompt\": \"a b\", \"completion\": \" c\"}\n{\"prompt\": \"a b\", \"completion\": \" c d\"}\n"
        assertError(PromptCompletionRecord.self, text, reader: words,
                    .invalidRecord(path: "data.jsonl", line: 2, problem: .tooLong(length: 4, maximum: 3)),
                    contains: "length 4, more than the maximum 3")
        let skipping = JSONLReader(onInvalidRecord: .skip, maximumLength: 3, length: { $0.split(separator: " ").count })
        let loaded = try read(PromptCompletionRecord.self, text, reader: skipping)
        XCTAssertEqual(loaded.records.count, 1)
        XCTAssertEqual(loaded.report.skipped,
                       [.invalidRecord(path: "data.jsonl", line: 2, problem: .tooLong(length: 4, maximum: 3))])
        XCTAssertEqual(loaded.report.description, "data.jsonl: 1 record, 1 invalid record skipped")
    }

    func testSkipCountsAndAllSkippedIsAnError() throws {
        let text = "{\"text\": \"a\"}\nnot json\n{\"text\": 5}\n{\"text\": \"b\"}\n"
        let loaded = try read(LanguageModelingRecord.self, text, reader: JSONLReader(onInvalidRecord: .skip))
        XCTAssertEqual(loaded.records.map(\.text), ["a", "b"])
        XCTAssertEqual(loaded.report.skippedCount, 2)
        XCTAssertEqual(loaded.report.skipped.map { if case .invalidRecord(_, let line, _) = $0 { return line } else { return 0 } },
                       [2, 3])
        assertError(LanguageModelingRecord.self, "{\"x\": 1}\n{\"text\": \"\"}\n", reader: JSONLReader(onInvalidRecord: .skip),
                    .emptyDataset(path: "data.jsonl", skippedCount: 2), contains: "all 2 records were invalid")
    }

    func testEmptyDatasetIsAnError() {
        assertError(PromptRecord.self, "", .emptyDataset(path: "data.jsonl", skippedCount: 0),
                    contains: "the dataset has no records")
        assertError(PromptRecord.self, "\n  \n", .emptyDataset(path: "data.jsonl", skippedCount: 0),
                    contains: "no records")
    }

    func testCRLFAndByteOrderMark() throws {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data("{\"prompt\": \"é\\u00e9\\ud83d\\ude00\"}\r\n{\"prompt\": \"b\"}\r\n".utf8))
        let loaded = try JSONLReader().read(PromptRecord.self, data: data, path: "p.jsonl")
        XCTAssertEqual(loaded.records.map(\.prompt), ["éé😀", "b"])
    }

    func testFileNotFound() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/none.jsonl")
        XCTAssertThrowsError(try JSONLReader().read(PromptRecord.self, from: url)) {
            XCTAssertEqual($0 as? DatasetError, .fileNotFound(path: "/nonexistent/dir/none.jsonl"))
            XCTAssertTrue("\($0)".contains("no such file"))
        }
    }

    func testRankedNeedsTwoCompletions() {
        assertError(RankedRecord.self, "{\"prompt\": \"p\", \"completions\": [\"a\"]}",
                    .invalidRecord(path: "data.jsonl", line: 1, problem: .invalidValue(
                        key: "completions", reason: "has 1 element, but at least 2 are needed; add more or remove the record")),
                    contains: "at least 2 are needed")
        assertError(RankedRecord.self, "{\"prompt\": \"p\", \"completions\": [\"a\", 2]}",
                    .invalidRecord(path: "data.jsonl", line: 1,
                                   problem: .wrongType(key: "completions[1]", expected: "a string", found: "number 2")),
                    contains: "\"completions[1]\" must be a string")
    }
}
