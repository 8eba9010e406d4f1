// RLP-SPG: clustering, the confidence threshold, the unanimous case, exact pair selection, and the built-in task's
// semantic equivalence.
import XCTest
import RLP
import Tasks
import TensorCore

final class SyntheticPreferenceTests: XCTestCase {
    func testClusteringIsGreedyInOrderOfFirstMembers() {
        let clusters = clusterResponses(["a", "b", "a", "c", "b", "a"]) { $0 == $1 }
        XCTAssertEqual(clusters, [[0, 2, 5], [1, 4], [3]])
    }

    func testPicksPairsExactlyAsSpecifiedOnAHandBuiltExample() throws {
        // 10 responses; "yes" variants form the largest cluster (6/10 = 0.6 ≥ 0.5).
        let responses = ["yes", "no", "yes!", "maybe", "yes", "no", "YES", "yes.", "nope", "yes"]
        let rewards: [Float] = [0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.0, 0.7, 0.4, 0.2]
        let group = PolicySampleGroup(prompt: "p", responses: responses)
        let equivalent: (String, String, String) -> Bool = { _, a, b in
            let norm = { (s: String) in s.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "!.")) }
            return norm(a) == norm(b)
        }
        var outsideSeen = Set<Int>()
        for seed in 0..<40 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let spg = try generateSyntheticPreferences([group], rewards: [rewards], threshold: 0.5, using: &rng, equivalent: equivalent)
            let decision = spg.decisions[0]
            XCTAssertEqual(decision.clusters, [[0, 2, 4, 6, 7, 9], [1, 5], [3], [8]])
            XCTAssertEqual(decision.largest, 0)
            XCTAssertEqual(decision.confidence, 0.6, accuracy: 1e-12)
            XCTAssertEqual(decision.outcome, .paired)
            // Highest reward in the cluster: 0.7 at index 4 and 7 — the first on ties.
            XCTAssertEqual(decision.chosen, 4)
            XCTAssertEqual(spg.pairs.count, 1)
            XCTAssertEqual(spg.pairs[0].chosen, "yes")
            XCTAssertEqual(spg.pairs[0].prompt, "p")
            let rejected = try XCTUnwrap(decision.rejected)
            XCTAssertTrue([1, 3, 5, 8].contains(rejected), "rejected is drawn outside the largest cluster")
            XCTAssertEqual(spg.pairs[0].rejected, responses[rejected])
            outsideSeen.insert(rejected)
        }
        XCTAssertEqual(outsideSeen, [1, 3, 5, 8], "every response outside the cluster can be drawn (uniform)")
    }

    func testSkipsPromptsBelowTheThresholdAndPromptsWhoseResponsesAllAgree() throws {
        let uncertain = PolicySampleGroup(prompt: "u", responses: ["a", "b", "c", "a", "d", "e", "f", "g", "a", "h"])   // 0.3
        let unanimous = PolicySampleGroup(prompt: "s", responses: Array(repeating: "x", count: 10))                      // 1.0
        let borderline = PolicySampleGroup(prompt: "b", responses: ["a", "a", "a", "a", "a", "b", "c", "b", "c", "d"])  // 0.5
        let groups = [uncertain, unanimous, borderline]
        let rewards = groups.map { $0.responses.map { _ in Float(0) } }
        var rng = SeededGenerator(seed: 0)
        let spg = try generateSyntheticPreferences(groups, rewards: rewards, threshold: 0.5, using: &rng) { _, a, b in a == b }
        XCTAssertEqual(spg.decisions.map(\.outcome), [.belowThreshold, .unanimous, .paired])
        XCTAssertEqual(spg.decisions[0].confidence, 0.3, accuracy: 1e-12)
        XCTAssertEqual(spg.pairs.map(\.prompt), ["b"], "confidence exactly γ is kept")
        XCTAssertEqual(spg.keptFraction, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(spg.belowThresholdFraction, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(spg.unanimousFraction, 1.0 / 3, accuracy: 1e-12)
        // γ = 0 ("Select-All") keeps the uncertain prompt too; ties in size go to the first cluster.
        var rng2 = SeededGenerator(seed: 0)
        let all = try generateSyntheticPreferences(groups, rewards: rewards, threshold: 0, using: &rng2) { _, a, b in a == b }
        XCTAssertEqual(all.pairs.map(\.prompt), ["u", "b"])
        XCTAssertEqual(all.pairs[0].chosen, "a")
    }

    func testRejectsMismatchedRewards() {
        var rng = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try generateSyntheticPreferences([PolicySampleGroup(prompt: "p", responses: ["a", "b"])], rewards: [[1]],
                                                              using: &rng) { _, a, b in a == b })
    }

    /// SPG sees no gold: with the equivalence of an instruction whose answer key is another word's, the clusters,
    /// the confidence test and the synthetic pairs are the same, and wrong answers cluster exactly as right ones.
    func testSyntheticPairsDoNotChangeWhenTheAnswerKeyIsCorrupted() throws {
        let right = try Instruction(family: .reverseWord, arguments: ["lamp"], phrasing: 0)
        let corrupted = try Instruction(family: .reverseWord, arguments: ["stone"], phrasing: 0)
        XCTAssertNotEqual(right.acceptedAnswers, corrupted.acceptedAnswers)
        let responses = [" pmal\n", " The answer is pmal.\n", " Sure! pmal\n", " pmla\n", " It is pmla.\n", " pmla!\n",
                         " Sure, it is lamp.\n", " lamp\n", " Pmal\n", " \n"]
        for a in responses {
            for b in responses { XCTAssertEqual(right.statesSameAnswer(a, b), corrupted.statesSameAnswer(a, b), "\(a) ~ \(b)") }
        }
        XCTAssertEqual(clusterResponses(responses, equivalent: right.statesSameAnswer).map { $0.count }, [3, 3, 2, 1, 1],
                       "the wrong answer pmla clusters as the right one does")
        let groups = [PolicySampleGroup(prompt: "p", responses: responses), PolicySampleGroup(prompt: "q", responses: Array(responses.reversed()))]
        let rewards = groups.map { $0.responses.indices.map { Float($0) * 0.1 } }
        var g1 = SeededGenerator(seed: 4), g2 = SeededGenerator(seed: 4)
        let withRight = try generateSyntheticPreferences(groups, rewards: rewards, threshold: 0.25, using: &g1) { _, a, b in right.statesSameAnswer(a, b) }
        let withCorrupted = try generateSyntheticPreferences(groups, rewards: rewards, threshold: 0.25, using: &g2) { _, a, b in corrupted.statesSameAnswer(a, b) }
        XCTAssertFalse(withRight.pairs.isEmpty)
        XCTAssertEqual(withRight.pairs, withCorrupted.pairs)
    }

    func testBuiltInTaskEquivalenceChecksTheStatedAnswer() throws {
        let instruction = try Instruction(family: .reverseWord, arguments: ["lamp"], phrasing: 0)
        XCTAssertTrue(instruction.statesSameAnswer(" pmal\n", " The answer is pmal.\n"))
        XCTAssertTrue(instruction.statesSameAnswer(" pmal\n", " Sure! pmal\n"))
        XCTAssertTrue(instruction.statesSameAnswer(" pmal\n", " pmal!\n"))
        XCTAssertFalse(instruction.statesSameAnswer(" pmal\n", " pmla\n"))
        XCTAssertTrue(instruction.statesSameAnswer(" pmla\n", " pmla.\n"), "wrong answers cluster by what they say")
        XCTAssertFalse(instruction.statesSameAnswer(" lamp\n", " pmla\n"))
        let capitalize = try Instruction(family: .capitalizeWord, arguments: ["lamp"], phrasing: 0)
        XCTAssertFalse(capitalize.statesSameAnswer(" LAMP\n", " lamp\n"), "letter case is part of the answer")
        let task = try InstructionTask(config: { var c = InstructionTaskConfig(); c.demonstrationCount = 8; c.comparisonCount = 8
            c.rankedCount = 4; c.rlPromptCount = 8; c.evaluationCount = 8; c.heldOutComparisonCount = 8; c.pretrainingCharacterCount = 2000; return c }())
        XCTAssertTrue(try task.statesSameAnswer(prompt: instruction.prompt, " pmal\n", " It is pmal.\n"))
    }
}
