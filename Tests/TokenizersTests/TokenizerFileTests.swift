// Loading Hugging Face files written by Rust `tokenizers`, and typed errors for bad files.
import Foundation
import Tokenizers
import XCTest

final class TokenizerFileTests: XCTestCase {
    private let tiny = Fixtures.directory.appendingPathComponent("tiny-bpe")

    func testTokenizerJSONAndVocabMergesGiveTheReferenceEncodings() throws {
        let golden = try Fixtures.decode(TinyBPEGolden.self, from: "tiny_bpe_golden.json")
        // tokenizer.json from tokenizers 0.23 writes merges as ["a", "b"] pairs.
        let fromJSON = try BPETokenizer(tokenizerJSON: tiny.appendingPathComponent("tokenizer.json"))
        let fromFiles = try BPETokenizer(
            vocabularyFile: tiny.appendingPathComponent("vocab.json"), mergesFile: tiny.appendingPathComponent("merges.txt"))
        XCTAssertEqual(fromJSON.vocabularySize, 300)
        XCTAssertEqual(fromJSON.id(forSpecialToken: "<|endoftext|>"), 0)
        XCTAssertEqual(fromFiles.vocabularySize, 300)
        XCTAssertEqual(fromJSON.mergeCount, fromFiles.mergeCount)
        for c in golden.cases {
            XCTAssertEqual(try fromJSON.encode(c.text, allowSpecial: true), c.ids, c.text)
            XCTAssertEqual(try fromFiles.encode(c.text, allowSpecial: true), c.ids, c.text)
            XCTAssertEqual(try fromJSON.decode(c.ids), c.text)
        }
    }

    func testLoaderPrefersTokenizerJSONAndExplainsAnEmptyDirectory() throws {
        XCTAssertEqual(TokenizerFileFormat.detect(in: tiny), .tokenizerJSON)
        XCTAssertEqual(TokenizerFileFormat.detect(in: Fixtures.gpt2Directory), .openAI)
        let empty = try Fixtures.temporaryDirectory()
        XCTAssertNil(TokenizerFileFormat.detect(in: empty))
        assertThrows(
            .missingFile(
                path: empty.appendingPathComponent("tokenizer.json").path,
                hint: "a tokenizer directory needs tokenizer.json, or vocab.json and merges.txt, or encoder.json and vocab.bpe"),
            containing: "or encoder.json and vocab.bpe"
        ) { try loadTokenizer(from: empty) }
        let nowhere = empty.appendingPathComponent("nowhere")
        assertThrows(.missingFile(path: nowhere.path, hint: "pass the directory that holds the tokenizer files"),
                     containing: "missing file") { try loadTokenizer(from: nowhere) }
    }

    /// A two-merge vocabulary: bytes a, b, c, then "ab" and "abc".
    private func writeSmall(vocab: String, merges: String) throws -> URL {
        let directory = try Fixtures.temporaryDirectory("small-\(vocab.hashValue)-\(merges.hashValue)")
        try Fixtures.write(vocab, to: directory.appendingPathComponent("vocab.json"))
        try Fixtures.write(merges, to: directory.appendingPathComponent("merges.txt"))
        return directory
    }

    private let goodVocab = #"{"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4}"#

    func testASmallHandWrittenVocabularyWorks() throws {
        let directory = try writeSmall(vocab: goodVocab, merges: "#version: 0.2\r\na b\r\nab c\r\n")
        let tokenizer = try BPETokenizer(directory: directory)
        XCTAssertEqual(try tokenizer.encode("abcab"), [4, 3])
        assertThrows(.unencodable(text: "abd"), containing: "cannot encode \"abd\"") { try tokenizer.encode("abd") }
    }

