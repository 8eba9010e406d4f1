// loadModelDirectory on a Hugging Face GPT-2 layout and on our own run output, and its errors.
import Foundation
import LanguageModels
import Pretraining
import Tokenizers
import XCTest

final class ModelDirectoryTests: XCTestCase {
    func testLoadsAHuggingFaceDirectoryAsItComes() throws {
        let directory = try Fixture.huggingFaceDirectory(self)
        let (model, tokenizer) = try loadModelDirectory(directory)
        XCTAssertEqual(model.config.vocabularySize, 64)
        XCTAssertEqual(model.config.contextLength, 32)
        XCTAssertEqual(tokenizer.id(forSpecialToken: "<|endoftext|>"), 63)
        XCTAssertEqual(try tokenizer.encode("abc.9"), [0, 1, 2, 62, 61])
    }

    func testMissingFilesAreNamedWithAFix() throws {
        let directory = try Fixture.huggingFaceDirectory(self)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("vocab.json"))
        XCTAssertThrowsError(try loadModelDirectory(directory)) { error in
            guard case ModelDirectoryError.missingFile(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("tokenizer.json"))
            XCTAssertTrue("\(error)".contains("copy tokenizer.json, or vocab.json and merges.txt"), "\(error)")
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try loadModelDirectory(directory)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors is missing"), "\(error)")
        }
        XCTAssertThrowsError(try loadModelDirectory(directory.appendingPathComponent("nope"))) { error in
            XCTAssertEqual(error as? ModelDirectoryError, .notADirectory(path: directory.appendingPathComponent("nope").path))
        }
    }

    func testTokenizerLargerThanTheModelIsRejected() throws {
        let directory = try Fixture.huggingFaceDirectory(self)
        try ByteTokenizer(specialTokens: ["<|endoftext|>"]).save(to: directory)  // tokenizer.json wins over vocab.json
        XCTAssertThrowsError(try loadModelDirectory(directory)) { error in
            XCTAssertEqual(error as? ModelDirectoryError, .vocabularyMismatch(path: directory.path, tokenizerSize: 257, modelSize: 64))
        }
    }
}
