// Shape ops (reshape, permute, transpose, slice, concatenate) and reductions (sum, mean, max) on Variables:
// hand-checked values and gradients, and finite-difference checks on random shapes.
import TensorCore
import TestSupport
import XCTest

final class ShapeReductionGradientTests: XCTestCase {
    var rng = SeededGenerator(seed: 21)

    func variable(_ shape: [Int]) -> Variable {
        Variable(Tensor.randomUniform(shape, low: -1, high: 1, using: &rng), requiresGrad: true)
    }

    /// Distinct values at least 0.1 apart in random order, so that max has a unique, stable winner under ±ε.
    func spreadVariable(_ shape: [Int]) -> Variable {
        let n = shape.reduce(1, *)
        var values = (0..<n).map { Float($0) * 0.1 - Float(n) * 0.05 }
        values.shuffle(using: &rng)
        return Variable(Tensor(shape: shape, scalars: values), requiresGrad: true)
    }

    // MARK: - Shape ops

    func testReshape() throws {
        let x = variable([2, 3, 4])
        try checkGradients(of: [x], "reshape") { $0[0].reshaped([4, 6]) }
        try checkGradients(of: [x], "reshape inferred") { $0[0].reshaped([-1, 2]) * $0[0].reshaped([12, 2]) }
        XCTAssertEqual(x.reshaped([6, -1]).shape, [6, 4])
    }

