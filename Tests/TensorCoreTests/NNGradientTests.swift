// Fused neural-network ops: softmax, log-softmax, layer norm, embedding, selected log-probabilities and
// cross-entropy. Each has hand-checked values, a finite-difference check, and equality with its composed form.
import Foundation
import TensorCore
import TestSupport
import XCTest

final class NNGradientTests: XCTestCase {
    var rng = SeededGenerator(seed: 41)

    func variable(_ shape: [Int], scale: Float = 1) -> Variable {
        Variable(Tensor.randomNormal(shape, standardDeviation: scale, using: &rng), requiresGrad: true)
    }

    func randomTargets(_ count: Int, classes: Int) -> [Int32] {
        (0..<count).map { _ in Int32.random(in: 0..<Int32(classes), using: &rng) }
    }

    func oneHot(_ targets: [Int32], classes: Int) -> Tensor {
        var t = Tensor(zeros: [targets.count, classes])
        for (row, target) in targets.enumerated() where target >= 0 { t[row, Int(target)] = 1 }
        return t
    }

    // MARK: - Softmax and log-softmax

    func testSoftmaxLiteral() {
        let x = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 2, 3])
        assertClose(x.softmax(), shape: [2, 3], [1.0 / 3, 1.0 / 3, 1.0 / 3, 0.09003057, 0.24472847, 0.66524096])
        assertClose(x.logSoftmax(), shape: [2, 3], [-1.0986123, -1.0986123, -1.0986123, -2.4076059, -1.4076059, -0.40760596])
        // Over the first axis: each column is normalised.
        assertClose(x.softmax(axis: 0), shape: [2, 3], [0.26894142, 0.11920292, 0.047425873, 0.7310586, 0.8807971, 0.95257413])
        // Shift invariance and large logits stay finite.
        let big = Tensor(shape: [1, 3], scalars: [1000, 1001, 1002])
        assertClose(big.softmax(), shape: [1, 3], [0.09003057, 0.24472847, 0.66524096])
        assertClose(big.logSoftmax(), shape: [1, 3], [-2.4076059, -1.4076059, -0.40760596], rtol: 1e-5, atol: 1e-4)
    }

    func testSoftmaxOfFullyMaskedRowIsZero() {
        let x = Tensor(shape: [2, 2], scalars: [-.infinity, -.infinity, 0, -.infinity])
        assertClose(x.softmax(), shape: [2, 2], [0, 0, 1, 0])
    }

    func testSoftmaxGradients() throws {
        let x = variable([2, 3, 5])
        for axis in [-1, 0, 1, 2] {
            try checkGradients(of: [x], "softmax axis \(axis)") { $0[0].softmax(axis: axis) }
            try checkGradients(of: [x], "logSoftmax axis \(axis)") { $0[0].logSoftmax(axis: axis) }
        }
    }

    func testSoftmaxEqualsComposed() throws {
        let x = variable([3, 4, 6], scale: 3)
        for axis in [-1, 1, 0] {
            try assertSameValueAndGradients(of: [x], "softmax axis \(axis)",
                fused: { $0[0].softmax(axis: axis) },
                composed: {
                    // exp(x − max) / Σ exp(x − max), with the max treated as a constant (it cancels).
                    let m = Variable($0[0].value.max(axis: axis, keepingDimension: true))
                    let e = ($0[0] - m).exp()
                    return e / e.sum(axis: axis, keepingDimension: true)
                })
            try assertSameValueAndGradients(of: [x], "logSoftmax axis \(axis)",
                fused: { $0[0].logSoftmax(axis: axis) },
                composed: { $0[0].softmax(axis: axis).log() })
        }
    }

    // MARK: - Layer norm

    func testLayerNormLiteral() {
        let x = Tensor(shape: [2, 2], scalars: [1, 3, -2, -2])
        let (y, mean, rstd) = x.layerNorm(weight: Tensor(shape: [2], scalars: [2, 1]), bias: Tensor(shape: [2], scalars: [0, 1]),
                                          epsilon: 0)
        assertClose(y, shape: [2, 2], [-2, 2, .nan, .nan])
        assertClose(mean, shape: [2], [2, -2])
        XCTAssertEqual(rstd[0], 1)
        let (z, _, _) = x.layerNorm(weight: Tensor(shape: [2], repeating: 1), bias: Tensor(zeros: [2]))
        // A constant row normalises to 0 (plus bias) rather than NaN when epsilon > 0.
        assertClose(z, shape: [2, 2], [-0.999995, 0.999995, 0, 0], rtol: 1e-5, atol: 1e-6)
    }

    func testLayerNormGradients() throws {
        let x = variable([2, 3, 5]), w = variable([5]), b = variable([5])
        try checkGradients(of: [x, w, b], "layerNorm") { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        // Large offsets and scales in the input must not matter to the normalised result's gradient.
        let shifted = Variable(x.value * 4 + 10, requiresGrad: true)
        try checkGradients(of: [shifted, w, b], "layerNorm shifted") { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        // Only the weight and bias train (frozen input), and only the input (frozen affine).
        try checkGradients(of: [Variable(x.value), w, b], "layerNorm affine only") { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        try checkGradients(of: [x, Variable(w.value), Variable(b.value)], "layerNorm input only") {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        }
    }

    func testLayerNormEqualsComposed() throws {
        let x = variable([4, 7], scale: 2), w = variable([7]), b = variable([7])
        let epsilon: Float = 1e-5
        try assertSameValueAndGradients(of: [x, w, b], rtol: 1e-3, atol: 1e-4, "layerNorm",
            fused: { $0[0].layerNorm(weight: $0[1], bias: $0[2], epsilon: epsilon) },
            composed: {
                let mu = $0[0].mean(axis: -1, keepingDimension: true)
                let d = $0[0] - mu
                let variance = (d * d).mean(axis: -1, keepingDimension: true)
                return d / (variance + epsilon).sqrt() * $0[1] + $0[2]
            })
    }

    // MARK: - Embedding

    func testEmbeddingLiteral() throws {
        let table = Variable(Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21]), requiresGrad: true)
        let e = try table.embedding([2, 0, 2], shape: [3])
        assertClose(e.value, shape: [3, 2], [20, 21, 0, 1, 20, 21])
        try e.sum().backward()
        assertClose(table.grad!, shape: [3, 2], [1, 1, 0, 0, 2, 2])
    }

    func testEmbeddingGradients() throws {
        let table = variable([6, 4])
        let indices: [Int32] = [1, 5, 1, 0, 3, 5]
        try checkGradients(of: [table], "embedding") { try $0[0].embedding(indices, shape: [2, 3]) }
        // Used twice: the second scatter-add must accumulate into the first.
        try checkGradients(of: [table], "embedding twice") {
            try $0[0].embedding(indices, shape: [2, 3]) * $0[0].embedding([0, 0, 2, 2, 4, 4], shape: [2, 3])
        }
    }

    func testEmbeddingOutOfRangeThrows() {
        let table = Variable(Tensor(zeros: [4, 2]), requiresGrad: true)
        for bad: Int32 in [4, -1] {
            XCTAssertThrowsError(try table.embedding([0, bad], shape: [2])) { error in
                XCTAssertEqual(error as? TensorError, .indexOutOfRange(operation: "embedding", index: Int(bad), limit: 4))
                XCTAssertEqual("\(error)", "embedding: index \(bad) is out of range 0..<4")
            }
        }
    }

    // MARK: - Selected log-probabilities

    func testSelectedLogProbabilitiesLiteral() {
        let logits = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0]))
        let lp = logits.selectedLogProbabilities(targets: [2, -1])
        assertClose(lp.value, shape: [2], [-0.40760596, 0])
        // Temperature 2 divides the logits: log softmax([0.5, 1, 1.5])[0] = 0.5 − 1.5 − log(1 + e^−0.5 + e^−1).
        let hot = logits.selectedLogProbabilities(targets: [0, 1], temperature: 2)
        assertClose(hot.value, shape: [2], [-1.6802697, -1.0986123])
    }

    func testSelectedLogProbabilitiesGradients() throws {
        let logits = variable([2, 3, 7], scale: 2)
        var targets = randomTargets(6, classes: 7)
        try checkGradients(of: [logits], "selectedLogProbabilities") { $0[0].selectedLogProbabilities(targets: targets) }
        try checkGradients(of: [logits], "selectedLogProbabilities T = 0.7") {
            $0[0].selectedLogProbabilities(targets: targets, temperature: 0.7)
        }
        targets[1] = -1
        targets[4] = -100
        try checkGradients(of: [logits], "selectedLogProbabilities ignored rows, T = 1.5") {
            $0[0].selectedLogProbabilities(targets: targets, temperature: 1.5)
        }
        // Used twice, so the second backward accumulates (beta = 1) including into ignored rows.
        try checkGradients(of: [logits], "selectedLogProbabilities twice") {
            $0[0].selectedLogProbabilities(targets: targets) + $0[0].selectedLogProbabilities(targets: targets.reversed(), temperature: 2)
        }
    }

    func testSelectedLogProbabilitiesIgnoredRowsGetNoGradient() throws {
        let logits = variable([3, 4])
        try logits.selectedLogProbabilities(targets: [1, -1, 2]).sum().backward()
        assertClose(logits.grad!.slice(axis: 0, 1..<2), Tensor(zeros: [1, 4]))
    }

    func testSelectedLogProbabilitiesEqualsComposed() throws {
        let logits = variable([5, 6], scale: 2)
        var targets = randomTargets(5, classes: 6)
        targets[2] = -1
        let mask = oneHot(targets, classes: 6)
        for temperature: Float in [1, 0.6] {
            try assertSameValueAndGradients(of: [logits], "T = \(temperature)",
                fused: { $0[0].selectedLogProbabilities(targets: targets, temperature: temperature) },
                composed: { ($0[0] / temperature).logSoftmax() .* mask })
        }
    }

    // MARK: - Cross-entropy

    func testCrossEntropyLiteral() {
        // Uniform logits over 4 classes: loss log 4 for any target.
        let logits = Variable(Tensor(zeros: [2, 4]))
        XCTAssertEqual(logits.crossEntropy(targets: [0, 3]).value.item, Foundation.log(4), accuracy: 1e-6)
        let sharp = Variable(Tensor(shape: [2, 2], scalars: [0, Foundation.log(3), 0, 0]))
        // Row 0: −log(1/4); row 1: −log(1/2). Weighted 3:1 → (3·log 4 + log 2) / 4.
        let weighted = sharp.crossEntropy(targets: [0, 1], weights: [3, 1]).value.item
        XCTAssertEqual(weighted, (3 * Foundation.log(4) + Foundation.log(2)) / 4, accuracy: 1e-6)
        XCTAssertEqual(sharp.crossEntropy(targets: [-100, 1]).value.item, Foundation.log(2), accuracy: 1e-6)
        XCTAssertEqual(sharp.crossEntropy(targets: [-100, -100]).value.item, 0)
    }

    func testCrossEntropyGradients() throws {
        let logits = variable([2, 4, 5], scale: 2)
        var targets = randomTargets(8, classes: 5)
        try checkGradients(of: [logits], "crossEntropy") { $0[0].crossEntropy(targets: targets) }
        targets[0] = -100
        targets[5] = -100
        try checkGradients(of: [logits], "crossEntropy ignore index") { $0[0].crossEntropy(targets: targets) }
        let weights: [Float] = [0.5, 1, 2, 0, 1.5, 3, 1, 0.25]
        try checkGradients(of: [logits], "crossEntropy weights") { $0[0].crossEntropy(targets: targets, weights: weights) }
        var custom = targets.map { $0 == -100 ? 2 : $0 }
        custom[3] = 7
        try checkGradients(of: [logits], "crossEntropy custom ignore index") {
            $0[0].crossEntropy(targets: custom, ignoreIndex: 7, weights: weights)
        }
    }

    func testCrossEntropyWithEveryRowIgnoredHasZeroGradient() throws {
        let logits = variable([2, 3])
        let loss = logits.crossEntropy(targets: [-100, -100])
        XCTAssertEqual(loss.value.item, 0)
        try loss.backward()
        XCTAssertTrue((logits.grad ?? Tensor(zeros: [2, 3])).scalars.allSatisfy { $0 == 0 })
    }

    func testCrossEntropyEqualsComposed() throws {
        let logits = variable([6, 5], scale: 2)
        var targets = randomTargets(6, classes: 5)
        targets[3] = -100
        let weights: [Float] = [1, 2, 0.5, 4, 1, 3]
        // −Σ wᵢ · logSoftmax(x)[i, tᵢ] / Σ wᵢ over kept rows.
        let kept = targets.map { $0 == -100 ? Float(0) : 1 }
        let plain = Tensor(shape: [6], scalars: kept.map { -$0 / kept.reduce(0, +) })
        let keptWeights = zip(kept, weights).map { $0 * $1 }
        let scaled = Tensor(shape: [6], scalars: keptWeights.map { -$0 / keptWeights.reduce(0, +) })
        let mask = oneHot(targets.map { $0 == -100 ? -1 : $0 }, classes: 5)
        try assertSameValueAndGradients(of: [logits], "crossEntropy",
            fused: { $0[0].crossEntropy(targets: targets) },
            composed: { ($0[0].logSoftmax() .* mask * Variable(plain)).sum() })
        try assertSameValueAndGradients(of: [logits], "weighted crossEntropy",
            fused: { $0[0].crossEntropy(targets: targets, weights: weights) },
            composed: { ($0[0].logSoftmax() .* mask * Variable(scaled)).sum() })
    }
}

infix operator .*: MultiplicationPrecedence

/// Gathers one element per row: `(x ⊙ oneHot).sum(axis: -1)`, the composed form of a log-probability gather.
func .* (x: Variable, oneHot: Tensor) -> Variable {
    (x * Variable(oneHot)).sum(axis: -1)
}
