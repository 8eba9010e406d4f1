// Tests of `InstructionTaskConfig.madeUpWordCount`: made-up words widen the spelling and repetition families.
import XCTest
import Tasks

final class MadeUpWordsTests: XCTestCase {
    static func task(madeUpWords: Int, seed: UInt64 = 3) throws -> InstructionTask {
        var config = InstructionTaskConfig()
        config.seed = seed
        config.madeUpWordCount = madeUpWords
        config.families = ["reverseWord", "firstLetter", "repeatPhrase", "largerNumber"]
        config.demonstrationCount = 400
        config.comparisonCount = 400
        config.rankedCount = 10
        config.rlPromptCount = 100
        config.evaluationCount = 100
        config.heldOutComparisonCount = 50
        config.pretrainingCharacterCount = 2_000
        return try InstructionTask(config: config)
    }

    /// The spelling words of a task's splits (the arguments of reverse and first letter).
    static func spellingWords(_ task: InstructionTask) -> Set<String> {
        let all = task.splits.demonstration + task.splits.comparison + task.splits.reinforcement + task.splits.evaluation
        return Set(all.filter { $0.family == .reverseWord || $0.family == .firstLetter }.map { $0.arguments[0] })
    }

    func testMadeUpWordsWidenTheSpellingFamiliesAndStaySplitByInstance() throws {
        let plain = try Self.task(madeUpWords: 0)
        let wide = try Self.task(madeUpWords: 2000)
        let plainWords = Self.spellingWords(plain), wideWords = Self.spellingWords(wide)
        // Without made-up words the 400 demonstrations cycle over a few dozen real words per family.
        XCTAssertLessThan(plainWords.count, 300)
        XCTAssertGreaterThan(wideWords.count, 2 * plainWords.count)
        let madeUp = wideWords.subtracting(plainWords)
        XCTAssertGreaterThan(madeUp.count, 300)
        for word in madeUp {
            XCTAssertTrue((3...8).contains(word.count) && word.allSatisfy { $0.isASCII && $0.isLowercase }, word)
        }
        // Repetition gains made-up phrases of at most five letters.
        let phrases = Set(wide.splits.comparison.filter { $0.family == .repeatPhrase }.map { $0.arguments[0] })
        XCTAssertTrue(phrases.contains { !$0.contains(" ") && $0.count <= 5 && madeUp.contains($0) })
        // Splits stay disjoint by instance, and every prompt still parses back and scores its answer 1.
        let keys = [wide.splits.demonstration, wide.splits.comparison, wide.splits.reinforcement,
                    wide.splits.evaluation].map { Set($0.map(\.instanceKey)) }
        for i in 0..<4 { for j in (i + 1)..<4 { XCTAssertTrue(keys[i].isDisjoint(with: keys[j])) } }
        for instruction in wide.splits.evaluation {
            XCTAssertEqual(try Instruction(prompt: instruction.prompt), instruction)
            XCTAssertEqual(instruction.goldScore(completion: instruction.referenceCompletion), 1)
        }
    }

    func testMadeUpWordsAreSeeded() throws {
        let a = try Self.task(madeUpWords: 500), b = try Self.task(madeUpWords: 500)
        XCTAssertEqual(a.comparisons, b.comparisons)
        XCTAssertEqual(a.evaluation, b.evaluation)
        let c = try Self.task(madeUpWords: 500, seed: 4)
        XCTAssertNotEqual(Self.spellingWords(a), Self.spellingWords(c))
    }

    func testBadCountIsRejected() {
        var config = InstructionTaskConfig()
        config.madeUpWordCount = -1
        XCTAssertThrowsError(try InstructionTask(config: config)) {
            XCTAssertEqual($0 as? TaskError, .invalid(.invalidValue(
                field: "madeUpWordCount", value: "-1", requirement: "it must be in 0...20000, such as 0 or 2000")))
        }
    }
}
