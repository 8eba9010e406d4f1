// The instruction task's judges: perfect completions score gold 1, judges agree on references they share, and a
// prompt without a reference is an error that names it.
import XCTest
import Evaluation
import Tasks

final class JudgeTests: XCTestCase {
    static let task: InstructionTask = {
        var config = InstructionTaskConfig()
        (config.demonstrationCount, config.comparisonCount, config.rankedCount) = (16, 8, 1)
        (config.rlPromptCount, config.evaluationCount, config.heldOutComparisonCount) = (8, 24, 8)
        config.pretrainingCharacterCount = 1_000
        return try! InstructionTask(config: config)
    }()

    func testPerfectCompletionsScoreGoldOneWithATightInterval() throws {
        let task = Self.task
        let prompts = task.evaluation.map(\.prompt)
        let perfect = task.splits.evaluation.map(\.referenceCompletion)
        var bootstrap = SplitMix64(seed: 0)
        let score = try scoreCompletions(prompts: prompts, completions: perfect, judge: InstructionTaskJudge(task: task),
                                         resamples: 100, using: &bootstrap)
        XCTAssertEqual(score.goldScores, Array(repeating: 1, count: prompts.count))
        XCTAssertEqual(score.gold.estimate, 1)
        XCTAssertEqual(score.winCredits.count, prompts.count)
        XCTAssertTrue(score.winRate.lower <= score.winRate.estimate && score.winRate.estimate <= score.winRate.upper)
    }

    func testTheReferenceJudgeGivesTheSameGoldAndNamesAMissingReference() throws {
        let task = Self.task
        let prompts = task.evaluation.map(\.prompt)
        let completions = prompts.indices.map { $0.isMultiple(of: 2) ? " no\n" : task.splits.evaluation[$0].referenceCompletion }
        let references = Dictionary(task.evaluation.map { ($0.prompt, $0.completion) }) { a, _ in a }
        XCTAssertTrue(InstructionReferenceJudge.recognizes(prompts))
        XCTAssertFalse(InstructionReferenceJudge.recognizes(["Tell me a story."]))
        let byTask = try InstructionTaskJudge(task: task).judge(prompts: prompts, completions: completions)
        let byReference = try InstructionReferenceJudge(references: references).judge(prompts: prompts, completions: completions)
        XCTAssertEqual(byReference.gold, byTask.gold)

        XCTAssertThrowsError(try InstructionReferenceJudge(references: [:]).judge(prompts: [prompts[0]], completions: [" no\n"])) { error in
            XCTAssertEqual(error as? TaskError, .missingReference(prompt: prompts[0]))
            XCTAssertTrue("\(error)".hasPrefix("no reference completion for prompt "), "\(error)")
        }
    }
}
