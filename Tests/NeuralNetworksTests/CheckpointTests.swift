// Loading a module from a state dictionary or file: all-or-nothing validation and the round trip.
import Foundation
import NeuralNetworks
import TensorCore
import XCTest

/// Two linear layers and a layer norm: parameter names `first.weight`, `first.bias`, `norm.weight`, …
final class TinyModel: Module {
    let first: Linear
    let norm: LayerNorm
    let second: Linear

    init(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        first = Linear(inFeatures: 3, outFeatures: 4, using: &rng)
        norm = LayerNorm(dimension: 4)
        second = Linear(inFeatures: 4, outFeatures: 2, bias: false, using: &rng)
    }

    func namedParameters() -> [(String, Variable)] {
        prefixed("first", first) + prefixed("norm", norm) + prefixed("second", second)
    }
}

final class CheckpointTests: XCTestCase {
    func assertLoadThrows(_ model: TinyModel, _ state: [String: Tensor], strict: Bool = true, _ expected: CheckpointError,
                          file: StaticString = #filePath, line: UInt = #line) {
        let before = model.stateDictionary()
        XCTAssertThrowsError(try model.load(stateDictionary: state, strict: strict), file: file, line: line) { error in
            XCTAssertEqual(error as? CheckpointError, expected, file: file, line: line)
        }
        XCTAssertEqual(model.stateDictionary(), before, "a failed load must leave the model untouched", file: file, line: line)
    }

    func testLoadCopiesEveryParameter() throws {
        let source = TinyModel(seed: 1), target = TinyModel(seed: 2)
        XCTAssertNotEqual(source.stateDictionary(), target.stateDictionary())
        try target.load(stateDictionary: source.stateDictionary())
        XCTAssertEqual(source.stateDictionary(), target.stateDictionary())
    }

    func testMissingParameterLeavesModelUntouched() {
        var state = TinyModel(seed: 1).stateDictionary()
        state["norm.bias"] = nil
        assertLoadThrows(TinyModel(seed: 2), state, .missingParameter(name: "norm.bias"))
        assertLoadThrows(TinyModel(seed: 2), state, strict: false, .missingParameter(name: "norm.bias"))
    }

    func testUnexpectedParameterLeavesModelUntouched() throws {
        var state = TinyModel(seed: 1).stateDictionary()
        state["second.bias"] = Tensor(zeros: [2])
        assertLoadThrows(TinyModel(seed: 2), state, .unexpectedParameter(name: "second.bias"))

        let lenient = TinyModel(seed: 2)
        try lenient.load(stateDictionary: state, strict: false)
        XCTAssertEqual(lenient.first.weight.value, state["first.weight"])
    }

    func testShapeMismatchLeavesModelUntouched() {
        var state = TinyModel(seed: 1).stateDictionary()
        // The last parameter is wrong, so every earlier one would already have been assigned by a naive loader.
        state["second.weight"] = Tensor(zeros: [4, 2])
        assertLoadThrows(TinyModel(seed: 2), state, .shapeMismatch(name: "second.weight", expected: [2, 4], found: [4, 2]))
    }

    func testSaveAndLoadFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let source = TinyModel(seed: 1), target = TinyModel(seed: 2)
        try source.save(to: url, metadata: ["step": "5"])
        XCTAssertEqual(try Safetensors.readWithMetadata(contentsOf: url).metadata, ["step": "5"])
        try target.load(from: url)
        XCTAssertEqual(source.stateDictionary(), target.stateDictionary())
    }

    func testLoadFromMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        XCTAssertThrowsError(try TinyModel(seed: 1).load(from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .fileNotFound(path: "/nonexistent/model.safetensors"))
        }
    }

    func testLoadMessages() {
        XCTAssertEqual(CheckpointError.shapeMismatch(name: "second.weight", expected: [2, 4], found: [4, 2]).description,
                       "parameter 'second.weight' has shape [2, 4] in the model but [4, 2] in the checkpoint; build the model with the configuration the checkpoint was saved from")
        XCTAssertEqual(CheckpointError.missingParameter(name: "norm.bias").description,
                       "the checkpoint has no tensor for parameter 'norm.bias'; check that it was saved from the same model configuration")
        XCTAssertEqual(CheckpointError.unexpectedParameter(name: "second.bias").description,
                       "the checkpoint contains 'second.bias', which the model has no parameter for; check the model configuration, or load with strict: false to ignore extra tensors")
    }
}
