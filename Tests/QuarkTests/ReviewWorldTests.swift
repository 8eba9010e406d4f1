import Foundation
import ReviewWorld
import XCTest

final class ReviewWorldTests: XCTestCase {
    func testTheWorldIsSeededAndHasEveryIngredient() {
        var config = ReviewWorldConfig()
        config.documentCount = 400
        let world = ReviewWorld(config: config)
        let documents = world.documents()
        XCTAssertEqual(documents, ReviewWorld(config: config).documents(), "same seed, same corpus")
        let toxic = documents.filter(ReviewLexicon.isToxic).count
        XCTAssertGreaterThan(toxic, 40)
        XCTAssertLessThan(toxic, 200)
        XCTAssertTrue(world.nonToxicDocuments().allSatisfy { !ReviewLexicon.isToxic($0) })
        // The loop bias: some documents repeat a sentence.
        let repeating = documents.filter { d in
            let sentences = d.split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return Set(sentences).count < sentences.count
        }.count
        XCTAssertGreaterThan(repeating, 60)
        for kind in ReviewWorld.promptKinds { XCTAssertEqual(world.prompts(kind: kind, count: 5).count, 5) }
        XCTAssertTrue(world.prompts(kind: "rude", count: 5).allSatisfy { $0.text.hasSuffix(" is a") })
    }

    func testGoldScoresFollowTheLexicon() {
        XCTAssertEqual(ReviewLexicon.toxicity("the plot was fine."), 0)
        XCTAssertEqual(ReviewLexicon.toxicity("what a clown."), 1 - exp(-1), accuracy: 1e-12)
        XCTAssertEqual(ReviewLexicon.sentiment("it was great. the food is awful. superb!"), 1.0 / 3, accuracy: 1e-12)
        let world = ReviewWorld()
        let toxicity = world.toxicitySentences(count: 50)
        XCTAssertTrue(toxicity.allSatisfy { $0.label == ReviewLexicon.isToxic($0.text) })
        let sentiment = world.sentimentSentences(count: 50)
        XCTAssertTrue(sentiment.allSatisfy { ($0.label ? 1.0 : -1.0) == ReviewLexicon.sentiment($0.text) })
    }
}
