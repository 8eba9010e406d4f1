// GPT-2's byte-level BPE against ids from OpenAI's encoder.py and Hugging Face (Fixtures/gpt2_golden.json).
import Foundation
import Tokenizers
import XCTest

final class GPT2GoldenTests: XCTestCase {
    private func gpt2() throws -> BPETokenizer { try Fixtures.gpt2.get() }
    private func golden() throws -> GPT2Golden { try Fixtures.decode(GPT2Golden.self, from: "gpt2_golden.json") }

    func testVocabularyShape() throws {
        let tokenizer = try gpt2()
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.baseVocabularySize, 50257)
        XCTAssertEqual(tokenizer.mergeCount, 50000)
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>"])
        XCTAssertEqual(tokenizer.id(forSpecialToken: "<|endoftext|>"), 50256)
        XCTAssertEqual(tokenizer.vocabularyEntry(forID: 262), "Ġthe")
        XCTAssertEqual(tokenizer.id(forVocabularyEntry: "Ġthe"), 262)
        XCTAssertEqual(try tokenizer.encode("Hello world"), [15496, 995])
        XCTAssertEqual(try tokenizer.encode(" Hello world"), [18435, 995])
    }

    func testEveryGoldenCaseEncodesToTheReferenceIDs() throws {
        let tokenizer = try gpt2()
        let golden = try golden()
        XCTAssertEqual(golden.cases.count, 30)
        for c in golden.cases {
            let ids = try tokenizer.encode(c.text)
            XCTAssertEqual(ids, c.ids, "case \(c.name)")
            if ids != c.ids, let k = zip(ids, c.ids).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                XCTFail("case \(c.name): first difference at \(k): \(ids[k]) vs \(c.ids[k])")
            }
            // allowSpecial changes nothing for texts without special tokens.
            if !c.text.contains("<|endoftext|>") {
                XCTAssertEqual(try tokenizer.encode(c.text, allowSpecial: true), c.ids, "case \(c.name)")
            }
        }
    }

    func testEveryGoldenCaseDecodesBackExactly() throws {
        let tokenizer = try gpt2()
        for c in try golden().cases {
            let text = try tokenizer.decode(c.ids)
            XCTAssertEqual(Array(text.unicodeScalars), Array(c.text.unicodeScalars), "case \(c.name)")
        }
    }

    func testPreTokenizerMatchesPythonRegexFindall() throws {
        for c in try golden().cases {
            let pieces = GPT2PreTokenizer.pieces(of: c.text)
            XCTAssertEqual(pieces.map { Array($0.unicodeScalars) }, c.pieces.map { Array($0.unicodeScalars) }, "case \(c.name)")
        }
    }

    func testSpecialTokensAreSplitOutWhenAllowed() throws {
        let tokenizer = try gpt2()
        for c in try golden().special_cases {
            XCTAssertEqual(try tokenizer.encode(c.text, allowSpecial: true), c.ids, c.text)
            XCTAssertEqual(try tokenizer.decode(c.ids), c.text)
            // Without allowSpecial the marker is ordinary text: "<|" "endoftext" "|>".
            XCTAssertFalse(try tokenizer.encode(c.text).contains(50256))
        }
        XCTAssertEqual(try tokenizer.encode("<|endoftext|>"), [27, 91, 437, 1659, 5239, 91, 29])
        XCTAssertEqual(try tokenizer.decode([15496, 50256, 995], skipSpecialTokens: true), "Hello world")
    }

    func testInvalidUTF8DecodesWithReplacementCharactersLikePython() throws {
        let tokenizer = try gpt2()
        for c in try golden().decode_cases {
            XCTAssertEqual(try tokenizer.decodeBytes(c.ids, skipSpecialTokens: false), c.bytes)
            XCTAssertEqual(Array(try tokenizer.decode(c.ids).unicodeScalars), Array(c.text.unicodeScalars), "\(c.bytes)")
        }
    }

    func testAddedSpecialTokensAppendAtTheEnd() throws {
        var tokenizer = try gpt2()
        XCTAssertEqual(try tokenizer.addSpecialTokens(["<|pad|>", "<|reward_0|>", "<|pad|>"]), [50257, 50258, 50257])
        XCTAssertEqual(try tokenizer.addSpecialTokens(["<|endoftext|>"]), [50256])
        XCTAssertEqual(tokenizer.vocabularySize, 50259)
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>", "<|pad|>", "<|reward_0|>"])
        XCTAssertEqual(try tokenizer.encode("a<|pad|>b<|reward_0|>", allowSpecial: true), [64, 50257, 65, 50258])
        XCTAssertEqual(try tokenizer.decode([64, 50257, 65, 50258]), "a<|pad|>b<|reward_0|>")
        // The original value is unchanged (value semantics).
        XCTAssertEqual(try gpt2().vocabularySize, 50257)
    }

    func testUnknownIDsThrow() throws {
        let tokenizer = try gpt2()
        assertThrows(.unknownTokenID(id: 50257, vocabularySize: 50257), containing: "0..<50257") {
            try tokenizer.decode([15496, 50257])
        }
        assertThrows(.unknownTokenID(id: -1, vocabularySize: 50257), containing: "token id -1") {
            try tokenizer.decode([-1])
        }
    }

    func testAllThreeFileFormatsReloadToTheSameEncodings() throws {
        var tokenizer = try gpt2()
        try tokenizer.addSpecialTokens(["<|pad|>"])
        let golden = try golden()
        let text = golden.cases.last!.text + "<|pad|><|endoftext|>"
        let expected = try tokenizer.encode(text, allowSpecial: true)
        for format in TokenizerFileFormat.allCases {
            let directory = try Fixtures.temporaryDirectory("formats-\(format)")
            try tokenizer.save(to: directory, formats: [format])
            XCTAssertEqual(TokenizerFileFormat.detect(in: directory), format)
            let reloaded = try loadTokenizer(from: directory)
            XCTAssertTrue(reloaded is BPETokenizer)
            XCTAssertEqual(reloaded.vocabularySize, 50258, "\(format)")
            XCTAssertEqual(reloaded.specialTokens, ["<|endoftext|>", "<|pad|>"], "\(format)")
            XCTAssertEqual(try reloaded.encode(text, allowSpecial: true), expected, "\(format)")
            XCTAssertEqual(try reloaded.decode(expected), text, "\(format)")
        }
    }

    func testSavedOpenAIFilesMatchTheOriginals() throws {
        let tokenizer = try gpt2()
        let directory = try Fixtures.temporaryDirectory()
        try tokenizer.save(to: directory, formats: [.openAI])
        // vocab.bpe is reproduced byte for byte; encoder.json has the same entries (OpenAI's file
        // escapes non-ASCII as \uXXXX, ours writes UTF-8), so compare it entry by entry.
        let original = try Data(contentsOf: Fixtures.gpt2Directory.appendingPathComponent("vocab.bpe"))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("vocab.bpe")), original)
        let reloaded = try BPETokenizer(directory: directory)
        XCTAssertEqual(reloaded.vocabularySize, 50257)
        for id in Int32(0)..<50257 where reloaded.vocabularyEntry(forID: id) != tokenizer.vocabularyEntry(forID: id) {
            return XCTFail("entry \(id) differs")
        }
    }

    func testEncodingSpeed() throws {
        let tokenizer = try gpt2()
        let text = String(repeating: try golden().cases.last!.text, count: 40)  // ≈ 0.2 MB, mixed scripts
        _ = try tokenizer.encode(text)  // warm the word cache
        let start = Date()
        let ids = try tokenizer.encode(text)
        let seconds = Date().timeIntervalSince(start)
        let megabytes = Double(text.utf8.count) / 1e6
        print("GPT-2 encode: \(String(format: "%.1f", megabytes / seconds)) MB/s, \(ids.count) tokens")
        XCTAssertEqual(try tokenizer.decode(ids), text)
    }

    func testRandomTextRoundTripsAndPiecesTileIt() throws {
        let tokenizer = try gpt2()
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0xA0...0x24F, 0x370...0x4FF,
                                             0x600...0x6FF, 0x900...0x97F, 0x3040...0x30FF, 0x4E00...0x4FFF, 0x1F300...0x1F6FF]
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for _ in 0..<200 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<next(300) {
                let range = ranges[next(ranges.count)]
                scalars.append(Unicode.Scalar(range.lowerBound + UInt32(next(Int(range.upperBound - range.lowerBound) + 1)))!)
            }
            let text = String(scalars)
            XCTAssertEqual(GPT2PreTokenizer.pieces(of: text).joined(), text)
            XCTAssertEqual(try tokenizer.decode(try tokenizer.encode(text)), text)
        }
    }
}