    func testMalformedVocabularyThrowsTypedErrors() throws {
        func check(_ vocab: String, _ reason: String) throws {
            let directory = try writeSmall(vocab: vocab, merges: "a b\n")
            let path = directory.appendingPathComponent("vocab.json").path
            assertThrows(.malformedVocabulary(path: path, reason: reason), containing: "malformed vocabulary file") {
                try BPETokenizer(directory: directory)
            }
        }
        try check(#"["a", "b"]"#, "expected a JSON object mapping each token to its id")
        try check("{}", "the vocabulary is empty")
        try check(#"{"a": 0, "b": "one"}"#, "the id of \"b\" is not an integer")
        try check(#"{"a": 0, "b": -4}"#, "\"b\" has id -4; ids must be in 0..<16777216")
        try check(#"{"a": 0, "b": 0}"#, "id 0 is used by both \"a\" and \"b\"; each id must name one token")
        try check(#"{"a": 0, "b": 1, "a b": 2}"#,
                  "token \"a b\" (id 2) contains U+20, which is not in GPT-2's byte-to-unicode alphabet; "
                    + "only byte-level BPE vocabularies are supported")
        // Not JSON at all: the reason quotes the parser, so check the start only.
        let directory = try writeSmall(vocab: "{\"a\": 0,", merges: "a b\n")
        XCTAssertThrowsError(try BPETokenizer(directory: directory)) { error in
            guard case .malformedVocabulary(_, let reason)? = error as? TokenizerError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertTrue(reason.hasPrefix("not valid JSON"), reason)
        }
    }

    func testMalformedMergesThrowTypedErrorsWithLineNumbers() throws {
        func check(_ merges: String, line: Int, _ reason: String) throws {
            let directory = try writeSmall(vocab: goodVocab, merges: merges)
            let path = directory.appendingPathComponent("merges.txt").path
            assertThrows(.malformedMerges(path: path, line: line, reason: reason), containing: "line \(line)") {
                try BPETokenizer(directory: directory)
            }
        }
        let vocabPath = { (merges: String) in
            try self.writeSmall(vocab: self.goodVocab, merges: merges).appendingPathComponent("vocab.json").path
        }
        try check("#version: 0.2\na b\nab\n", line: 3, "\"ab\" is not two tokens separated by one space, as in \"Ġ t\"")
        try check("a b c\n", line: 1, "\"a b c\" is not two tokens separated by one space, as in \"Ġ t\"")
        try check("a  b\n", line: 1, "\"a  b\" is not two tokens separated by one space, as in \"Ġ t\"")
        try check("a b\nb z\n", line: 2,
                  "\"z\" is not in the vocabulary \(try vocabPath("a b\nb z\n")); the merges file must match the vocabulary")
        try check("a b\nb c\n", line: 2,
                  "the merged token \"bc\" is not in the vocabulary \(try vocabPath("a b\nb c\n")); "
                    + "the merges file must match the vocabulary")
        try check("a b\nß c\n", line: 2, "\"ß\" is not in the vocabulary \(try vocabPath("a b\nß c\n")); the merges file must match the vocabulary")
        try check("a b\n€ c\n", line: 2, "\"€\" contains U+20AC, which is not in GPT-2's byte-to-unicode alphabet")
    }

    func testMalformedTokenizerJSONThrowsTypedErrors() throws {
        let directory = try Fixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("tokenizer.json")
        let pre = #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}"#
        func check(_ json: String, _ expected: TokenizerError, _ fragment: String) throws {
            try Fixtures.write(json, to: url)
            assertThrows(expected, containing: fragment) { try BPETokenizer(tokenizerJSON: url) }
        }
        try check(#"{\#(pre), "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", 7]}}"#,
                  .malformedMerges(path: url.path, line: 2, reason: "expected a string \"a b\" or a pair [\"a\", \"b\"]"),
                  "line 2")
        try check(#"{\#(pre), "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"], ["b", "a"]]}}"#,
                  .malformedMerges(path: url.path, line: 2, reason: "the merged token \"ba\" is not in the vocabulary \(url.path); "
                    + "the merges file must match the vocabulary"), "the merged token")
        try check(#"{\#(pre), "model": {"type": "Unigram", "vocab": []}}"#,
                  .unsupportedFormat(path: url.path, reason: "model type Unigram is not supported; only byte-level BPE (GPT-2 style) is"),
                  "unsupported tokenizer")
        try check(#"{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}"#,
                  .unsupportedFormat(path: url.path, reason: "the pre_tokenizer is not ByteLevel; only GPT-2's byte-level pre-tokenization is supported"),
                  "pre_tokenizer")
        try check(#"{\#(pre)}"#, .malformedVocabulary(path: url.path, reason: "there is no \"model\" object"), "no \"model\"")
        try check(#"{\#(pre), "model": {"vocab": {"a": 0}, "merges": []}, "added_tokens": [{"content": "x"}]}"#,
                  .malformedVocabulary(path: url.path, reason: "each added_tokens entry needs an integer \"id\" and a string \"content\""),
                  "added_tokens")
    }

    func testAddPrefixSpaceIsHonoured() throws {
        let directory = try Fixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("tokenizer.json")
        try Fixtures.write(#"""
            {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true},
             "model": {"type": "BPE", "vocab": {"Ġ": 0, "a": 1, "Ġa": 2}, "merges": ["Ġ a"]}}
            """#, to: url)
        let tokenizer = try BPETokenizer(tokenizerJSON: url)
        XCTAssertTrue(tokenizer.addsPrefixSpace)
        XCTAssertEqual(try tokenizer.encode("a a"), [2, 2])
        XCTAssertEqual(try tokenizer.encode(" a"), [2])
        try tokenizer.save(to: directory.appendingPathComponent("saved"), formats: [.vocabAndMerges])
        XCTAssertEqual(try loadTokenizer(from: directory.appendingPathComponent("saved")).encode("a a"), [2, 2])
    }

    func testTruncatedOrCorruptedFilesThrowInsteadOfCrashing() throws {
        let directory = try Fixtures.temporaryDirectory()
        for name in ["tokenizer.json", "vocab.json", "merges.txt"] {
            let original = try Data(contentsOf: tiny.appendingPathComponent(name))
            for fraction in stride(from: 0.0, to: 1.0, by: 0.07) {
                try? FileManager.default.removeItem(at: directory)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for other in ["tokenizer.json", "vocab.json", "merges.txt"] where other != name {
                    try FileManager.default.copyItem(at: tiny.appendingPathComponent(other), to: directory.appendingPathComponent(other))
                }
                if name != "tokenizer.json" { try? FileManager.default.removeItem(at: directory.appendingPathComponent("tokenizer.json")) }
                var data = original.prefix(Int(Double(original.count) * fraction))
                if fraction > 0.5, data.count > 10 { data[data.startIndex + data.count / 2] = 0xFF }  // and a bad byte
                try data.write(to: directory.appendingPathComponent(name))
                do {
                    _ = try loadTokenizer(from: directory)
                } catch is TokenizerError {
                    // expected for most cuts; a cut between merge lines is still a valid (shorter) file
                }
            }
        }
    }
}
