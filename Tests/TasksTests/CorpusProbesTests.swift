// Tests of the corpus probes: the alignment-tax measure on skills of the pretraining text.
import XCTest
import Tasks

final class CorpusProbesTests: XCTestCase {
    func testProbesAskTheCorpusFactsTheTaskDoesNotRewardWithOneRightChoice() throws {
        var config = InstructionTaskConfig()
        config.seed = 4
        config.families = ["reverseWord", "antonym"]
        config.pretrainingCharacterCount = 200_000
        let task = try InstructionTask(config: config)
        let probes = task.corpusProbes(count: 30)
        XCTAssertEqual(Set(probes.map(\.skill)), [.categoryMember, .countLetters, .addNumbers, .counting, .slotFilling],
                       "antonyms are rewarded here")
        XCTAssertEqual(probes.count, 150)
        XCTAssertEqual(probes, task.corpusProbes(count: 30), "deterministic")
        let corpus = task.pretrainingCorpus().map(\.text).joined(separator: " ")
        for probe in probes {
            XCTAssertEqual(probe.choices.count, 4)
            XCTAssertEqual(Set(probe.choices).count, 4, "\(probe)")
            let sentence = probe.context + probe.choices[probe.answer]
            switch probe.skill {
            case .addNumbers:
                let numbers = sentence.split { !$0.isNumber }.map { Int($0)! }
                XCTAssertEqual(numbers[0] + numbers[1], numbers[2], sentence)
            case .categoryMember:
                XCTAssertTrue(corpus.contains(sentence), "the corpus states \(sentence)")
            case .slotFilling:
                let slot = sentence.split(separator: " ").suffix(3).joined(separator: " ")
                XCTAssertTrue(corpus.contains(slot), "the corpus fills the slot as in \(slot)")
            case .counting:
                let numbers = sentence.split { !$0.isNumber }.map { Int($0)! }
                XCTAssertEqual(numbers, Array(numbers[0]..<(numbers[0] + numbers.count)), sentence)
                XCTAssertTrue(corpus.contains(sentence + ","), "the corpus counts on past \(sentence)")
            default:
                break
            }
        }
        // Answers are spread over the positions.
        XCTAssertGreaterThan(Set(probes.map(\.answer)).count, 2)
        XCTAssertEqual(task.corpusProbes(count: 2, skills: [.antonym]).map(\.skill), [.antonym, .antonym])
    }
}
