// The JSON target: the one parser and writer of safetensors headers, tokenizer files and JSONL lines.
import Foundation
import JSON
import XCTest

final class JSONTests: XCTestCase {
    private func error(_ text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) -> JSONSyntaxError? {
        do {
            _ = try JSONValue.parse(text, maximumDepth: maximumDepth)
            return nil
        } catch {
            return error
        }
    }

    func testParsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" {"a": [0, -2.5e1, 1E2, true, false, null, "\u0041\n\ud83d\ude00é"], "b": {}} "#)
        XCTAssertEqual(value, .object(["a": .array([.number(0), .number(-25), .number(100), .bool(true), .bool(false), .null,
                                                    .string("A\n😀é")]),
                                       "b": .object(JSONObject())]))
        XCTAssertEqual(value["a"]?.array?.first?.integer, 0)
        XCTAssertEqual(value["a"]?.array?[1].integer, -25)
        XCTAssertNil(try JSONValue.parse("0.5").integer)
        XCTAssertEqual(try JSONValue.parse("123456789012345680").double, 123_456_789_012_345_680.0)
        XCTAssertEqual(try JSONValue.parse("-0.1").double, -0.1)
    }

    func testObjectsKeepTheirMembersInOrderWithDuplicates() throws {
        let object = try XCTUnwrap(try JSONValue.parse(#"{"b": 1, "a": 2, "b": 3, "e\u0301": 4, "é": 5}"#).object)
        XCTAssertEqual(object.keys, ["b", "a", "b", "e\u{301}", "é"])
        XCTAssertEqual(object.keys.map { Array($0.unicodeScalars) }.last, ["é"])
        XCTAssertEqual(object["b"], .number(3), "the last of duplicated keys counts, as in Python's json")
        XCTAssertEqual(object.dictionary.count, 3, "canonically equivalent keys are one key of a Swift dictionary")
        XCTAssertEqual(JSONValue.object(object).serialized(sortingKeys: false), #"{"b":1,"a":2,"b":3,"é":4,"é":5}"#)
        XCTAssertEqual(JSONValue.object(["b": .null, "a": .bool(true)]).serialized(), #"{"a":true,"b":null}"#)
    }

    func testRejectsWhatRFC8259Rejects() {
        let cases: [(String, String, Int)] = [
            (#"{"a": 1} x"#, "unexpected text after the JSON value", 9),
            ("01", "invalid number: leading zeros are not allowed", 0),
            ("-", "invalid number: a digit must follow '-'", 1),
            ("1.", "invalid number: digits expected after '.'", 2),
            ("1e+", "invalid number: digits expected in exponent", 3),
            (#""\ud800""#, "unpaired surrogate in \\u escape", 7),
            (#""\udc00""#, "unpaired surrogate in \\u escape", 7),
            (#""\ud800\u0041""#, "invalid low surrogate in \\u escape", 13),
            (#""\u12g4""#, "invalid hex digit in \\u escape", 5),
            (#""\q""#, "invalid escape '\\q'", 2),
            ("\"a\u{01}\"", "unescaped control character in string", 2),
            (#""abc"#, "unterminated string", 4),
            ("[1, 2", "unterminated array", 5),
            ("[1 2]", "expected ',' or ']' in array", 3),
            (#"{"a" 1}"#, "expected ':' after key", 5),
            ("{1: 2}", "expected a quoted key in object", 1),
            (#"{"a": 1"#, "unterminated object", 7),
            ("tru", "invalid literal, expected 'true'", 0),
            ("", "unexpected end of the text, expected a value", 0),
            ("[,]", "unexpected character ',', expected a value", 1),
        ]
        for (text, message, offset) in cases {
            XCTAssertEqual(error(text), JSONSyntaxError(message: message, offset: offset, line: 1, column: offset + 1), text)
        }
        XCTAssertEqual(error("{\n  \"a\": x}")?.description, "not valid JSON at line 2, column 8: unexpected character 'x', expected a value")
    }

    func testInvalidUTF8InAStringIsAnError() {
        XCTAssertThrowsError(try JSONValue.parse(utf8: [0x22, 0x61, 0xC3, 0x28, 0x22])) {
            XCTAssertEqual(($0 as? JSONSyntaxError)?.message, "invalid UTF-8 in string")
        }
    }

    func testDepthIsBounded() {
        XCTAssertEqual(error(String(repeating: "[", count: 100_000))?.message, "nesting deeper than 512 levels")
        XCTAssertEqual(error(String(repeating: "[", count: 100), maximumDepth: 64)?.offset, 64)
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64), maximumDepth: 64))
    }

    func testQuoteEscapesWhatAJSONLReaderNeeds() throws {
        let text = "q\"b\\n\n\r\t\u{08}\u{0C}\u{01}\u{7F}\u{2028}\u{2029}é😀"
        let quoted = JSONValue.quote(text)
        XCTAssertEqual(quoted, #""q\"b\\n\n\r\t\b\f\u0001\u007f\u2028\u2029é😀""#)
        XCTAssertEqual(try JSONValue.parse(quoted), .string(text))
        XCTAssertEqual(JSONValue.array([.number(1e15), .number(-3), .number(0.5), .number(.nan)]).serialized(), "[1000000000000000.0,-3,0.5,null]")
    }

    /// GPT-2's encoder.json (1 MB, 50 257 members) parses in well under a second even on a loaded machine.
    func testParsesALargeVocabularyFast() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Vocabularies/GPT2/encoder.json")
        let data = try Data(contentsOf: url)
        let start = Date()
        let object = try XCTUnwrap(try JSONValue.parse(utf8: data).object)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(object.count, 50_257)
        XCTAssertEqual(object["<|endoftext|>"]?.integer, 50_256)
        XCTAssertLessThan(seconds, 1, "parsing encoder.json took \(seconds) s")
    }
}
