// Training a byte-level BPE: size, exact round trips, determinism, files, speed, bad settings.
import Foundation
import Tokenizers
import XCTest

final class BPETrainerTests: XCTestCase {
    /// About `bytes` of pseudo-English with numbers, punctuation, whitespace runs and some non-ASCII,
    /// from a fixed linear congruential generator.
    static func corpus(bytes: Int, seed: UInt64 = 7) -> String {
        let syllables = ["the", "an", "ing", "re", "on", "er", "qu", "ick", "br", "own", "fo", "x", "ju", "mp", "s",
                         "ov", "la", "zy", "do", "g", "ca", "fé", "na", "ïve", "über", "日本", "語", "ال", "عر", "bi"]
        let punctuation = [".", ",", "!", "?", ";", " -", "'s", "'ll", "...", ":"]
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var text = ""
        text.reserveCapacity(bytes + 64)
        while text.utf8.count < bytes {
            var word = ""
            for _ in 0...next(3) { word += syllables[min(next(syllables.count), next(syllables.count))] }
            if next(10) == 0 { word = word.capitalized }
            text += word
            switch next(20) {
            case 0: text += punctuation[next(punctuation.count)] + "\n"
            case 1: text += " " + String(next(100_000)) + " "
            case 2: text += "  \t"
            case 3: text += punctuation[next(punctuation.count)] + " "
            default: text += " "
            }
        }
        return text
    }

    func testReachesTheRequestedSizeAndRoundTripsExactly() throws {
        let corpus = Self.corpus(bytes: 200_000)
        let trainer = try BPETrainer(configuration: .init(vocabularySize: 512, specialTokens: ["<|endoftext|>", "<|pad|>"]))
        let tokenizer = try trainer.train(on: corpus)
        XCTAssertEqual(tokenizer.vocabularySize, 512)
        XCTAssertEqual(tokenizer.baseVocabularySize, 510)
        XCTAssertEqual(tokenizer.id(forSpecialToken: "<|endoftext|>"), 510)
        XCTAssertEqual(tokenizer.id(forSpecialToken: "<|pad|>"), 511)
        let ids = try tokenizer.encode(corpus)
        XCTAssertLessThan(ids.count, corpus.utf8.count / 2, "512 tokens should at least halve the length")
        XCTAssertEqual(try tokenizer.decode(ids), corpus)
        for text in ["unseen: zebra 😀 Ωmega\r\n\t", "", " ", "<|pad|>x", String(repeating: "quick", count: 100)] {
            XCTAssertEqual(try tokenizer.decode(try tokenizer.encode(text)), text)
            XCTAssertEqual(try tokenizer.decode(try tokenizer.encode(text, allowSpecial: true)), text)
        }
        XCTAssertEqual(try tokenizer.encode("a<|pad|>", allowSpecial: true).last, 511)
    }

    func testTrainingIsDeterministic() throws {
        let corpus = Self.corpus(bytes: 100_000, seed: 3)
        let trainer = try BPETrainer(configuration: .init(vocabularySize: 600))
        let first = try trainer.train(on: corpus)
        let second = try trainer.train(on: corpus)
        let a = try Fixtures.temporaryDirectory("determinism-a")
        let b = try Fixtures.temporaryDirectory("determinism-b")
        try first.save(to: a)
        try second.save(to: b)
        for name in ["tokenizer.json", "vocab.json", "merges.txt"] {
            XCTAssertEqual(try Data(contentsOf: a.appendingPathComponent(name)),
                           try Data(contentsOf: b.appendingPathComponent(name)), name)
        }
        XCTAssertEqual(try first.encode(corpus), try second.encode(corpus))
    }

    func testSavedFilesReloadToTheSameEncodingsInEveryFormat() throws {
        let corpus = Self.corpus(bytes: 100_000, seed: 11)
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: 700)).train(on: corpus)
        let probe = String(corpus.prefix(5_000)) + " Zürich 東京 <|endoftext|>"
        let expected = try tokenizer.encode(probe, allowSpecial: true)
        for format in TokenizerFileFormat.allCases {
            let directory = try Fixtures.temporaryDirectory("trained-\(format)")
            try tokenizer.save(to: directory, formats: [format])
            let reloaded = try loadTokenizer(from: directory)
            XCTAssertEqual(reloaded.vocabularySize, 700, "\(format)")
            XCTAssertEqual(reloaded.specialTokens, ["<|endoftext|>"], "\(format)")
            XCTAssertEqual(try reloaded.encode(probe, allowSpecial: true), expected, "\(format)")
        }
    }

    func testSpecialTokenTextInTheCorpusIsNotLearned() throws {
        let corpus = String(repeating: "<|endoftext|>hello world ", count: 500)
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: 300)).train(on: corpus)
        XCTAssertNil(tokenizer.id(forVocabularyEntry: "endoftext"))
        XCTAssertNotNil(tokenizer.id(forVocabularyEntry: "Ġworld"))
        XCTAssertEqual(try tokenizer.encode("hello", allowSpecial: true).count, 1)
    }

    func testStopsEarlyWhenNoPairIsFrequentEnough() throws {
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: 4096)).train(on: "abab cd")
        XCTAssertEqual(tokenizer.vocabularySize, 256 + 1 + 1)  // only "ab" (twice) is merged
        XCTAssertEqual(try tokenizer.encode("abab"), [256, 256])
    }

    func testTrainingAMegabyteTo2048TokensTakesSeconds() throws {
        let corpus = Self.corpus(bytes: 1_000_000, seed: 5)
        let start = Date()
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: 2048)).train(on: corpus)
        let seconds = Date().timeIntervalSince(start)
        print("BPETrainer: 1 MB to 2048 tokens in \(String(format: "%.2f", seconds)) s")
        XCTAssertEqual(tokenizer.vocabularySize, 2048)
        XCTAssertLessThan(seconds, 60, "training should take seconds, not minutes")
    }

    func testTrainsFromAFileAndRejectsBadSettings() throws {
        let directory = try Fixtures.temporaryDirectory()
        let file = directory.appendingPathComponent("corpus.txt")
        try Fixtures.write(Self.corpus(bytes: 20_000), to: file)
        XCTAssertEqual(try BPETrainer(configuration: .init(vocabularySize: 300)).train(contentsOf: file).vocabularySize, 300)

        try Data([0x61, 0xFF, 0x62]).write(to: file)
        assertThrows(.ioFailure(path: file.path, reason: "the file is not valid UTF-8; convert it first (e.g. iconv -t UTF-8)"),
                     containing: "not valid UTF-8") { try BPETrainer().train(contentsOf: file) }

        assertThrows(.invalid(.invalidValue(field: "vocabularySize", value: "200",
                                            requirement: "it must be at least 256 byte tokens + 1 special tokens = 257, and at most 16777216")),
                     containing: "`vocabularySize` is 200, but it must be at least 256 byte tokens + 1 special tokens = 257") {
            try BPETrainer(configuration: .init(vocabularySize: 200))
        }
        assertThrows(.invalid(.invalidValue(field: "minimumPairFrequency", value: "0", requirement: "it must be 1 or more")),
                     containing: "`minimumPairFrequency` is 0, but it must be 1 or more") {
            try BPETrainer(configuration: .init(minimumPairFrequency: 0))
        }
        assertThrows(.invalid(.invalidValue(field: "specialTokens", value: "[\"<a>\", \"<a>\"]", requirement: "it must list each special token once")),
                     containing: "once") {
            try BPETrainer(configuration: .init(specialTokens: ["<a>", "<a>"]))
        }
    }
}
