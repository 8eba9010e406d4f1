// The 256-byte tokenizer: round trips, special tokens, invalid UTF-8, unknown ids, files.
import Foundation
import Tokenizers
import XCTest

final class ByteTokenizerTests: XCTestCase {
    func testRoundTripsAnyText() throws {
        let tokenizer = try ByteTokenizer()
        for text in ["", "hello", "Café 你好 👍🏽 مرحبا\n\t  ", "a\u{0}b\r\n"] {
            let ids = try tokenizer.encode(text)
            XCTAssertEqual(ids, text.utf8.map { Int32($0) })
            XCTAssertEqual(try tokenizer.decode(ids), text)
        }
        XCTAssertEqual(tokenizer.vocabularySize, 256)
    }

    func testInvalidUTF8BecomesReplacementCharacters() throws {
        let tokenizer = try ByteTokenizer()
        // Same results as Python's bytes.decode("utf-8", errors="replace").
        XCTAssertEqual(try tokenizer.decode([0xE2, 0x82]), "\u{FFFD}")
        XCTAssertEqual(try tokenizer.decode([0xED, 0xA0, 0x80]), "\u{FFFD}\u{FFFD}\u{FFFD}")
        XCTAssertEqual(try tokenizer.decode([0x41, 0xFF, 0x42]), "A\u{FFFD}B")
        XCTAssertEqual(try tokenizer.decode([0xC3, 0xA9, 0xA9]), "é\u{FFFD}")
        XCTAssertEqual(try tokenizer.decodeBytes([0xFF, 0x00], skipSpecialTokens: false), [0xFF, 0x00])
    }

    func testSpecialTokensFollowTheBytes() throws {
        var tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
        XCTAssertEqual(try tokenizer.addSpecialTokens(["<|pad|>", "<|endoftext|>"]), [257, 256])
        XCTAssertEqual(tokenizer.vocabularySize, 258)
        XCTAssertEqual(tokenizer.id(forSpecialToken: "<|pad|>"), 257)
        XCTAssertNil(tokenizer.id(forSpecialToken: "<|unknown|>"))
        XCTAssertEqual(tokenizer.specialTokenIDs, [256, 257])

        let text = "hi<|pad|><|endoftext|>!"
        XCTAssertEqual(try tokenizer.encode(text, allowSpecial: true), [104, 105, 257, 256, 33])
        XCTAssertEqual(try tokenizer.encode(text).count, text.utf8.count)  // not allowed: plain bytes
        XCTAssertEqual(try tokenizer.decode([104, 105, 257, 256, 33]), text)
        XCTAssertEqual(try tokenizer.decode([104, 105, 257, 256, 33], skipSpecialTokens: true), "hi!")
    }

    func testLongestSpecialTokenWins() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<a>", "<a><b>"])
        XCTAssertEqual(try tokenizer.encode("<a><b><a>", allowSpecial: true), [257, 256])
    }

    func testUnknownIDsAndBadSpecialTokensThrow() throws {
        var tokenizer = try ByteTokenizer(specialTokens: ["<|pad|>"])
        assertThrows(.unknownTokenID(id: 257, vocabularySize: 257), containing: "token id 257 is not in the vocabulary") {
            try tokenizer.decode([65, 257])
        }
        assertThrows(.unknownTokenID(id: -3, vocabularySize: 257), containing: "0..<257") {
            try tokenizer.decode([-3])
        }
        assertThrows(.invalidSpecialToken(token: "", reason: "a special token needs at least one character"),
                     containing: "cannot add special token") {
            try tokenizer.addSpecialTokens([""])
        }
    }

    func testSavesAndReloadsAsAByteTokenizer() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        let directory = try Fixtures.temporaryDirectory()
        try tokenizer.save(to: directory)
        let reloaded = try loadTokenizer(from: directory)
        XCTAssertEqual(reloaded as? ByteTokenizer, tokenizer)
        XCTAssertEqual(try reloaded.encode("x<|pad|>", allowSpecial: true), [120, 257])
    }
}
