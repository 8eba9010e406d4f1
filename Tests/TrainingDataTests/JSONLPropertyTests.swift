// Seeded property tests of JSONL: writing records and reading them back is the identity, scalar for scalar, for
// random texts full of what a JSON writer must escape (quotes, backslashes, control characters, U+2028/U+2029)
// and of non-BMP characters; and any JSON value serializes to one line that parses back to itself.
import Evaluation
import Foundation
import TrainingData
import XCTest

final class JSONLPropertyTests: XCTestCase {
    /// A non-empty random text (records reject empty strings).
    private static func randomText(_ rng: inout SplitMix64) -> String {
        let pieces = ["\"", "\\", "/", "\n", "\r", "\r\n", "\t", "\u{0}", "\u{8}", "\u{C}", "\u{1F}", "\u{7F}",
                      "\u{2028}", "\u{2029}", "\u{85}", "\u{FEFF}", "\u{FFFD}", "😀", "👩‍👩‍👧", "\u{10FFFF}",
                      "\u{1D11E}", "e\u{301}", "é", "日本語", " ", "Q: ", "A:", "{", "}", "[", "]", ",", ":",
                      "\\u2028", "\\n", "\\\"", "null", "true", "0", "-1e5"]
        var text = ""
        repeat {
            for _ in 0..<Int(rng.next() % 10) {
                if rng.next() % 3 == 0 {
                    // Any scalar, surrogates excluded (a Swift string cannot hold them).
                    if let scalar = Unicode.Scalar(UInt32(rng.next() % 0x11_0000)) { text.unicodeScalars.append(scalar) }
                } else {
                    text += pieces[Int(rng.next() % UInt64(pieces.count))]
                }
            }
        } while text.isEmpty
        return text
    }

