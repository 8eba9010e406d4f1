// Hand-checked gold scores, and simulated annotators: Bradley–Terry frequencies, group disagreement, noise ceiling.
import XCTest
import Evaluation
import Tasks

final class GoldScoreAndAnnotatorTests: XCTestCase {
    func lamp() throws -> Instruction { try Instruction(family: .reverseWord, arguments: ["lamp"], phrasing: 0) }

    func testGoldScoreHandCases() throws {
        let reverse = try lamp()
        XCTAssertEqual(reverse.prompt, "Q: Reverse the word lamp.\nA:")
        XCTAssertEqual(reverse.goldScore(completion: " pmal\n"), 1.0)
        XCTAssertEqual(reverse.goldScore(completion: " pmal\nextra after the stop"), 1.0)
        XCTAssertEqual(reverse.goldScore(completion: " pmal.\n"), 0.9)
        XCTAssertEqual(reverse.goldScore(completion: " The answer is pmal.\n"), 0.6, accuracy: 1e-12)
        XCTAssertEqual(reverse.goldScore(completion: " Sure! pmal\n"), 0.8, accuracy: 1e-12)
        XCTAssertEqual(reverse.goldScore(completion: " well well well well well well pmal\n"), 0.5)
        XCTAssertEqual(reverse.goldScore(completion: " pmal"), 0.8, accuracy: 1e-12)          // never stops
        XCTAssertEqual(reverse.goldScore(completion: " pmla\n"), 0.25)                          // 2 of 4 letters
        XCTAssertEqual(reverse.goldScore(completion: " PMAL\n"), 0.5)                           // wrong case
        XCTAssertEqual(reverse.goldScore(completion: "\n"), 0)
        XCTAssertEqual(reverse.goldScore(completion: ""), 0)
        XCTAssertEqual(reverse.goldScore(completion: " lamp\n"), 0)

        let caps = try Instruction(family: .capitalizeWord, arguments: ["lamp"], phrasing: 0)
        XCTAssertEqual(caps.goldScore(completion: " LAMP\n"), 1)
        XCTAssertEqual(caps.goldScore(completion: " lamp\n"), 0.1, accuracy: 1e-12)
        XCTAssertEqual(caps.goldScore(completion: " LAMp\n"), 0.4, accuracy: 1e-12)

        let add = try Instruction(prompt: "Q: What is 12 plus 7?\nA:")
        XCTAssertEqual(add.goldScore(completion: " 19\n"), 1)
        XCTAssertEqual(add.goldScore(completion: " 20\n"), 0.3)
        XCTAssertEqual(add.goldScore(completion: " 17\n"), 0.15)
        XCTAssertEqual(add.goldScore(completion: " 30\n"), 0)
        XCTAssertEqual(add.goldScore(completion: " 12 plus 7 is 19.\n"), 0.5)

        let sort = try Instruction(prompt: "Q: Sort these numbers: 7, 2, 5\nA:")
        XCTAssertEqual(sort.goldScore(completion: " 2, 5, 7\n"), 1)
        XCTAssertEqual(sort.goldScore(completion: " 2, 7, 5\n"), 0.5 / 3, accuracy: 1e-12)

        let repeatTwice = try Instruction(prompt: "Q: Say 'go on' twice.\nA:")
        XCTAssertEqual(repeatTwice.goldScore(completion: " go on go on\n"), 1)
        XCTAssertEqual(repeatTwice.goldScore(completion: " go on\n"), 0.25)

        let opposite = try Instruction(prompt: "Q: What is the opposite of light?\nA:")
        XCTAssertEqual(opposite.acceptedAnswers, ["dark", "heavy"])
        XCTAssertEqual(opposite.goldScore(completion: " heavy\n"), 1)
        XCTAssertEqual(opposite.goldScore(completion: " Dark\n"), 0.5)

        let fruit = try Instruction(prompt: "Q: Name one fruit that starts with p.\nA:")
        XCTAssertEqual(fruit.goldScore(completion: " plum\n"), 1)
        XCTAssertEqual(fruit.goldScore(completion: " apple\n"), 0.3)
        XCTAssertEqual(fruit.goldScore(completion: " dog\n"), 0.1)
    }

    func testCandidateKindsHaveOrderedQuality() throws {
        let task = InstructionTaskTests.task
        var rng = SplitMix64(seed: 2)
        var means: [CandidateKind: Double] = [:]
        for kind in CandidateKind.allCases {
            let scores = task.splits.comparison.map { $0.goldScore(completion: $0.candidateCompletion(kind, using: &rng)) }
            means[kind] = scores.reduce(0, +) / Double(scores.count)
        }
        XCTAssertEqual(means[.correct], 1)
        XCTAssertGreaterThan(means[.verbose]!, means[.partial]!)
        XCTAssertGreaterThan(means[.partial]!, means[.wrong]!)
        XCTAssertLessThan(means[.garbage]!, 0.1)
        XCTAssertEqual(means[.unstopped]!, 0.62, accuracy: 0.08)   // 0.8 × (1, 0.8, 0.7 or 0.6)
    }

