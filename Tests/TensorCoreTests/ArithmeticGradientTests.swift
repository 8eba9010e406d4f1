// Elementwise Variable ops: hand-checked values and finite-difference gradient checks, including broadcasting
// in both directions, rank-0 and Float scalar operands, and ops with kinks evaluated away from the kink.
import TensorCore
import TestSupport
import XCTest

final class ArithmeticGradientTests: XCTestCase {
    var rng = SeededGenerator(seed: 11)

    func variable(_ shape: [Int], low: Float = -1, high: Float = 1) -> Variable {
        Variable(Tensor.randomUniform(shape, low: low, high: high, using: &rng), requiresGrad: true)
    }

    // MARK: - Hand-checked values

    func testBroadcastAddLiteral() {
        let a = Variable(Tensor(shape: [3], scalars: [1, 2, 3]))
        let b = Variable(Tensor(shape: [2, 1], scalars: [10, 20]))
        assertClose((a + b).value, shape: [2, 3], [11, 12, 13, 21, 22, 23])
        assertClose((b - a).value, shape: [2, 3], [9, 8, 7, 19, 18, 17])
        assertClose((a * b).value, shape: [2, 3], [10, 20, 30, 20, 40, 60])
        assertClose((b / a).value, shape: [2, 3], [10, 5, 10.0 / 3, 20, 10, 20.0 / 3])
    }

    func testScalarFormsLiteral() {
        let a = Variable(Tensor(shape: [2], scalars: [1, -2]))
        assertClose((a + 1).value, shape: [2], [2, -1])
        assertClose((1 + a).value, shape: [2], [2, -1])
        assertClose((a - 1).value, shape: [2], [0, -3])
        assertClose((1 - a).value, shape: [2], [0, 3])
        assertClose((a * 3).value, shape: [2], [3, -6])
        assertClose((3 * a).value, shape: [2], [3, -6])
        assertClose((a / 4).value, shape: [2], [0.25, -0.5])
        assertClose((-a).value, shape: [2], [-1, 2])
    }

    func testUnaryLiteral() {
        let x = Variable(Tensor(shape: [3], scalars: [-1, 0, 1]))
        assertClose(x.relu().value, shape: [3], [0, 0, 1])
        assertClose(x.abs().value, shape: [3], [1, 0, 1])
        assertClose(x.sigmoid().value, shape: [3], [0.26894142, 0.5, 0.7310586])
        assertClose(x.softplus().value, shape: [3], [0.31326169, 0.69314718, 1.3132616])
        assertClose(x.tanh().value, shape: [3], [-0.7615942, 0, 0.7615942])
        assertClose(x.exp().value, shape: [3], [0.36787944, 1, 2.7182817])
        // GPT-2's tanh GELU: gelu(1) = 0.5 · (1 + tanh(√(2/π) · 1.044715)).
        assertClose(x.gelu().value, shape: [3], [-0.15880801, 0, 0.84119199])
        assertClose(x.clamped(min: -0.5, max: 0.5).value, shape: [3], [-0.5, 0, 0.5])
        let p = Variable(Tensor(shape: [3], scalars: [1, 4, 9]))
        assertClose(p.sqrt().value, shape: [3], [1, 2, 3])
        assertClose(p.log().value, shape: [3], [0, 1.3862944, 2.1972246])
        assertClose(p.pow(1.5).value, shape: [3], [1, 8, 27])
    }

    func testSoftplusAndSigmoidStayFiniteForLargeInputs() {
        let x = Variable(Tensor(shape: [4], scalars: [-100, -30, 30, 100]), requiresGrad: true)
        assertClose(x.softplus().value, shape: [4], [Float(Foundation.exp(-100.0)), 9.357623e-14, 30, 100])
        assertClose(x.sigmoid().value, shape: [4], [Float(Foundation.exp(-100.0)), 9.357623e-14, 1, 1])
        XCTAssertNoThrow(try x.softplus().sum().backward())
        XCTAssertTrue(x.grad!.isFinite)
    }