    func testPermuteAndTranspose() throws {
        let x = variable([2, 3, 4])
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0]] {
            try checkGradients(of: [x], "permute \(order)") { $0[0].permuted(order) }
        }
        try checkGradients(of: [x], "transpose default") { $0[0].transposed() }
        try checkGradients(of: [x], "transpose 0, 2") { $0[0].transposed(0, 2) }
        let y = variable([2, 1, 3, 2])
        try checkGradients(of: [y], "permute rank 4") { $0[0].permuted([3, 1, 0, 2]) }
    }

    func testPermuteLiteral() {
        let x = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        assertClose(x.transposed().value, shape: [3, 2], [1, 4, 2, 5, 3, 6])
    }

    func testSlice() throws {
        let x = variable([3, 5, 2])
        try checkGradients(of: [x], "slice axis 1") { $0[0].slice(axis: 1, 1..<4) }
        try checkGradients(of: [x], "slice axis 0") { $0[0].slice(axis: 0, 2..<3) }
        try checkGradients(of: [x], "slice axis -1") { $0[0].slice(axis: -1, 0..<1) }
        // Overlapping slices of one variable accumulate.
        try checkGradients(of: [x], "overlapping slices") { $0[0].slice(axis: 1, 0..<3) * $0[0].slice(axis: 1, 2..<5) }
    }

    func testSliceLiteralGradient() throws {
        let x = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), requiresGrad: true)
        let s = x.slice(axis: 1, 1..<3)
        assertClose(s.value, shape: [2, 2], [2, 3, 5, 6])
        try s.sum().backward()
        assertClose(x.grad!, shape: [2, 3], [0, 1, 1, 0, 1, 1])
    }

    func testConcatenate() throws {
        let a = variable([2, 1, 3]), b = variable([2, 2, 3]), c = variable([2, 3, 3])
        try checkGradients(of: [a, b, c], "concatenate axis 1") { Variable.concatenate($0, axis: 1) }
        let d = variable([1, 3]), e = variable([2, 3])
        try checkGradients(of: [d, e], "concatenate axis 0") { Variable.concatenate($0, axis: 0) }
        try checkGradients(of: [d], "concatenate same variable twice") { Variable.concatenate([$0[0], $0[0]], axis: -1) }
        // A constant part gets no gradient and does not stop the others.
        let constant = Variable(Tensor(shape: [1, 3], repeating: 2))
        try checkGradients(of: [d], "concatenate with constant") { Variable.concatenate([constant, $0[0]], axis: 0) }
    }

    func testConcatenateLiteral() {
        let a = Variable(Tensor(shape: [2, 1], scalars: [1, 2]))
        let b = Variable(Tensor(shape: [2, 2], scalars: [3, 4, 5, 6]))
        assertClose(Variable.concatenate([a, b], axis: 1).value, shape: [2, 3], [1, 3, 4, 2, 5, 6])
    }

    func testReplacingRows() throws {
        let table = variable([5, 3]), rows = variable([2, 3])
        try checkGradients(of: [table, rows], "replacing rows") { $0[0].replacingRows([4, 1], with: $0[1]) * $0[0] }
        // A frozen table: only the replacement rows get a gradient.
        let frozen = Variable(Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        let r = Variable(Tensor(shape: [1, 2], scalars: [7, 8]), requiresGrad: true)
        let replaced = frozen.replacingRows([1], with: r)
        assertClose(replaced.value, shape: [3, 2], [1, 2, 7, 8, 5, 6])
        assertClose(frozen.value, shape: [3, 2], [1, 2, 3, 4, 5, 6])
        try (replaced * replaced).sum().backward()
        assertClose(r.grad!, shape: [1, 2], [14, 16])
        XCTAssertNil(frozen.grad)
    }

    // MARK: - Reductions

    func testSumAndMeanOverAxis() throws {
        let x = variable([2, 3, 4])
        for axis in [0, 1, 2, -1] {
            for keep in [false, true] {
                try checkGradients(of: [x], "sum axis \(axis) keep \(keep)") { $0[0].sum(axis: axis, keepingDimension: keep) }
                try checkGradients(of: [x], "mean axis \(axis) keep \(keep)") { $0[0].mean(axis: axis, keepingDimension: keep) }
            }
        }
    }

    func testSumAndMeanOfAll() throws {
        let x = variable([3, 4])
        try checkGradients(of: [x], "sum") { $0[0].sum() }
        try checkGradients(of: [x], "mean") { $0[0].mean() }
        try checkGradients(of: [x], "sum of squares") { ($0[0] * $0[0]).sum() }
        XCTAssertEqual(x.sum().shape, [])
    }

    func testReductionLiterals() throws {
        let x = Variable(Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6]), requiresGrad: true)
        assertClose(x.sum(axis: 0).value, shape: [3], [5, 7, 9])
        assertClose(x.sum(axis: 1, keepingDimension: true).value, shape: [2, 1], [9, 12])
        assertClose(x.mean(axis: 1).value, shape: [2], [3, 4])
        assertClose(x.max(axis: 1).value, shape: [2], [5, 6])
        assertClose(x.max(axis: 0).value, shape: [3], [4, 5, 6])
        XCTAssertEqual(x.sum().value.item, 21)
        XCTAssertEqual(x.mean().value.item, 3.5)
        try (x.max(axis: 1).sum() + x.mean()).backward()
        let m = Float(1) / 6
        assertClose(x.grad!, shape: [2, 3], [m, 1 + m, m, m, m, 1 + m])
    }

    func testMaxOverAxis() throws {
        let x = spreadVariable([3, 4, 5])
        for axis in [0, 1, 2, -1] {
            for keep in [false, true] {
                try checkGradients(of: [x], "max axis \(axis) keep \(keep)") { $0[0].max(axis: axis, keepingDimension: keep) }
            }
        }
    }

    func testMaxGradientGoesToFirstOfTies() throws {
        let x = Variable(Tensor(shape: [1, 4], scalars: [1, 3, 3, 2]), requiresGrad: true)
        try x.max(axis: 1).sum().backward()
        assertClose(x.grad!, shape: [1, 4], [0, 1, 0, 0])
    }

    func testChainOfShapeOps() throws {
        // A realistic head split: [B, T, C] → [B, T, H, D] → [B, H, T, D] → back.
        let x = variable([2, 3, 4])
        try checkGradients(of: [x], "head split round trip") {
            let heads = $0[0].reshaped([2, 3, 2, 2]).permuted([0, 2, 1, 3])
            return (heads * heads.slice(axis: 1, 1..<2)).permuted([0, 2, 1, 3]).reshaped([2, 3, 4]).sum(axis: 1)
        }
    }
}
