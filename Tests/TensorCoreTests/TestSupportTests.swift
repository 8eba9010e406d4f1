// The test helpers themselves: tolerant comparison and the gradient checker must catch what they claim to.
import TensorCore
import TestSupport
import XCTest

final class TestSupportTests: XCTestCase {
    func testWorstMismatch() {
        XCTAssertNil(worstMismatch([1, 2, 3], [1, 2, 3.000001], rtol: 1e-5, atol: 0))
        let worst = worstMismatch([1, 2, 3], [1.1, 2, 4], rtol: 0, atol: 0.01)
        XCTAssertEqual(worst?.index, 2)
        XCTAssertEqual(worst?.ratio ?? 0, 100, accuracy: 1e-4)
        XCTAssertNil(worstMismatch([.nan, .infinity], [.nan, .infinity], rtol: 0, atol: 0))
        XCTAssertEqual(worstMismatch([1, .nan], [1, 2], rtol: 1, atol: 1)?.index, 1)
        XCTAssertEqual(worstMismatch([.infinity], [-.infinity], rtol: 1, atol: 1)?.index, 0)
    }

    func testNumericGradientsOfKnownFunction() throws {
        // L = Σ rᵢ xᵢ³ → dL/dxᵢ = 3 rᵢ xᵢ².
        let x = Variable(Tensor(shape: [3], scalars: [0.5, -1, 2]), requiresGrad: true)
        let r = Tensor(shape: [3], scalars: [1, 2, -1])
        let g = try numericGradients(of: [x, Variable(r)], weights: r, epsilon: 1e-2) { $0[0] * $0[0] * $0[0] }
        XCTAssertEqual(g[1], [], "constants are not perturbed")
        for (i, expected) in [0.75, 6, -12].enumerated() { XCTAssertEqual(g[0][i], expected, accuracy: 1e-3) }
        XCTAssertEqual(x.value.scalars, [0.5, -1, 2], "inputs are restored")
    }

    func testGradientCheckerCatchesAWrongBackward() throws {
        // y = 2x recorded with a backward that claims dy/dx = 3.
        let x = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGrad: true, name: "x")
        let wrong = try compareGradients(of: [x]) { inputs in
            let input = inputs[0]
            return Variable.record(input.value * 2, parents: [input]) { g in input.accumulateGradient(g * 3) }
        }
        XCTAssertFalse(wrong.passed)
        XCTAssertEqual(wrong.checkedElements, 4)
        XCTAssertEqual(wrong.worstRelativeError, 1.0 / 3, accuracy: 1e-3)
        XCTAssertTrue(wrong.worstElement.hasPrefix("input 0 (x) ["), wrong.worstElement)
        let right = try compareGradients(of: [x]) { inputs in
            let input = inputs[0]
            return Variable.record(input.value * 2, parents: [input]) { g in input.accumulateGradient(g * 2) }
        }
        XCTAssertTrue(right.passed, right.description)
        XCTAssertEqual(right.worstRelativeError, 0)
    }

    func testWeightedLossCatchesAPerRowConstantError() throws {
        // A softmax backward that forgets the −Σ g·y term is still right for L = Σ y (g constant per row),
        // but the random weights R expose it.
        let x = Variable(Tensor(shape: [2, 3], scalars: [0.1, 0.5, -0.3, 1, 2, 0]), requiresGrad: true)
        let result = try compareGradients(of: [x]) { inputs in
            let input = inputs[0]
            let y = input.value.softmax()
            return Variable.record(y, parents: [input]) { g in input.accumulateGradient(g * y) }
        }
        XCTAssertFalse(result.passed)
    }

    func testRandomAwayFromZero() {
        var g = SeededGenerator(seed: 1)
        let t = Tensor.randomAwayFromZero([1000], low: 0.2, high: 1, using: &g)
        XCTAssertTrue(t.scalars.allSatisfy { Swift.abs($0) >= 0.2 && Swift.abs($0) <= 1 })
        XCTAssertTrue((400...600).contains(t.scalars.filter { $0 < 0 }.count))
    }
}
