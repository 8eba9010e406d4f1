// PretrainingConfig: defaults, partial JSON, the tokenizer field, and validation messages.
import Foundation
import Pretraining
import TrainingCore
import XCTest

final class PretrainingConfigTests: XCTestCase {
    func testDefaultsValidateAndPartialJSONKeepsDefaults() throws {
        XCTAssertNoThrow(try PretrainingConfig().validate())
        let decoded = try JSONDecoder().decode(PretrainingConfig.self, from: Data(#"{"steps": 7, "tokenizer": "bpe:512"}"#.utf8))
        var expected = PretrainingConfig()
        expected.steps = 7
        expected.tokenizer = "bpe:512"
        XCTAssertEqual(decoded, expected)
        XCTAssertEqual(try decoded.tokenizerChoice(), .trainedBPE(vocabularySize: 512))
        let roundTrip = try JSONDecoder().decode(PretrainingConfig.self, from: JSONEncoder().encode(decoded))
        XCTAssertEqual(roundTrip, decoded)
    }

    func testTokenizerChoices() throws {
        var c = PretrainingConfig()
        XCTAssertEqual(try c.tokenizerChoice(), .byte)
        c.tokenizer = "Vocabularies/GPT2"
        XCTAssertEqual(try c.tokenizerChoice(), .directory("Vocabularies/GPT2"))
        c.tokenizer = "bpe:lots"
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual((error as? ConfigurationError)?.field, "tokenizer")
            XCTAssertTrue("\(error)".contains("bpe:N needs a whole number N ≥ 258"), "\(error)")
        }
    }

    func testValidationNamesFieldValueAndFix() {
        func message(_ edit: (inout PretrainingConfig) -> Void) -> String {
            var c = PretrainingConfig()
            edit(&c)
            do { try c.validate(); return "valid" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { $0.blockLength = 256 },
                       "`blockLength` is 256, but it must not exceed contextLength (128); lower blockLength or raise contextLength")
        XCTAssertEqual(message { $0.headCount = 3 },
                       "`headCount` is 3, but it must divide embeddingSize (128); choose one of 8, 16, 32, 64")
        XCTAssertEqual(message { $0.validationFraction = 0.9 },
                       "`validationFraction` is 0.9, but it must be in [0, 0.5] (0 turns validation off), e.g. 0.1")
        XCTAssertEqual(message { $0.sampleLength = 128 },
                       "`sampleLength` is 128, but it must be in 1..<contextLength (128) because the prompt takes one position")
        XCTAssertEqual(message { $0.learningRate = 0 }, "`learningRate` is 0.0, but it must be positive and finite, e.g. 1e-3")
    }
}
