// Helpers for the tests that make a trainer's loss NaN on purpose: poison a parameter, then check that the run
// stopped naming the step and that its newest checkpoint is the last good one (complete, finite, no temporary
// folder beside it).
import Foundation
import TensorCore
import XCTest

/// Sets every element of `parameter` to NaN, so the next forward pass through it gives a NaN loss.
public func poisonWithNaN(_ parameter: Variable) {
    parameter.value = Tensor(shape: parameter.value.shape, repeating: .nan)
}

/// Checks that `directory`'s newest checkpoint is `step-NNNNNN` of `step`, that no temporary (`.partial-*`)
/// folder is left, and that every tensor of every `.safetensors` file in it is finite.
public func assertLastGoodCheckpoint(in directory: URL, step: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    XCTAssertFalse(names.contains { $0.hasPrefix(".") }, "no temporary folder is left: \(names)", file: file, line: line)
    let latest = String(format: "step-%06d", step)
    XCTAssertEqual(names.filter { $0.hasPrefix("step-") }.last, latest, "the newest checkpoint", file: file, line: line)
    let folder = directory.appendingPathComponent(latest)
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".safetensors") }
    XCTAssertFalse(files.isEmpty, "\(latest) holds tensors", file: file, line: line)
    for name in files {
        for (tensor, value) in try Safetensors.read(contentsOf: folder.appendingPathComponent(name)) {
            XCTAssertTrue(value.scalars.allSatisfy(\.isFinite), "\(latest)/\(name): \(tensor) is not finite", file: file, line: line)
        }
    }
}
