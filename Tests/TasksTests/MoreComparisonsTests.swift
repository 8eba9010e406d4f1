// Tests of the extra comparisons on the comparison split and of the pretraining drills.
import XCTest
import Tasks
import TrainingData

final class MoreComparisonsTests: XCTestCase {
    static let task: InstructionTask = {
        var config = InstructionTaskConfig()
        config.seed = 3
        (config.demonstrationCount, config.comparisonCount, config.rankedCount) = (100, 100, 20)
        (config.rlPromptCount, config.evaluationCount, config.heldOutComparisonCount) = (50, 50, 60)
        config.pretrainingCharacterCount = 5_000
        return try! InstructionTask(config: config)
    }()

    func testMoreComparisonsStayOnTheComparisonSplitAndAreDeterministic() throws {
        let task = Self.task
        let more = task.moreComparisons(count: 500)
        XCTAssertEqual(more.count, 500)
        XCTAssertEqual(more, task.moreComparisons(count: 500))
        XCTAssertNotEqual(more, task.moreComparisons(count: 500, stream: 1))
        let comparisonPrompts = Set(task.splits.comparison.map(\.prompt))
        let evaluationKeys = Set(task.splits.evaluation.map(\.instanceKey))
        for record in more {
            XCTAssertTrue(comparisonPrompts.contains(record.prompt))
            XCTAssertFalse(evaluationKeys.contains(try Instruction(prompt: record.prompt).instanceKey))
            XCTAssertNotEqual(record.chosen, record.rejected)
        }
        // The training annotators prefer the better completion most of the time, as on the task's own comparisons.
        let better = try more.filter {
            try task.score(prompt: $0.prompt, completion: $0.chosen) >= task.score(prompt: $0.prompt, completion: $0.rejected)
        }
        XCTAssertGreaterThan(Double(better.count) / Double(more.count), 0.75)
    }

    func testMoreRankedComparisons() throws {
        let ranked = try Self.task.moreRankedComparisons(count: 30, rankSize: 5)
        XCTAssertEqual(ranked.count, 30)
        XCTAssertTrue(ranked.allSatisfy { $0.completions.count == 5 })
        XCTAssertThrowsError(try Self.task.moreRankedComparisons(count: 1, rankSize: 10))
    }

    func testDrillsLeaveTheDefaultCorpusAloneAndNameNoInstance() throws {
        var config = Self.task.config
        XCTAssertEqual(config.pretrainingDrillFraction, 0)
        config.pretrainingDrillFraction = 0.5
        let drilled = try InstructionTask(config: config)
        XCTAssertEqual(drilled.heldOutComparisons, Self.task.heldOutComparisons)
        let text = drilled.pretrainingCorpus().map(\.text).joined(separator: " ")
        XCTAssertTrue(text.contains(" backwards is ") && text.contains("the first letter of ") && text.contains("the larger of "))
        XCTAssertFalse(text.contains("Q:") || text.contains("A:"))
        config.pretrainingDrillFraction = 1.5
        XCTAssertThrowsError(try InstructionTask(config: config))
    }
}