    func testAnnotatorLabelFrequenciesMatchBradleyTerry() throws {
        let instruction = try lamp()
        let a = " Sure! pmal\n", b = " pmal\n"
        let group = AnnotatorGroup.concise
        // Hand value for one member: u(a) = 0.8 − 0.01 × 10, u(b) = 1 − 0.01 × 4 → p = σ(−0.26 / 0.12).
        let member = group.annotators[0]
        XCTAssertEqual(member.preferenceProbability(instruction, a, b), 1 / (1 + exp(0.26 / 0.12)), accuracy: 1e-12)
        XCTAssertEqual(member.preferenceProbability(instruction, a, a), 0.5)
        for g in [AnnotatorGroup.concise, .courteous] {
            let p = g.preferenceProbability(instruction, a, b)
            var rng = SplitMix64(seed: 9)
            let n = 8_000
            let hits = (0..<n).filter { _ in g.prefersFirst(instruction, a, b, using: &rng) }.count
            let sd = sqrt(p * (1 - p) / Double(n))
            XCTAssertEqual(Double(hits) / Double(n), p, accuracy: 4 * sd, g.name)
        }
        // A ranking of two is a Bradley–Terry draw too.
        var rng = SplitMix64(seed: 10)
        let p = AnnotatorGroup.courteous.preferenceProbability(instruction, a, b)
        let n = 8_000
        let first = (0..<n).filter { _ in AnnotatorGroup.courteous.rank(instruction, [a, b], using: &rng)[0] == 0 }.count
        XCTAssertEqual(Double(first) / Double(n), p, accuracy: 4 * sqrt(p * (1 - p) / Double(n)))
    }

    func testHeldOutGroupDisagreesWithTrainingGroup() throws {
        let task = InstructionTaskTests.task
        var disagreements = 0
        var labelAgreement = 0
        for (x, y) in zip(task.heldOutComparisons, task.heldOutComparisonsByHeldOutGroup) {
            let instruction = try Instruction(prompt: x.prompt)
            let pTrain = AnnotatorGroup.training.preferenceProbability(instruction, x.chosen, x.rejected)
            let pHeld = AnnotatorGroup.heldOut.preferenceProbability(instruction, x.chosen, x.rejected)
            if (pTrain > 0.5) != (pHeld > 0.5) { disagreements += 1 }
            if x.chosen == y.chosen { labelAgreement += 1 }
        }
        let n = Double(task.heldOutComparisons.count)
        XCTAssertGreaterThan(Double(disagreements) / n, 0.05)
        XCTAssertLessThan(Double(disagreements) / n, 0.5)
        XCTAssertLessThan(Double(labelAgreement) / n, 0.95)
        XCTAssertGreaterThan(Double(labelAgreement) / n, 0.6)
    }

    func testLabellingPairsOfSamplesSkipsTiesAndFollowsTheAnnotators() throws {
        var config = InstructionTaskConfig()
        (config.demonstrationCount, config.comparisonCount, config.rankedCount, config.rlPromptCount) = (10, 10, 2, 10)
        (config.evaluationCount, config.heldOutComparisonCount, config.pretrainingCharacterCount) = (10, 10, 2000)
        let task = try InstructionTask(config: config)
        let prompt = try lamp().prompt
        var rng = SplitMix64(seed: 3)
        let prompts = Array(repeating: prompt, count: 400)
        let records = try task.labelPairs(prompts: prompts + [prompt], first: Array(repeating: " pmal\n", count: 400) + [" x\n"],
                                          second: Array(repeating: " lamp\n", count: 400) + [" x\n"], using: &rng)
        XCTAssertEqual(records.count, 400, "the identical pair is skipped")
        let correctWins = records.filter { $0.chosen == " pmal\n" && $0.rejected == " lamp\n" }.count
        XCTAssertGreaterThan(correctWins, 390, "a gold gap of 1 is almost always labelled right by the training group")
        XCTAssertThrowsError(try task.labelPairs(prompts: [prompt], first: [], second: [" a\n"], using: &rng))
    }

    func testNoiseCeiling() throws {
        let instruction = try lamp()
        let single = AnnotatorGroup(name: "one", annotators: [SimulatedAnnotator(name: "x", temperature: 0.1)])
        // Gold 1.0 vs 0.6 → p = σ(4) ≈ 0.982; identical → ½.
        let ceiling = single.noiseCeiling([(instruction, " pmal\n", " The answer is pmal.\n"),
                                           (instruction, " pmal\n", " pmal\n")])
        XCTAssertEqual(ceiling, (1 / (1 + exp(-4.0)) + 0.5) / 2, accuracy: 1e-9)
        let task = InstructionTaskTests.task
        let trainCeiling = try task.noiseCeiling(of: task.heldOutComparisons)
        XCTAssertGreaterThan(trainCeiling, 0.75)
        XCTAssertLessThan(trainCeiling, 1)
        // Labels agree with the annotators' own preferred side at about the ceiling rate.
        var agree = 0
        for record in task.heldOutComparisons {
            let instruction = try Instruction(prompt: record.prompt)
            if AnnotatorGroup.training.preferenceProbability(instruction, record.chosen, record.rejected) > 0.5 { agree += 1 }
        }
        let n = Double(task.heldOutComparisons.count)
        XCTAssertEqual(Double(agree) / n, trainCeiling, accuracy: 4 * sqrt(0.25 / n))
    }
}
