// Tensor-only kernels, tested without autodiff: construction and copy-on-write, broadcasting rules, permute,
// slice, concatenate, reductions, argmax, where / masked fill, sumToShape, gather and unary maps.
import Foundation
import TensorCore
import TestSupport
import XCTest

final class TensorKernelTests: XCTestCase {
    var rng = SeededGenerator(seed: 61)

    let x23 = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])

    // MARK: - Construction and value semantics

    func testConstructionAndIndexing() {
        XCTAssertEqual(x23[1, 2], 6)
        XCTAssertEqual(x23.count, 6)
        XCTAssertEqual(x23.rank, 2)
        XCTAssertEqual(Tensor(3).shape, [])
        XCTAssertEqual(Tensor(3).item, 3)
        XCTAssertEqual(Tensor(zeros: [2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(Tensor.arange(4).scalars, [0, 1, 2, 3])
        XCTAssertEqual(Tensor.strides(of: [2, 3, 4]), [12, 4, 1])
        XCTAssertEqual(x23.axis(-1), 1)
        XCTAssertEqual(Tensor(zeros: [0, 3]).count, 0)
    }

    func testCopyOnWrite() {
        let a = x23
        var b = a
        b[0, 0] = 100
        XCTAssertEqual(a[0, 0], 1, "mutating a copy must not change the original")
        XCTAssertEqual(b[0, 0], 100)
        var c = a.reshaped([3, 2])
        c[2, 1] = -1
        XCTAssertEqual(a[1, 2], 6, "a reshaped copy shares storage only until written")
        var d = a
        d += a
        XCTAssertEqual(a.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(d.scalars, [2, 4, 6, 8, 10, 12])
        var e = a
        e *= 2
        XCTAssertEqual(a.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(e, d)
    }

    func testRandomInitialisation() {
        let n = Tensor.randomNormal([20_000], mean: 1, standardDeviation: 2, using: &rng)
        XCTAssertEqual(n.mean(), 1, accuracy: 0.05)
        let variance = ((n - n.mean()) * (n - n.mean())).mean()
        XCTAssertEqual(variance, 4, accuracy: 0.15)
        let u = Tensor.randomUniform([20_000], low: -2, high: 3, using: &rng)
        XCTAssertTrue(u.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
        XCTAssertEqual(u.mean(), 0.5, accuracy: 0.05)
    }

    // MARK: - Broadcasting

    func testBroadcastShapeRules() {
        XCTAssertEqual(Tensor.broadcastShape([2, 3], [3]), [2, 3])
        XCTAssertEqual(Tensor.broadcastShape([3], [2, 3]), [2, 3])
        XCTAssertEqual(Tensor.broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertEqual(Tensor.broadcastShape([], [2, 2]), [2, 2])
        XCTAssertEqual(Tensor.broadcastShape([1], []), [1])
        XCTAssertEqual(Tensor.broadcastShape([0, 1], [1, 5]), [0, 5])
        XCTAssertNil(Tensor.broadcastShape([2, 3], [2]))
        XCTAssertNil(Tensor.broadcastShape([2, 3], [3, 3]))
    }

    func testBroadcastArithmeticAgainstLoops() {
        let shapes: [([Int], [Int])] = [([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 1, 4], [3, 1]), ([3, 1], [1, 4]),
                                        ([4], [2, 3, 4]), ([1, 3, 1], [2, 1, 5]), ([2, 3], []), ([], [2, 3]), ([1], [2, 3])]
        for (sa, sb) in shapes {
            let a = Tensor.randomUniform(sa, low: 1, high: 2, using: &rng)
            let b = Tensor.randomUniform(sb, low: 1, high: 2, using: &rng)
            let shape = Tensor.broadcastShape(sa, sb)!
            let ea = a.broadcast(to: shape), eb = b.broadcast(to: shape)
            // The expanded operands are checked element by element against explicit index arithmetic.
            for flat in 0..<ea.count {
                var rest = flat
                var index = [Int](repeating: 0, count: shape.count)
                for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                    index[axis] = rest % shape[axis]
                    rest /= shape[axis]
                }
                func source(_ t: Tensor) -> Float {
                    let lead = shape.count - t.rank
                    let own = (0..<t.rank).map { t.shape[$0] == 1 ? 0 : index[$0 + lead] }
                    let strides = Tensor.strides(of: t.shape)
                    return t.scalars[zip(own, strides).map(*).reduce(0, +)]
                }
                XCTAssertEqual(ea.scalars[flat], source(a))
                XCTAssertEqual(eb.scalars[flat], source(b))
            }
            let tag = "\(sa) with \(sb)"
            assertClose(a + b, Tensor(shape: shape, scalars: zip(ea.scalars, eb.scalars).map(+)), tag)
            assertClose(a - b, Tensor(shape: shape, scalars: zip(ea.scalars, eb.scalars).map(-)), tag)
            assertClose(a * b, Tensor(shape: shape, scalars: zip(ea.scalars, eb.scalars).map(*)), tag)
            assertClose(a / b, Tensor(shape: shape, scalars: zip(ea.scalars, eb.scalars).map(/)), tag)
        }
    }

    func testScalarOperators() {
        assertClose(x23 + 1, shape: [2, 3], [2, 3, 4, 5, 6, 7])
        assertClose(10 - x23, shape: [2, 3], [9, 8, 7, 6, 5, 4])
        assertClose(x23 * 2, shape: [2, 3], [2, 4, 6, 8, 10, 12])
        assertClose(12 / x23, shape: [2, 3], [12, 6, 4, 3, 2.4, 2])
        assertClose(-x23, shape: [2, 3], [-1, -2, -3, -4, -5, -6])
    }

    func testLargeElementwiseUsesThreadsCorrectly() {
        // Above the parallel thresholds (2¹⁷ elements) the chunked loops must cover every element once.
        let a = Tensor.randomUniform([300, 1000], using: &rng), b = Tensor.randomUniform([300, 1000], using: &rng)
        let sum = a + b, ea = a.scalars, eb = b.scalars
        XCTAssertEqual(sum.scalars, zip(ea, eb).map(+))
        XCTAssertEqual(a.exp().scalars, ea.map { Foundation.exp($0) })
        var acc = a
        acc += b
        XCTAssertEqual(acc, sum)
        let rowSums = a.sum(axis: 1)
        for row in [0, 150, 299] {
            XCTAssertEqual(Double(rowSums[row]), ea[(row * 1000)..<((row + 1) * 1000)].reduce(0) { $0 + Double($1) }, accuracy: 1e-3)
        }
    }

    // MARK: - Shape ops

    func testReshape() {
        XCTAssertEqual(x23.reshaped([3, 2]).shape, [3, 2])
        XCTAssertEqual(x23.reshaped([-1]).shape, [6])
        XCTAssertEqual(x23.reshaped([3, -1]).shape, [3, 2])
        XCTAssertEqual(x23.reshaped([6]).scalars, x23.scalars)
    }

    func testPermuteAgainstIndexLoops() {
        let t = Tensor.randomUniform([2, 3, 4, 5], using: &rng)
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1], [0, 2, 3, 1]] {
            let p = t.permuted(order)
            XCTAssertEqual(p.shape, order.map { t.shape[$0] })
            for i0 in 0..<p.shape[0] {
                for i1 in 0..<p.shape[1] {
                    for i2 in 0..<p.shape[2] {
                        for i3 in 0..<p.shape[3] {
                            let out = [i0, i1, i2, i3]
                            var source = [0, 0, 0, 0]
                            for (axis, o) in order.enumerated() { source[o] = out[axis] }
                            XCTAssertEqual(p[i0, i1, i2, i3], t[source[0], source[1], source[2], source[3]])
                        }
                    }
                }
            }
            XCTAssertEqual(p.permuted(order.indices.map { order.firstIndex(of: $0)! }), t, "inverse permutation")
        }
        assertClose(x23.transposed(), shape: [3, 2], [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(Tensor.arange(3).permuted([0]).scalars, [0, 1, 2])
    }

    func testSlice() {
        assertClose(x23.slice(axis: 1, 1..<3), shape: [2, 2], [2, 3, 5, 6])
        assertClose(x23.slice(axis: 0, 1..<2), shape: [1, 3], [4, 5, 6])
        assertClose(x23.slice(axis: -1, 0..<0), shape: [2, 0], [])
        let t = Tensor.arange(24).reshaped([2, 3, 4])
        assertClose(t.slice(axis: 1, 2..<3), shape: [2, 1, 4], [8, 9, 10, 11, 20, 21, 22, 23])
        assertClose(t.slice(axis: 2, 1..<3), shape: [2, 3, 2], [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
    }

    func testConcatenate() {
        let a = Tensor(shape: [2, 1], scalars: [1, 2]), b = Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])
        assertClose(Tensor.concatenate([a, b], axis: 1), shape: [2, 3], [1, 3, 4, 2, 5, 6])
        assertClose(Tensor.concatenate([x23, x23], axis: 0), shape: [4, 3], [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        // Concatenating slices along an axis restores the original.
        let t = Tensor.randomUniform([3, 5, 2], using: &rng)
        let parts = [t.slice(axis: 1, 0..<2), t.slice(axis: 1, 2..<3), t.slice(axis: 1, 3..<5)]
        XCTAssertEqual(Tensor.concatenate(parts, axis: 1), t)
        XCTAssertEqual(Tensor.concatenate([t], axis: -1), t)
    }

    func testSumToShape() {
        let g = Tensor.arange(24).reshaped([2, 3, 4])
        assertClose(g.sumToShape([4]), shape: [4], [60, 66, 72, 78])
        assertClose(g.sumToShape([3, 1]), shape: [3, 1], [60, 92, 124])
        assertClose(g.sumToShape([1, 3, 1]), shape: [1, 3, 1], [60, 92, 124])
        assertClose(g.sumToShape([2, 1, 4]), shape: [2, 1, 4], [12, 15, 18, 21, 48, 51, 54, 57])
        assertClose(g.sumToShape([]), shape: [], [276])
        assertClose(g.sumToShape([1]), shape: [1], [276])
        XCTAssertEqual(g.sumToShape([2, 3, 4]), g)
        // sumToShape is the adjoint of broadcast: ⟨broadcast(x), y⟩ = ⟨x, sumToShape(y)⟩.
        let x = Tensor.randomUniform([3, 1], using: &rng), y = Tensor.randomUniform([2, 3, 4], using: &rng)
        XCTAssertEqual((x.broadcast(to: [2, 3, 4]) * y).sum(), (x * y.sumToShape([3, 1])).sum(), accuracy: 1e-5)
    }

    // MARK: - Reductions

    func testReductions() {
        let t = Tensor.arange(24).reshaped([2, 3, 4])
        assertClose(t.sum(axis: 0), shape: [3, 4], (0..<12).map { Float(2 * $0 + 12) })
        assertClose(t.sum(axis: 1), shape: [2, 4], [12, 15, 18, 21, 48, 51, 54, 57])
        assertClose(t.sum(axis: 2, keepingDimension: true), shape: [2, 3, 1], [6, 22, 38, 54, 70, 86])
        assertClose(t.mean(axis: -1), shape: [2, 3], [1.5, 5.5, 9.5, 13.5, 17.5, 21.5])
        assertClose(t.max(axis: 1), shape: [2, 4], [8, 9, 10, 11, 20, 21, 22, 23])
        assertClose(t.max(axis: 0, keepingDimension: true), shape: [1, 3, 4], (12..<24).map(Float.init))
        XCTAssertEqual(t.sum(), 276)
        XCTAssertEqual(t.mean(), 11.5)
        XCTAssertEqual(t.max(), 23)
        let negative = Tensor(shape: [2, 2], scalars: [-5, -3, -4, -7])
        assertClose(negative.max(axis: 1), shape: [2], [-3, -4])
        XCTAssertEqual(negative.max(), -3)
        XCTAssertTrue(t.isFinite)
        XCTAssertFalse(Tensor(shape: [2], scalars: [1, .nan]).isFinite)
        XCTAssertFalse(Tensor(shape: [2], scalars: [1, -.infinity]).isFinite)
    }

    func testSumAccumulatesInDouble() {
        // 2²⁴ + 1 + 1 + … would stall in a naive Float accumulator.
        let t = Tensor(shape: [1001], scalars: [16_777_216] + [Float](repeating: 1, count: 1000))
        XCTAssertEqual(t.sum(), 16_778_216)
    }

    func testArgmax() {
        let t = Tensor(shape: [2, 4], scalars: [1, 9, 9, 2, -1, -3, -0.5, -2])
        assertClose(t.argmax(axis: 1), shape: [2], [1, 2], "first of ties wins")
        assertClose(t.argmax(axis: 0), shape: [4], [0, 0, 0, 0])
        assertClose(t.argmax(axis: -1, keepingDimension: true), shape: [2, 1], [1, 2])
        let u = Tensor.arange(24).reshaped([2, 3, 4]).map { Float(Int($0) * 7 % 5) }
        for o in 0..<2 {
            for i in 0..<4 {
                let column = (0..<3).map { u[o, $0, i] }
                XCTAssertEqual(Int(u.argmax(axis: 1)[o, i]), column.firstIndex(of: column.max()!)!)
            }
        }
    }

    // MARK: - Selection

    func testWhereAndMaskedFill() {
        let condition = Tensor(shape: [2, 1], scalars: [1, 0])
        let a = Tensor(shape: [3], scalars: [1, 2, 3])
        assertClose(Tensor.where(condition, a, Tensor(-1)), shape: [2, 3], [1, 2, 3, -1, -1, -1])
        assertClose(Tensor.where(Tensor(shape: [3], scalars: [0, 5, -1]), a, a * 10), shape: [3], [10, 2, 3])
        assertClose(x23.maskedFill(Tensor(shape: [3], scalars: [0, 1, 0]), with: 0), shape: [2, 3], [1, 0, 3, 4, 0, 6])
        assertClose(x23.maskedFill(Tensor(shape: [2, 1], scalars: [1, 0]), with: -.infinity), shape: [2, 3],
                    [-.infinity, -.infinity, -.infinity, 4, 5, 6])
    }

    // MARK: - Unary maps

    func testUnaryMapsAgainstFoundation() {
        let t = Tensor.randomUniform([50], low: -3, high: 3, using: &rng)
        let p = t.abs() + 0.1
        for (i, v) in t.scalars.enumerated() {
            XCTAssertEqual(t.exp()[i], Foundation.exp(v), accuracy: 1e-6 * Foundation.exp(v))
            XCTAssertEqual(t.tanh()[i], Foundation.tanh(v), accuracy: 1e-7)
            XCTAssertEqual(t.relu()[i], Swift.max(v, 0))
            XCTAssertEqual(Double(t.sigmoid()[i]), 1 / (1 + Foundation.exp(-Double(v))), accuracy: 1e-7)
            XCTAssertEqual(Double(t.softplus()[i]), Foundation.log1p(Foundation.exp(Double(v))), accuracy: 1e-6)
            let g = 0.5 * Double(v) * (1 + Foundation.tanh(0.7978845608028654 * (Double(v) + 0.044715 * Double(v) * Double(v) * Double(v))))
            XCTAssertEqual(Double(t.gelu()[i]), g, accuracy: 1e-6)
            XCTAssertEqual(t.clamped(min: -1, max: 2)[i], Swift.min(Swift.max(v, -1), 2))
            XCTAssertEqual(p.log()[i], Foundation.log(p[i]), accuracy: 1e-6)
            XCTAssertEqual(p.sqrt()[i], p[i].squareRoot(), accuracy: 1e-6)
            XCTAssertEqual(p.pow(-0.5)[i], 1 / p[i].squareRoot(), accuracy: 1e-5)
        }
    }

    // MARK: - Gather

    func testGatherRows() {
        let table = Tensor.arange(8).reshaped([4, 2])
        assertClose(table.gatherRows([3, 0, 3, 1], shape: [2, 2]), shape: [2, 2, 2], [6, 7, 0, 1, 6, 7, 2, 3])
        assertClose(table.gatherRows([], shape: [0]), shape: [0, 2], [])
    }
}
