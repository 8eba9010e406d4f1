// Paths to the committed fixtures and the shipped GPT-2 vocabulary, relative to this file.
import Foundation
import Tokenizers
import XCTest

enum Fixtures {
    /// Tests/TokenizersTests/Fixtures
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Vocabularies/GPT2 at the repository root (OpenAI's encoder.json and vocab.bpe).
    static let gpt2Directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vocabularies").appendingPathComponent("GPT2")

    static func decode<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// GPT-2, loaded once for the whole test run.
    static let gpt2: Result<BPETokenizer, Error> = Result { try BPETokenizer(directory: gpt2Directory) }

    /// A fresh empty directory under the temporary directory.
    static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("TokenizersTests-\(ProcessInfo.processInfo.processIdentifier)")
            .appendingPathComponent(name.filter { $0.isLetter || $0.isNumber })
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}

struct GPT2Golden: Decodable {
    struct Case: Decodable {
        var name: String
        var text: String
        var pieces: [String]
        var ids: [Int32]
    }
    struct SpecialCase: Decodable {
        var text: String
        var ids: [Int32]
    }
    struct DecodeCase: Decodable {
        var bytes: [UInt8]
        var ids: [Int32]
        var text: String
    }
    var cases: [Case]
    var special_cases: [SpecialCase]
    var decode_cases: [DecodeCase]
    var vocabulary_sha256: [String: String]
}

struct TinyBPEGolden: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int32]
    }
    var cases: [Case]
}

/// Asserts that `body` throws exactly `expected`, and that its message contains `fragment`.
func assertThrows<T>(
    _ expected: TokenizerError, containing fragment: String, _ body: () throws -> T,
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected \(expected) but nothing was thrown", file: file, line: line)
    } catch let error as TokenizerError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertTrue(
            error.description.contains(fragment), "message \"\(error.description)\" lacks \"\(fragment)\"",
            file: file, line: line)
    } catch {
        XCTFail("expected TokenizerError, got \(error)", file: file, line: line)
    }
}
