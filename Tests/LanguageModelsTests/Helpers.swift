// Shared helpers for the language-model tests: a tiny seeded model and tolerant comparisons.
import LanguageModels
import TensorCore
import XCTest

let tinyConfig = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 16, contextLength: 32, vocabularySize: 40)

/// A tiny GPT with weights larger than GPT-2's init, so that logits differ visibly between tokens.
func makeTinyModel(seed: UInt64 = 1, config: GPTConfig = tinyConfig, scale: Float = 5) -> GPT {
    var rng = SeededGenerator(seed: seed)
    let model = try! GPT(config: config, using: &rng)
    for (name, p) in model.namedParameters() where !name.hasSuffix("Norm.weight") {
        if name.hasSuffix(".bias") {
            p.value = Tensor.randomNormal(p.shape, standardDeviation: 0.05, using: &rng)
        } else {
            p.value = p.value * scale
        }
    }
    return model
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count \(message)", file: file, line: line)
    var worst: Float = 0, at = -1
    for i in 0..<min(a.count, b.count) {
        let d = abs(a[i] - b[i])
        if !(d <= worst) { worst = d; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "max difference \(worst) at \(at): \(at >= 0 ? "\(a[at]) vs \(b[at])" : "") \(message)",
                             file: file, line: line)
}

func assertThrows<E: Error & Equatable>(_ expected: E, _ message: String? = nil, file: StaticString = #filePath, line: UInt = #line,
                                        _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected \(expected) to be thrown", file: file, line: line)
    } catch let error as E {
        XCTAssertEqual(error, expected, file: file, line: line)
        if let message { XCTAssertEqual("\(error)", message, file: file, line: line) }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
