// Tests of JSONL writing and round trips for every record shape, and of the conversational chat template.
import XCTest
import TrainingData

final class RecordRoundTripTests: XCTestCase {
    private func roundTrip<R: DatasetRecord>(_ records: [R], file: StaticString = #filePath, line: UInt = #line) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONLWriter.write(records, to: url)
        let loaded = try JSONLReader().read(R.self, from: url)
        XCTAssertEqual(loaded.records, records, file: file, line: line)
        // Also decodable with Foundation's Codable, key for key.
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoded = try text.split(separator: "\n").map { try JSONDecoder().decode(R.self, from: Data($0.utf8)) }
        XCTAssertEqual(decoded, records, file: file, line: line)
    }

    func testWriterSortsKeysAndEscapes() {
        let record = PreferenceRecord(prompt: "Q: say \"hi\"\nA:", chosen: " hi\n", rejected: " héllo/\t")
        XCTAssertEqual(JSONLWriter.line(for: record),
                       #"{"chosen":" hi\n","prompt":"Q: say \"hi\"\nA:","rejected":" héllo/\t"}"#)
        let data = JSONLWriter.encode([PromptRecord(prompt: "a"), PromptRecord(prompt: "b")])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n")
    }

    func testRoundTripsEveryShape() throws {
        try roundTrip([LanguageModelingRecord(text: "the cat sat.\nnew line"), LanguageModelingRecord(text: "ünï 😀")])
        try roundTrip([PromptCompletionRecord(prompt: "Q: x\nA:", completion: " y\n")])
        try roundTrip([PromptRecord(prompt: "Q: x\nA:")])
        try roundTrip([PreferenceRecord(prompt: "p", chosen: "c", rejected: "r")])
        try roundTrip([RankedRecord(prompt: "p", completions: ["a", "b", "c"])])
        try roundTrip([UnpairedPreferenceRecord(prompt: "p", completion: "c", label: false),
                       UnpairedPreferenceRecord(prompt: "p", completion: "d", label: true)])
        try roundTrip([ConversationRecord(messages: [ChatMessage(role: "user", content: "hi"),
                                                     ChatMessage(role: "assistant", content: "hello")])])
    }

    func testRankedPairsAreKChooseTwo() {
        let record = RankedRecord(prompt: "p", completions: ["a", "b", "c"])
        XCTAssertEqual(record.pairs.map { [$0.better, $0.worse] }, [[0, 1], [0, 2], [1, 2]])
        XCTAssertEqual(record.preferencePairs.map { $0.chosen + $0.rejected }, ["ab", "ac", "bc"])
        XCTAssertEqual(RankedRecord(prompt: "p", completions: ["a", "b", "c", "d"]).pairs.count, 6)
    }

    func testDefaultChatTemplate() {
        let messages = [ChatMessage(role: "system", content: "Be brief."),
                        ChatMessage(role: "user", content: "Name a color."),
                        ChatMessage(role: "assistant", content: "red")]
        let template = ChatTemplate.default
        XCTAssertEqual(template.render(messages),
                       "<|system|>\nBe brief.<|end|>\n<|user|>\nName a color.<|end|>\n<|assistant|>\nred<|end|>\n")
        let pair = ConversationRecord(messages: messages).promptCompletion()
        XCTAssertEqual(pair.prompt, "<|system|>\nBe brief.<|end|>\n<|user|>\nName a color.<|end|>\n<|assistant|>\n")
        XCTAssertEqual(pair.completion, "red<|end|>\n")
        XCTAssertEqual(template.stopMarker, "<|end|>")
        XCTAssertEqual(template.generationPrompt(Array(messages.prefix(2))), pair.prompt)
    }

    func testConversationValidation() throws {
        let reader = JSONLReader()
        func read(_ line: String) throws -> LoadedDataset<ConversationRecord> {
            try reader.read(ConversationRecord.self, data: Data(line.utf8), path: "chat.jsonl")
        }
        XCTAssertThrowsError(try read(#"{"messages": [{"role": "user", "content": "hi"}]}"#)) {
            XCTAssertTrue("\($0)".contains("chat.jsonl:1: \"messages[0].role\" is \"user\", but a conversation must end with an \"assistant\" message"), "\($0)")
        }
        XCTAssertThrowsError(try read(#"{"messages": [{"role": "bot", "content": "hi"}]}"#)) {
            XCTAssertEqual($0 as? DatasetError, .invalidRecord(path: "chat.jsonl", line: 1, problem: .invalidValue(
                key: "messages[0].role", reason: "is \"bot\"; use \"system\", \"user\" or \"assistant\"")))
        }
        XCTAssertThrowsError(try read(#"{"messages": [{"role": "user"}]}"#)) {
            XCTAssertEqual($0 as? DatasetError, .invalidRecord(path: "chat.jsonl", line: 1, problem: .missingKey(
                key: "messages[0].content", format: ConversationRecord.format)))
        }
        XCTAssertThrowsError(try read(#"{"messages": []}"#))
        let ok = try read(#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}"#)
        XCTAssertEqual(ok.records[0].promptCompletion().completion, "yo<|end|>\n")
    }

    func testJSONParserEdgeCases() throws {
        XCTAssertEqual(try JSONLValue.parse(#"{"a": [1, -2.5e1, true, null, "\u0041"]}"#),
                       .object(["a": .array([.number(1), .number(-25), .bool(true), .null, .string("A")])]))
        XCTAssertThrowsError(try JSONLValue.parse(#"{"a": 1} x"#))
        XCTAssertThrowsError(try JSONLValue.parse(#"{"a": 01.}"#))
        XCTAssertThrowsError(try JSONLValue.parse(#""\ud800""#))
        XCTAssertEqual(JSONLValue.string("\u{01}").serialized(), #""\u0001""#)
    }
}
