// The commonsense world: seeded, consistent questions, statements that parse back, silver knowledge mixtures.
import CommonsenseWorld
import Foundation
import XCTest

final class CommonsenseWorldTests: XCTestCase {
    func testTheWorldIsSeededAndItsQuestionsAreConsistent() throws {
        let world = try CommonsenseWorld()
        let again = try CommonsenseWorld()
        XCTAssertEqual(world.facts, again.facts)
        XCTAssertEqual(world.questions(.test), again.questions(.test))
        XCTAssertNotEqual(world.facts, try CommonsenseWorld(config: { var c = CommonsenseWorldConfig(); c.seed = 9; return c }()).facts)
        XCTAssertEqual(world.facts.count, 240)           // 48 animals × 2 + 48 tools + 48 foods × 2
        XCTAssertEqual(world.knownFacts.count, 77)       // 40 % of the 192 facts of asked relations
        XCTAssertEqual(world.testEntities.count, 72)     // half of every category
        XCTAssertTrue(world.trainingEntities.isDisjoint(with: world.testEntities))
        let training = world.questions(.training)
        XCTAssertEqual(training.count, 96 * 4)           // 24 training animals × 2 + 24 tools + 24 foods, 4 variants
        XCTAssertTrue(training.allSatisfy { world.family($0.family)!.isSeen && world.trainingEntities.contains($0.entity) })
        XCTAssertFalse(training.contains { $0.relation == "colour" }, "colour is never asked in training")
        let test = world.questions(.test)
        XCTAssertEqual(Set(test.map(\.family)).count, 6)
        XCTAssertTrue(test.allSatisfy { world.isTestEntity($0.entity) })
        for family in world.families {
            XCTAssertGreaterThanOrEqual(test.filter { $0.family == family.name }.count, 100, family.name)
        }
        for q in training + test {
            XCTAssertEqual(q.choices.count, 4)
            XCTAssertEqual(Set(q.choices).count, 4)
            XCTAssertEqual(q.choices[q.answer], world.value(entity: q.entity, relation: q.relation))
            let statement = world.trueStatement(for: q)
            XCTAssertTrue(world.judge(statement, for: q) == (true, true))
        }
        let q = training[0]
        XCTAssertTrue(q.text.hasPrefix(q.stem + " \\n (A) "), q.text)
        XCTAssertNil(world.parse("the fox is made of wood."))
        XCTAssertThrowsError(try CommonsenseWorld(config: { var c = CommonsenseWorldConfig(); c.choiceCount = 9; return c }()))
    }

    func testSilverKnowledgeMixesTrueWrongAndIrrelevantStatements() throws {
        var config = CommonsenseWorldConfig()
        config.misbeliefFraction = 0
        let world = try CommonsenseWorld(config: config)
        var rng = SplitMixForTests(seed: 1)
        var counts = (correct: 0, wrong: 0, irrelevant: 0)
        let questions = world.questions(.training)
        for q in questions {
            for k in world.silverKnowledge(for: q, count: 5, using: &rng) {
                let judged = world.judge(k, for: q)
                XCTAssertNotNil(world.parse(k))
                if judged.isRelevant { if judged.isTrue { counts.correct += 1 } else { counts.wrong += 1 } } else { counts.irrelevant += 1 }
            }
        }
        let n = Double(questions.count * 5)
        let message = "correct \(counts.correct), wrong \(counts.wrong), irrelevant \(counts.irrelevant) of \(n)"
        XCTAssertEqual(Double(counts.correct) / n, 0.5, accuracy: 0.06, message)
        XCTAssertEqual(Double(counts.wrong) / n, 0.25, accuracy: 0.06, message)
        XCTAssertEqual(Double(counts.irrelevant) / n, 0.25, accuracy: 0.06, message)
        // Misbeliefs: for those facts, the believed wrong value takes the true statement's share.
        let believing = try CommonsenseWorld()
        XCTAssertEqual(believing.misbeliefs.count, 72)   // 30 % of 240
        var believed = 0, stated = 0
        for q in believing.questions(.training) {
            guard let fact = believing.parse(believing.trueStatement(for: q)), let belief = believing.misbeliefs[fact] else { continue }
            XCTAssertNotEqual(belief, fact.value)
            for k in believing.silverKnowledge(for: q, count: 10, using: &rng) {
                stated += 1
                if believing.parse(k)?.value == belief && believing.parse(k)?.entity == q.entity { believed += 1 }
            }
        }
        XCTAssertEqual(Double(believed) / Double(stated), 0.5, accuracy: 0.06)
        // Reading lessons: the question alone only for known facts; known facts are answered by the truth, unknown
        // ones by the stated value; scrambled stems only for unknown facts.
        let lessons = world.readingExamples(for: questions, scrambledStemFraction: 0.5, using: &rng)
        var scrambled = 0
        for lesson in lessons {
            let known = world.isKnown(lesson.question)
            if lesson.knowledge == nil { XCTAssertTrue(known) }
            if known { XCTAssertEqual(lesson.target, lesson.question.answer) }
            if !known, let k = lesson.knowledge, let fact = world.parse(k) {
                XCTAssertEqual(lesson.question.choices[lesson.target], fact.value)
            }
            if world.family(lesson.question.family)!.stem(entity: lesson.question.entity) != lesson.question.stem {
                scrambled += 1
                XCTAssertFalse(known)
                XCTAssertTrue(lesson.question.stem.contains(lesson.question.entity))
            }
        }
        let unknown = questions.filter { !world.isKnown($0) }.count
        XCTAssertEqual(Double(scrambled) / Double(unknown), 0.5, accuracy: 0.1)
    }

    /// Where knowledge lives and where supervision happens are apart: nothing the training side produces (silver
    /// statements, reading lessons) names a test entity, the QA model's memory lessons are questions alone about
    /// known test facts, and the pretraining corpus states every fact and asks nothing.
    func testSupervisionNeverNamesATestEntityWhileThePretrainingCorpusStatesEveryFact() throws {
        let world = try CommonsenseWorld()
        var rng = SplitMixForTests(seed: 3)
        let training = world.questions(.training)
        func names(_ text: String) -> Set<String> {
            Set(text.split { !$0.isLetter }.map(String.init)).intersection(world.testEntities)
        }
        for q in training {
            XCTAssertTrue(names(q.text).isEmpty, q.text)
            for k in world.silverKnowledge(for: q, count: 5, using: &rng) { XCTAssertTrue(names(k).isEmpty, k) }
        }
        for lesson in world.readingExamples(for: training, scrambledStemFraction: 0.5, using: &rng) {
            XCTAssertTrue(names(lesson.question.text + " " + (lesson.knowledge ?? "")).isEmpty, lesson.question.text)
        }
        let memory = world.memoryLessons(variants: 2, using: &rng)
        XCTAssertFalse(memory.isEmpty)
        for lesson in memory {
            XCTAssertNil(lesson.knowledge)
            XCTAssertTrue(world.isTestEntity(lesson.question.entity) && world.isKnown(lesson.question))
            XCTAssertEqual(lesson.target, lesson.question.answer)
        }
        let documents = world.pretrainingDocuments(repeats: 2, using: &rng)
        XCTAssertEqual(documents.count, 2 * world.entities.count / 3)
        let text = documents.joined(separator: " ")
        for fact in world.facts {
            XCTAssertTrue(text.contains(world.relation(fact.relation)!.statement(entity: fact.entity, value: fact.value)), "\(fact)")
        }
        XCTAssertFalse(text.contains("?"), "the pretraining corpus asks nothing")
    }
}
