// Tests of the built-in instruction task: formats, splits, parsing, determinism and the written JSONL files.
import XCTest
import Evaluation
import Tasks
import TrainingData

final class InstructionTaskTests: XCTestCase {
    static let task: InstructionTask = {
        var config = InstructionTaskConfig()
        config.seed = 11
        config.demonstrationCount = 600
        config.comparisonCount = 400
        config.rankedCount = 100
        config.rlPromptCount = 300
        config.evaluationCount = 150
        config.heldOutComparisonCount = 300
        config.pretrainingCharacterCount = 20_000
        return try! InstructionTask(config: config)
    }()

    var task: InstructionTask { Self.task }

    func testPromptsAndAnswersAreShortAndWellFormed() {
        let all = task.splits.demonstration + task.splits.comparison + task.splits.reinforcement + task.splits.evaluation
        for instruction in all {
            XCTAssertLessThanOrEqual(instruction.prompt.count, 60, instruction.prompt)
            XCTAssertLessThanOrEqual(instruction.answer.count, 20, instruction.prompt)
            XCTAssertTrue(instruction.prompt.hasPrefix("Q: ") && instruction.prompt.hasSuffix("\nA:"))
            XCTAssertEqual(instruction.referenceCompletion, " " + instruction.answer + "\n")
        }
        XCTAssertEqual(Set(task.splits.evaluation.map(\.family)).count, InstructionFamily.allCases.count)
    }

    func testSplitsAreDisjointByInstance() {
        let keys = [task.splits.demonstration, task.splits.comparison, task.splits.reinforcement,
                    task.splits.evaluation].map { Set($0.map(\.instanceKey)) }
        for i in 0..<4 {
            for j in (i + 1)..<4 {
                XCTAssertTrue(keys[i].isDisjoint(with: keys[j]), "splits \(i) and \(j) share instances")
            }
        }
        XCTAssertEqual(task.demonstrations.count, 600)
        XCTAssertEqual(task.comparisons.count, 400)
        XCTAssertEqual(task.rankedComparisons.count, 100)
        XCTAssertEqual(task.rlPrompts.count, 300)
        XCTAssertEqual(task.evaluation.count, 150)
        XCTAssertTrue(task.rankedComparisons.allSatisfy { Set($0.completions).count == 4 })
    }

    func testEveryPhrasingParsesBack() throws {
        let all = task.splits.demonstration + task.splits.comparison + task.splits.reinforcement + task.splits.evaluation
        for family in InstructionFamily.allCases {
            let instances = all.filter { $0.family == family }
            XCTAssertFalse(instances.isEmpty, "\(family)")
            for phrasing in family.phrasings.indices {
                for base in instances.prefix(30) {
                    guard let instruction = try? Instruction(family: family, arguments: base.arguments,
                                                             phrasing: phrasing) else { continue }
                    XCTAssertEqual(try Instruction(prompt: instruction.prompt), instruction)
                    XCTAssertEqual(try Instruction(prompt: instruction.text), instruction)
                }
            }
        }
        let made = try Instruction(family: .repeatPhrase, arguments: ["go on", "twice"], phrasing: 2)
        XCTAssertEqual(made.prompt, "Q: Write 'go on' twice.\nA:")
        XCTAssertEqual(made.answer, "go on go on")
        XCTAssertEqual(try Instruction(prompt: made.prompt), made)
        let sorted = try Instruction(prompt: "Q: Put 12, 3, 7 in increasing order.\nA:")
        XCTAssertEqual(sorted.answer, "3, 7, 12")
        let named = try Instruction(prompt: "Q: Name one fruit that starts with p.\nA:")
        XCTAssertEqual(named.acceptedAnswers, ["pear", "plum", "peach"])
    }

    func testUnrecognizedPromptsThrow() {
        XCTAssertThrowsError(try Instruction(prompt: "Q: Tell me a joke.\nA:")) {
            XCTAssertEqual($0 as? TaskError, .unrecognizedPrompt("Q: Tell me a joke.\nA:"))
            XCTAssertTrue("\($0)".contains("is not an instruction of the built-in task"))
        }
        XCTAssertThrowsError(try Instruction(prompt: "Q: What is the opposite of table?\nA:"))
        XCTAssertThrowsError(try task.score(prompt: "hello", completion: " x\n"))
        XCTAssertThrowsError(try Instruction(family: .addNumbers, arguments: ["x", "1"], phrasing: 0)) {
            XCTAssertEqual($0 as? TaskError, .invalidArguments(family: "addNumbers", arguments: ["x", "1"]))
        }
    }

    func testGenerationIsSeeded() throws {
        var config = task.config
        let again = try InstructionTask(config: config)
        XCTAssertEqual(again.demonstrations, task.demonstrations)
        XCTAssertEqual(again.comparisons, task.comparisons)
        XCTAssertEqual(again.pretrainingCorpus(), task.pretrainingCorpus())
        config.seed = 12
        let other = try InstructionTask(config: config)
        XCTAssertNotEqual(other.demonstrations, task.demonstrations)
    }

    func testInvalidConfiguration() {
        var config = InstructionTaskConfig()
        config.rankSize = 1
        XCTAssertThrowsError(try InstructionTask(config: config)) {
            XCTAssertEqual($0 as? TaskError, .invalid(.invalidValue(
                field: "rankSize", value: "1", requirement: "it must be in 2...9 (InstructGPT ranked 4 to 9 outputs)")))
        }
    }

    func testDemonstrationsAreGoodButImperfect() throws {
        let scores = try task.demonstrations.map { try task.score(prompt: $0.prompt, completion: $0.completion) }
        let mean = scores.reduce(0, +) / Double(scores.count)
        let perfect = Double(scores.filter { $0 == 1 }.count) / Double(scores.count)
        XCTAssertGreaterThan(mean, 0.75)
        XCTAssertLessThan(mean, 0.95)
        XCTAssertEqual(perfect, 0.70, accuracy: 0.06)
    }