    func testProductRuleLiteralGradient() throws {
        let x = Variable(Tensor(shape: [2], scalars: [2, 3]), requiresGrad: true)
        let y = Variable(Tensor(shape: [2], scalars: [5, 7]), requiresGrad: true)
        try (x * y + x / y).sum().backward()
        // d/dx = y + 1/y, d/dy = x − x/y²
        assertClose(x.grad!, shape: [2], [5.2, 7 + 1.0 / 7])
        assertClose(y.grad!, shape: [2], [2 - 2.0 / 25, 3 - 3.0 / 49])
    }

    func testBroadcastGradientIsSummedLiteral() throws {
        let a = Variable(Tensor(shape: [2, 3], repeating: 1), requiresGrad: true)
        let b = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGrad: true)
        try (a * b).sum().backward()
        assertClose(b.grad!, shape: [3], [2, 2, 2])
        assertClose(a.grad!, shape: [2, 3], [1, 2, 3, 1, 2, 3])
    }

    // MARK: - Binary ops

    func testBinaryOpsSameShape() throws {
        let a = variable([3, 4]), b = variable([3, 4], low: 0.5, high: 2)
        try checkGradients(of: [a, b], "add") { $0[0] + $0[1] }
        try checkGradients(of: [a, b], "sub") { $0[0] - $0[1] }
        try checkGradients(of: [a, b], "mul") { $0[0] * $0[1] }
        try checkGradients(of: [a, b], "div") { $0[0] / $0[1] }
    }

    func testBinaryOpsBroadcastBothWays() throws {
        // (big, small) and (small, big) for several broadcast patterns, including both operands broadcasting.
        let pairs: [([Int], [Int])] = [([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 3, 4], [1, 3, 1]),
                                       ([2, 1, 4], [3, 1]), ([3, 1], [1, 4])]
        for (big, small) in pairs {
            for (sa, sb) in [(big, small), (small, big)] {
                let a = variable(sa), b = variable(sb, low: 0.5, high: 2)
                let tag = "\(sa) with \(sb)"
                try checkGradients(of: [a, b], "add \(tag)") { $0[0] + $0[1] }
                try checkGradients(of: [a, b], "sub \(tag)") { $0[0] - $0[1] }
                try checkGradients(of: [a, b], "mul \(tag)") { $0[0] * $0[1] }
                try checkGradients(of: [a, b], "div \(tag)") { $0[0] / $0[1] }
            }
        }
    }

    func testBinaryOpsWithOneElementVariables() throws {
        for scalarShape in [[], [1], [1, 1]] as [[Int]] {
            let a = variable([3, 2]), s = variable(scalarShape, low: 0.5, high: 2)
            let tag = "scalar shape \(scalarShape)"
            try checkGradients(of: [a, s], "add \(tag)") { $0[0] + $0[1] }
            try checkGradients(of: [a, s], "sub \(tag)") { $0[1] - $0[0] }
            try checkGradients(of: [a, s], "mul \(tag)") { $0[1] * $0[0] }
            try checkGradients(of: [a, s], "div \(tag)") { $0[0] / $0[1] }
            try checkGradients(of: [a, s], "rdiv \(tag)") { $0[1] / ($0[0] * $0[0] + 1) }
        }
    }

    func testFloatScalarForms() throws {
        let a = variable([2, 3])
        try checkGradients(of: [a], "a + s") { $0[0] + 1.5 }
        try checkGradients(of: [a], "s + a") { 1.5 + $0[0] }
        try checkGradients(of: [a], "a - s") { $0[0] - 1.5 }
        try checkGradients(of: [a], "s - a") { 1.5 - $0[0] }
        try checkGradients(of: [a], "a * s") { $0[0] * -2.5 }
        try checkGradients(of: [a], "s * a") { -2.5 * $0[0] }
        try checkGradients(of: [a], "a / s") { $0[0] / 4 }
        try checkGradients(of: [a], "neg") { -$0[0] }
    }

    func testSameVariableOnBothSides() throws {
        let a = variable([3, 2], low: 0.5, high: 2)
        try checkGradients(of: [a], "a * a") { $0[0] * $0[0] }
        try checkGradients(of: [a], "a / a + a") { $0[0] / $0[0] + $0[0] }
        try checkGradients(of: [a], "a - a * a") { $0[0] - $0[0] * $0[0] }
    }

    // MARK: - Unary ops

    func testSmoothUnaryOps() throws {
        let x = variable([3, 4], low: -2, high: 2)
        let positive = variable([3, 4], low: 0.3, high: 3)
        try checkGradients(of: [x], "exp") { $0[0].exp() }
        try checkGradients(of: [positive], "log") { $0[0].log() }
        try checkGradients(of: [x], "tanh") { $0[0].tanh() }
        try checkGradients(of: [positive], "sqrt") { $0[0].sqrt() }
        try checkGradients(of: [positive], "pow 2.5") { $0[0].pow(2.5) }
        try checkGradients(of: [positive], "pow -1.5") { $0[0].pow(-1.5) }
        try checkGradients(of: [x], "pow 2 of negatives") { $0[0].pow(2) }
        try checkGradients(of: [x], "pow 3 of negatives") { $0[0].pow(3) }
        try checkGradients(of: [x], "gelu") { $0[0].gelu() }
        try checkGradients(of: [x], "sigmoid") { $0[0].sigmoid() }
        try checkGradients(of: [x], "softplus") { $0[0].softplus() }
    }

    func testSoftplusAndSigmoidGradientsInTheirTails() throws {
        // softplus switches formula at |x| = 20; the gradient must be continuous across both branches.
        let x = Variable(Tensor(shape: [6], scalars: [-25, -19.5, -3, 3, 19.5, 25]), requiresGrad: true)
        try checkGradients(of: [x], "softplus tails") { $0[0].softplus() }
        try checkGradients(of: [x], "sigmoid tails") { $0[0].sigmoid() }
    }

    func testUnaryOpsWithKinks() throws {
        let x = Variable(Tensor.randomAwayFromZero([4, 5], using: &rng), requiresGrad: true)
        try checkGradients(of: [x], "relu") { $0[0].relu() }
        try checkGradients(of: [x], "abs") { $0[0].abs() }
        // Values at least 0.05 from the bounds ±0.5, on both sides of each.
        let y = Variable(Tensor(shape: [2, 4], scalars: [-0.9, -0.55, -0.4, -0.1, 0.2, 0.45, 0.6, 1.3]), requiresGrad: true)
        try checkGradients(of: [y], "clamped") { $0[0].clamped(min: -0.5, max: 0.5) }
        // Every element outside [-0.05, 0.05]: the gradient is zero everywhere.
        try checkGradients(of: [x], "clamped narrow") { $0[0].clamped(min: -0.05, max: 0.05) }
    }

    func testClampGradientIsZeroOutside() throws {
        let x = Variable(Tensor(shape: [4], scalars: [-2, -0.5, 0.5, 2]), requiresGrad: true)
        try x.clamped(min: -1, max: 1).sum().backward()
        assertClose(x.grad!, shape: [4], [0, 1, 1, 0])
        let y = Variable(Tensor(shape: [3], scalars: [-2, 0, 2]), requiresGrad: true)
        try (y.relu() + y.abs()).sum().backward()
        assertClose(y.grad!, shape: [3], [-1, 0, 2])
    }

    // MARK: - Selection

    func testMaximum() throws {
        let a = variable([3, 4])
        // Keep |a − b| > ε so the finite difference never crosses the switch.
        let b = Variable(a.value + Tensor.randomAwayFromZero([3, 4], using: &rng), requiresGrad: true)
        try checkGradients(of: [a, b], "maximum") { Variable.maximum($0[0], $0[1]) }
        // Tenths against values ending in 0.05: every pair differs by at least 0.05.
        let row = Variable(Tensor(shape: [4], scalars: [-0.55, 0.35, 0.05, 2.05]), requiresGrad: true)
        let m = Variable(Tensor.randomUniform([3, 4], low: -1, high: 1, using: &rng).map { ($0 * 10).rounded() / 10 },
                         requiresGrad: true)
        try checkGradients(of: [m, row], "maximum broadcast") { Variable.maximum($0[0], $0[1]) }
        try checkGradients(of: [row, m], "maximum broadcast reversed") { Variable.maximum($0[0], $0[1]) }
    }

    func testMaximumLiteralTiesGoToFirst() throws {
        let a = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGrad: true)
        let b = Variable(Tensor(shape: [3], scalars: [3, 2, 1]), requiresGrad: true)
        let m = Variable.maximum(a, b)
        assertClose(m.value, shape: [3], [3, 2, 3])
        try m.sum().backward()
        assertClose(a.grad!, shape: [3], [0, 1, 1])
        assertClose(b.grad!, shape: [3], [1, 0, 0])
    }

    func testWhere() throws {
        let condition = Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0 % 3 == 0 ? 1 : 0) })
        let a = variable([3, 4]), b = variable([3, 4])
        try checkGradients(of: [a, b], "where") { Variable.where(condition, $0[0], $0[1]) }
        // Condition broadcasts over rows; the branches broadcast too.
        let rowCondition = Tensor(shape: [4], scalars: [1, 0, 0, 1])
        let column = variable([3, 1]), scalar = variable([])
        try checkGradients(of: [column, scalar], "where broadcast") { Variable.where(rowCondition, $0[0], $0[1]) }
    }

    func testWhereTreatsAnyNonZeroConditionAsTrue() throws {
        // Tensor.where selects on `condition != 0`; the gradient must route the same way for any non-zero value.
        let condition = Tensor(shape: [4], scalars: [2, 0, -1, 0.5])
        let a = Variable(Tensor(shape: [4], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let b = Variable(Tensor(shape: [4], scalars: [5, 6, 7, 8]), requiresGrad: true)
        let y = Variable.where(condition, a, b)
        assertClose(y.value, shape: [4], [1, 6, 3, 4])
        try y.sum().backward()
        assertClose(a.grad!, shape: [4], [1, 0, 1, 1])
        assertClose(b.grad!, shape: [4], [0, 1, 0, 0])
        try checkGradients(of: [a, b], "where with non-binary condition") { Variable.where(condition, $0[0], $0[1]) }
    }

    func testMaskedFill() throws {
        let x = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), requiresGrad: true)
        let mask = Tensor(shape: [3], scalars: [0, 1, 0])
        let y = x.maskedFill(mask, with: -9)
        assertClose(y.value, shape: [2, 3], [1, -9, 3, 4, -9, 6])
        try y.sum().backward()
        assertClose(x.grad!, shape: [2, 3], [1, 0, 1, 1, 0, 1])
        let z = variable([2, 3, 4])
        let mask3 = Tensor(shape: [2, 1, 4], scalars: [1, 0, 0, 1, 0, 0, 1, 1])
        try checkGradients(of: [z], "maskedFill") { $0[0].maskedFill(mask3, with: -1e4) }
    }

    // MARK: - Dropout

    func testDropoutWithFixedMask() throws {
        let x = variable([6, 7])
        try checkGradients(of: [x], "dropout") { inputs in
            var generator = SeededGenerator(seed: 5)
            return inputs[0].dropout(probability: 0.3, using: &generator)
        }
        var generator = SeededGenerator(seed: 5)
        let y = x.dropout(probability: 0.3, using: &generator).value
        var dropped = 0
        for (out, input) in zip(y.scalars, x.value.scalars) {
            if out == 0 { dropped += 1 } else { XCTAssertEqual(out, input / 0.7, accuracy: 1e-6) }
        }
        XCTAssertTrue((4...22).contains(dropped), "dropped \(dropped) of 42 at p = 0.3")
        XCTAssertTrue(x.dropout(probability: 0, using: &generator) === x, "p = 0 is the identity")
    }

    func testDropoutMaskStatistics() {
        var generator = SeededGenerator(seed: 9)
        let mask = Tensor.dropoutMask([10_000], probability: 0.25, using: &generator)
        let kept = mask.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == Float(1) / 0.75 })
        XCTAssertEqual(Double(kept.count) / 10_000, 0.75, accuracy: 0.02)
        // Inverted dropout preserves the expectation.
        XCTAssertEqual(mask.mean(), 1, accuracy: 0.03)
    }
}