    /// Scalar-by-scalar equality: `String ==` would accept a canonically equivalent text, which a writer that
    /// normalized (é for e + U+0301) would produce.
    private func assertSameScalars(_ a: [String], _ b: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map { Array($0.unicodeScalars) }, b.map { Array($0.unicodeScalars) }, message, file: file, line: line)
    }

    private func write<R: DatasetRecord>(_ records: [R], readBack type: R.Type) throws -> [R] {
        let data = JSONLWriter.encode(records)
        // One line per record whatever the text holds: no raw newline, CR or line separator inside a line.
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, records.count + 1)
        for line in lines {
            XCTAssertFalse(line.unicodeScalars.contains { $0 == "\r" || $0 == "\u{2028}" || $0 == "\u{2029}" })
        }
        return try JSONLReader().read(type, data: data, path: "property.jsonl").records
    }

    func testEveryRecordShapeRoundTripsScalarForScalar() throws {
        var rng = SplitMix64(seed: 22)
        for trial in 0..<200 {
            let count = 1 + Int(rng.next() % 4)
            let pairs = (0..<count).map { _ in
                PromptCompletionRecord(prompt: Self.randomText(&rng), completion: Self.randomText(&rng))
            }
            let readPairs = try write(pairs, readBack: PromptCompletionRecord.self)
            assertSameScalars(readPairs.map(\.prompt), pairs.map(\.prompt), "trial \(trial) prompts")
            assertSameScalars(readPairs.map(\.completion), pairs.map(\.completion), "trial \(trial) completions")

            let preferences = (0..<count).map { _ in
                PreferenceRecord(prompt: Self.randomText(&rng), chosen: Self.randomText(&rng), rejected: Self.randomText(&rng))
            }
            let readPreferences = try write(preferences, readBack: PreferenceRecord.self)
            assertSameScalars(readPreferences.flatMap { [$0.prompt, $0.chosen, $0.rejected] },
                              preferences.flatMap { [$0.prompt, $0.chosen, $0.rejected] }, "trial \(trial) preferences")

            let ranked = (0..<count).map { _ in
                RankedRecord(prompt: Self.randomText(&rng), completions: (0..<(2 + Int(rng.next() % 3))).map { _ in Self.randomText(&rng) })
            }
            let readRanked = try write(ranked, readBack: RankedRecord.self)
            assertSameScalars(readRanked.flatMap { [$0.prompt] + $0.completions }, ranked.flatMap { [$0.prompt] + $0.completions },
                              "trial \(trial) ranked")

            let unpaired = (0..<count).map { _ in
                UnpairedPreferenceRecord(prompt: Self.randomText(&rng), completion: Self.randomText(&rng), label: rng.next() % 2 == 0)
            }
            let readUnpaired = try write(unpaired, readBack: UnpairedPreferenceRecord.self)
            assertSameScalars(readUnpaired.flatMap { [$0.prompt, $0.completion] }, unpaired.flatMap { [$0.prompt, $0.completion] },
                              "trial \(trial) unpaired")
            XCTAssertEqual(readUnpaired.map(\.label), unpaired.map(\.label))

            let conversations = (0..<count).map { _ in
                let turns = Int(rng.next() % 3)
                let roles = ["system", "user", "assistant"]
                let messages = (0..<turns).map { _ in ChatMessage(role: roles[Int(rng.next() % 3)], content: Self.randomText(&rng)) }
                    + [ChatMessage(role: "assistant", content: Self.randomText(&rng))]
                return ConversationRecord(messages: messages)
            }
            let readConversations = try write(conversations, readBack: ConversationRecord.self)
            assertSameScalars(readConversations.flatMap { $0.messages.flatMap { [$0.role, $0.content] } },
                              conversations.flatMap { $0.messages.flatMap { [$0.role, $0.content] } }, "trial \(trial) conversations")

            let documents = (0..<count).map { _ in LanguageModelingRecord(text: Self.randomText(&rng)) }
            let readDocuments = try write(documents, readBack: LanguageModelingRecord.self)
            assertSameScalars(readDocuments.map(\.text), documents.map(\.text), "trial \(trial) documents")
        }
    }

    /// A random JSON value: nested arrays and objects, numbers of every magnitude, and escape-heavy strings.
    private static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONLValue {
        switch rng.next() % (depth < 3 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2:
            switch rng.next() % 4 {
            case 0: return .number(Double(Int64(truncatingIfNeeded: rng.next()) >> Int64(rng.next() % 64)))
            case 1:  // any finite double, subnormals included
                var x = Double(bitPattern: rng.next())
                while !x.isFinite { x = Double(bitPattern: rng.next()) }
                return .number(x)
            case 2: return .number([0, -0.0, 1e15, -1e15, 1e-7, 123.456, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int(rng.next() % 8)])
            default: return .number(Double(rng.next() % 2001) / 8 - 125)
            }
        case 3, 4: return .string(rng.next() % 5 == 0 ? "" : randomText(&rng))
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object: [String: JSONLValue] = [:]
            for _ in 0..<Int(rng.next() % 4) { object[randomText(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(object)
        }
    }

    /// Equality that compares strings (and keys) scalar for scalar and numbers by value (0 and -0 are one number
    /// in JSON).
    private static func same(_ a: JSONLValue, _ b: JSONLValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return Array(x.unicodeScalars) == Array(y.unicodeScalars)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            let xKeys = x.keys.map { Array($0.unicodeScalars).map(\.value) }.sorted { $0.lexicographicallyPrecedes($1) }
            let yKeys = y.keys.map { Array($0.unicodeScalars).map(\.value) }.sorted { $0.lexicographicallyPrecedes($1) }
            return xKeys == yKeys && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        default: return false
        }
    }

    func testAnyValueSerializesToOneLineThatParsesBack() throws {
        var rng = SplitMix64(seed: 2029)
        for trial in 0..<1000 {
            let value = Self.randomValue(&rng)
            let line = value.serialized()
            XCTAssertFalse(line.unicodeScalars.contains { $0 == "\n" || $0 == "\r" || $0 == "\u{2028}" || $0 == "\u{2029}" },
                           "trial \(trial): \(line.debugDescription)")
            let parsed: JSONLValue
            do {
                parsed = try JSONLValue.parse(line)
            } catch {
                XCTFail("trial \(trial): \(line.debugDescription) does not parse: \(error)")
                continue
            }
            XCTAssertTrue(Self.same(parsed, value), "trial \(trial): \(line.debugDescription) parsed as \(parsed)")
        }
    }
}