    func testPretrainingCorpus() {
        let corpus = task.pretrainingCorpus()
        let characters = corpus.reduce(0) { $0 + $1.text.count }
        XCTAssertGreaterThanOrEqual(characters + corpus.count, 20_000)
        XCTAssertLessThan(characters, 21_000)
        XCTAssertFalse(corpus.contains { $0.text.contains("Q:") || $0.text.contains("A:") })
        XCTAssertTrue(corpus.contains { $0.text.contains(" is a fruit.") })
    }

    /// A further draw is new text from the same distribution (PPO-ptx's mix), seeded, of the size asked.
    func testFurtherPretrainingDrawsAreNewDocumentsFromTheSameTemplates() {
        let corpus = task.pretrainingCorpus()
        let draw = task.pretrainingCorpus(draw: 1, characters: 10_000)
        XCTAssertEqual(draw, task.pretrainingCorpus(draw: 1, characters: 10_000))
        XCTAssertEqual(Double(draw.reduce(0) { $0 + $1.text.count + 1 }), 10_000, accuracy: 300)
        let seen = Set(corpus.map(\.text))
        XCTAssertLessThan(draw.filter { seen.contains($0.text) }.count, draw.count / 20)
        XCTAssertNotEqual(task.pretrainingCorpus(draw: 2, characters: 10_000), draw)
        XCTAssertTrue(draw.contains { $0.text.contains(" is a fruit.") })
    }

    func testWrittenSplitsRoundTripAndScore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let urls = try task.writeSplits(to: directory)
        XCTAssertEqual(urls.map(\.lastPathComponent), InstructionTask.splitFiles.map(\.name))
        let reader = JSONLReader(maximumLength: 128)
        let url = { (name: String) in directory.appendingPathComponent(name) }
        XCTAssertEqual(try reader.read(PromptCompletionRecord.self, from: url("sft.jsonl")).records, task.demonstrations)
        XCTAssertEqual(try reader.read(PreferenceRecord.self, from: url("comparisons.jsonl")).records, task.comparisons)
        XCTAssertEqual(try reader.read(RankedRecord.self, from: url("ranked.jsonl")).records, task.rankedComparisons)
        XCTAssertEqual(try reader.read(PromptRecord.self, from: url("prompts.jsonl")).records, task.rlPrompts)
        let evaluation = try reader.read(PromptCompletionRecord.self, from: url("eval.jsonl")).records
        XCTAssertEqual(evaluation, task.evaluation)
        XCTAssertEqual(try reader.read(PreferenceRecord.self, from: url("eval_comparisons_heldout.jsonl")).records,
                       task.heldOutComparisonsByHeldOutGroup)
        XCTAssertEqual(try reader.read(UnpairedPreferenceRecord.self, from: url("unpaired.jsonl")).records.count,
                       2 * task.comparisons.count)
        XCTAssertEqual(try JSONLReader().read(LanguageModelingRecord.self, from: url("pretrain.jsonl")).records,
                       task.pretrainingCorpus())
        let readme = try String(contentsOf: url("README.md"), encoding: .utf8)
        for (name, _) in InstructionTask.splitFiles where name != "README.md" {
            XCTAssertTrue(readme.contains("`\(name)`"), name)
        }
        // The gold score works on prompts read back from the files: the reference completions score as the
        // reference system's own outputs do.
        for record in evaluation {
            let instruction = try Instruction(prompt: record.prompt)
            XCTAssertEqual(try task.score(prompt: record.prompt, completion: record.completion),
                           instruction.goldScore(completion: task.referenceSystem.completion(for: instruction)))
            XCTAssertEqual(try task.score(prompt: record.prompt, completion: instruction.referenceCompletion), 1)
        }
    }

    func testReferenceSystemAccuracyAndSelfWinRate() throws {
        let prompts = task.evaluation.map(\.prompt)
        let references = task.evaluation.map(\.completion)
        var rng = SplitMix64(seed: 5)
        XCTAssertEqual(try task.winRate(prompts: prompts, outputs: references, using: &rng), 0.5)
        XCTAssertEqual(try task.winRate(prompts: prompts, outputs: references, judge: .heldOut, using: &rng), 0.5)
        let credits = try task.expectedWinCredits(prompts: prompts, outputs: references)
        XCTAssertEqual(credits.reduce(0, +) / Double(credits.count), 0.5)
        // Perfect answers beat the 60 %-correct reference.
        let perfect = task.splits.evaluation.map(\.referenceCompletion)
        XCTAssertGreaterThan(try task.winRate(prompts: prompts, outputs: perfect, using: &rng), 0.6)
        // Over many prompts the reference is exactly right about 60 % of the time.
        let many = task.splits.demonstration + task.splits.comparison
        let exact = many.filter { $0.goldScore(completion: task.referenceSystem.completion(for: $0)) == 1 }.count
        XCTAssertEqual(Double(exact) / Double(many.count), 0.6, accuracy: 0.05)
        // Deterministic per prompt.
        XCTAssertEqual(try task.referenceSystem.completion(prompt: prompts[0]), references[0])
    }

    func testScoresAPIShape() throws {
        let prompts = Array(task.evaluation.prefix(3).map(\.prompt))
        let perfect = try prompts.map { try Instruction(prompt: $0).referenceCompletion }
        XCTAssertEqual(try task.scores(prompts: prompts, completions: perfect), [1, 1, 1])
        XCTAssertThrowsError(try task.scores(prompts: prompts, completions: [])) {
            XCTAssertEqual($0 as? TaskError, .lengthMismatch(expected: 3, found: 0))
        }
    }
}
