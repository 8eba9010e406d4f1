// Seeded property tests of GPT-2's byte-level BPE: encoding then decoding gives back the exact text (and the exact
// bytes) for random strings that stress the pre-tokenizer, and token ids for arbitrary bytes, valid UTF-8 or not,
// decode to exactly those bytes. The golden tests pin the ids for 30 chosen texts; these cover the space between.
import Evaluation
import Foundation
import Tokenizers
import XCTest

final class GPT2PropertyTests: XCTestCase {
    private func gpt2() throws -> BPETokenizer { try Fixtures.gpt2.get() }

    /// Pieces the generator strings together: the pre-tokenizer's classes (letters, digits, whitespace, other),
    /// the contractions it special-cases, and scalars from every UTF-8 length.
    private static let fragments: [String] = [
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "' ", "''",
        "<|endoftext|>", "<|", "|>", "Hello", " world", "ÿ", "é", "e\u{301}", "日本語", "Ω", "ß",
        "😀", "👩‍👩‍👧", "🇫🇷", "\u{10FFFF}", "\u{1D11E}", "\u{0}", "\u{7F}", "\u{FEFF}", "\u{FFFD}",
        "\u{A0}", "\u{3000}", "\u{2028}", "\u{2029}", "\u{85}", "\u{200B}", "\r\n", "\t", "\u{0B}", "\u{0C}",
        "٣", "Ⅻ", "½", "①", "123", "0", "...", "--", "$%", "\\", "\"",
    ]

    /// A random string: fragments, random scalars, long runs of one kind, and invalid UTF-8 bytes decoded the way
    /// Swift (and Python's `errors="replace"`) decode them, so U+FFFD appears where a real file would put it.
    private static func randomText(_ rng: inout SplitMix64) -> String {
        var text = ""
        let parts = Int(rng.next() % 12)
        for _ in 0..<parts {
            switch rng.next() % 8 {
            case 0:
                text += fragments[Int(rng.next() % UInt64(fragments.count))]
            case 1:  // a long run of whitespace: the `\s+(?!\S)` rule and the space kept for the next word
                let spaces = [" ", "\t", "\n", "\r", "\u{A0}", "\u{3000}"]
                let count = 1 + Int(rng.next() % 300)
                let mixed = rng.next() % 2 == 0
                let one = spaces[Int(rng.next() % UInt64(spaces.count))]
                for _ in 0..<count { text += mixed ? spaces[Int(rng.next() % UInt64(spaces.count))] : one }
            case 2:  // a long run of digits (one pre-token, a long BPE word)
                let count = 1 + Int(rng.next() % 400)
                for _ in 0..<count { text += String(rng.next() % 10) }
            case 3:  // ASCII letters and punctuation
                let count = 1 + Int(rng.next() % 20)
                for _ in 0..<count { text.unicodeScalars.append(Unicode.Scalar(UInt8(0x20 + rng.next() % 95))) }
            case 4:  // any scalar (skipping surrogates, which are not scalars)
                let count = 1 + Int(rng.next() % 8)
                for _ in 0..<count {
                    let value = UInt32(rng.next() % 0x11_0000)
                    if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
                }
            case 5:  // random bytes, mostly invalid UTF-8, repaired with U+FFFD
                let count = 1 + Int(rng.next() % 16)
                let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                text += String(decoding: bytes, as: UTF8.self)
            case 6:  // a word after a space, the commonest GPT-2 token shape
                text += " " + String(repeating: "ab", count: 1 + Int(rng.next() % 5))
            default:  // truncated multi-byte sequences next to valid ones
                let valid = Array("é日😀".utf8)
                let cut = Int(rng.next() % UInt64(valid.count))
                text += String(decoding: valid[..<cut] + [0xF0, 0x9F], as: UTF8.self)
            }
        }
        return text
    }

