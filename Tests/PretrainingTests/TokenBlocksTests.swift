// TokenBlocks: the EOS-joined stream, the held-out tail, random training blocks and fixed validation blocks.
import Foundation
import Pretraining
import TensorCore
import Tokenizers
import TrainingCore
import XCTest

final class TokenBlocksTests: XCTestCase {
    func testStreamJoinsDocumentsWithEndOfText() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        let blocks = try TokenBlocks(documents: ["ab", "", "c"], tokenizer: tokenizer, endOfText: 256, blockLength: 2,
                                     validationFraction: 0)
        XCTAssertEqual(blocks.tokens, [97, 98, 256, 99, 256])
        XCTAssertEqual(blocks.trainingCount, 5)
        XCTAssertEqual(blocks.validationCount, 0)
    }

    func testTrainingBlocksStayInTheHeadAndValidationBlocksAreFixed() throws {
        let blocks = try TokenBlocks(tokens: (0..<100).map(Int32.init), blockLength: 8, validationFraction: 0.3)
        XCTAssertEqual(blocks.trainingCount, 70)
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<20 {
            let batch = blocks.trainingBatch(batchSize: 4, using: &rng)
            XCTAssertEqual([batch.batchSize, batch.length], [4, 8])
            for row in 0..<4 {
                let ids = Array(batch.tokens[(row * 8)..<(row * 8 + 8)])
                XCTAssertEqual(ids, (ids[0]..<(ids[0] + 8)).map { $0 }, "a block is contiguous")
                XCTAssertLessThan(ids.last!, 70, "training blocks never reach the validation tail")
            }
        }
        let validation = blocks.validationBatches(maximumBlocks: 10, batchSize: 2)
        XCTAssertEqual(validation.map(\.batchSize), [2, 1])
        XCTAssertEqual(validation[0].tokens, (70..<86).map(Int32.init))
        XCTAssertEqual(validation, blocks.validationBatches(maximumBlocks: 10, batchSize: 2))
    }

    func testTooLittleTextSaysWhy() {
        XCTAssertThrowsError(try TokenBlocks(tokens: [1, 2, 3, 4, 5], blockLength: 4, validationFraction: 0.1)) { error in
            guard case TrainingError.emptyData(let what) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("shorter than one block of blockLength 4"), what)
        }
    }

    func testReadsTextAndJSONLDocuments() throws {
        let dir = try Fixture.temporaryDirectory(self)
        let text = dir.appendingPathComponent("a.txt"), jsonl = dir.appendingPathComponent("b.jsonl")
        try Data("one document\nwith two lines".utf8).write(to: text)
        try Data("{\"text\": \"first\"}\n{\"text\": \"second\"}\n".utf8).write(to: jsonl)
        XCTAssertEqual(try PretrainingText.documents(at: text), ["one document\nwith two lines"])
        XCTAssertEqual(try PretrainingText.documents(at: jsonl), ["first", "second"])
        XCTAssertThrowsError(try PretrainingText.documents(at: dir.appendingPathComponent("missing.txt")))
    }
}