    func testEncodeThenDecodeIsTheIdentityOnRandomText() throws {
        let tokenizer = try gpt2()
        var rng = SplitMix64(seed: 22)
        for trial in 0..<400 {
            let text = Self.randomText(&rng)
            for allowSpecial in [false, true] {
                let ids = try tokenizer.encode(text, allowSpecial: allowSpecial)
                // Bytes first: the strongest form (String == would accept a canonically equivalent text).
                let bytes = try tokenizer.decodeBytes(ids, skipSpecialTokens: false)
                if bytes != Array(text.utf8) {
                    XCTFail("trial \(trial), allowSpecial \(allowSpecial): \(Array(text.unicodeScalars).map { String($0.value, radix: 16) }) decodes to other bytes")
                    return
                }
                XCTAssertEqual(Array(try tokenizer.decode(ids).unicodeScalars), Array(text.unicodeScalars))
                XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
            }
        }
    }

    func testLongRunsOfOneCharacterRoundTrip() throws {
        let tokenizer = try gpt2()
        for unit in [" ", "\n", "\t", "7", "a", "\u{A0}", "😀", "'s", "\u{FFFD}"] {
            for count in [1, 2, 3, 255, 256, 257, 1000, 4097] {
                let text = String(repeating: unit, count: count)
                let ids = try tokenizer.encode(text)
                XCTAssertEqual(try tokenizer.decodeBytes(ids, skipSpecialTokens: false), Array(text.utf8), "\(count) × \(unit.debugDescription)")
            }
        }
    }

    /// GPT-2 has a token for each of the 256 bytes, so any byte string, valid UTF-8 or not, is a token sequence;
    /// decoding it must give exactly those bytes, and the text (with U+FFFD for each invalid sequence) must
    /// encode and decode to itself.
    func testAnyBytesAreReachableAndDecodeExactly() throws {
        let tokenizer = try gpt2()
        var idOfByte = [Int32?](repeating: nil, count: 256)
        for id in 0..<Int32(tokenizer.baseVocabularySize) {
            let bytes = try tokenizer.decodeBytes([id], skipSpecialTokens: false)
            if bytes.count == 1, idOfByte[Int(bytes[0])] == nil { idOfByte[Int(bytes[0])] = id }
        }
        let byteIDs = try idOfByte.enumerated().map { byte, id in
            try XCTUnwrap(id, "GPT-2 has no single-byte token for \(byte)")
        }
        var rng = SplitMix64(seed: 2028)
        for _ in 0..<300 {
            let count = Int(rng.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ids = bytes.map { byteIDs[Int($0)] }
            XCTAssertEqual(try tokenizer.decodeBytes(ids, skipSpecialTokens: false), bytes)
            let text = try tokenizer.decode(ids)
            XCTAssertEqual(Array(text.unicodeScalars), Array(String(decoding: bytes, as: UTF8.self).unicodeScalars))
            XCTAssertEqual(try tokenizer.decodeBytes(try tokenizer.encode(text), skipSpecialTokens: false), Array(text.utf8))
        }
    }

    /// Random ids of the whole vocabulary decode to the concatenation of their tokens, and a special token is
    /// dropped exactly when asked.
    func testDecodingRandomIDsConcatenatesTokenBytes() throws {
        let tokenizer = try gpt2()
        let endOfText = try XCTUnwrap(tokenizer.id(forSpecialToken: "<|endoftext|>"))
        var rng = SplitMix64(seed: 50257)
        for _ in 0..<200 {
            let ids = (0..<Int(rng.next() % 40)).map { _ in Int32(rng.next() % UInt64(tokenizer.vocabularySize)) }
            var expected: [UInt8] = []
            var withoutSpecials: [UInt8] = []
            for id in ids {
                let token = try tokenizer.decodeBytes([id], skipSpecialTokens: false)
                expected += token
                if id != endOfText { withoutSpecials += token }
            }
            XCTAssertEqual(try tokenizer.decodeBytes(ids, skipSpecialTokens: false), expected)
            XCTAssertEqual(try tokenizer.decodeBytes(ids, skipSpecialTokens: true), withoutSpecials)
        }
    }
}
