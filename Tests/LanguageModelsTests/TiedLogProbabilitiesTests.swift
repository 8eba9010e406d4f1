// The fused tied-projection log-probabilities (the scoring primitive of scoreResponses): equal to the composed
// matmul + selectedLogProbabilities + entropies, and its gradients pass a finite-difference check.
import LanguageModels
import TensorCore
import TestSupport
import XCTest

final class TiedLogProbabilitiesTests: XCTestCase {
    /// Values, entropies and both gradients match the composed ops, with and without skipped rows and at τ ≠ 1.
    func testFusedEqualsComposed() throws {
        var rng = SeededGenerator(seed: 21)
        let h = Tensor.randomNormal([2, 5, 8], using: &rng), w = Tensor.randomNormal([11, 8], using: &rng)
        for (targets, temperature): ([Int32], Float) in [([3, -1, 10, 0, 4, -1, -1, 7, 2, 1], 0.7),
                                                          ([3, 5, 10, 0, 4, 9, 6, 7, 2, 1], 1)] {
            let h1 = Variable(h, requiresGrad: true), w1 = Variable(w, requiresGrad: true)
            let h2 = Variable(h, requiresGrad: true), w2 = Variable(w, requiresGrad: true)
            let (fused, entropies) = Variable.tiedProjectionLogProbabilities(hidden: h1, table: w1, targets: targets,
                                                                             temperature: temperature, computeEntropies: true)
            let logits = h2.matmul(w2, transposeOther: true)
            let composed = logits.selectedLogProbabilities(targets: targets, temperature: temperature)
            let mask = Tensor(shape: [2, 5], scalars: targets.map { $0 < 0 ? 0 : 1 })
            let expectedEntropies = ScoringKernels.entropies(logits: logits.value, temperature: temperature, mask: mask)
            XCTAssertEqual(fused.shape, [2, 5])
            assertClose(fused.value, composed.value, rtol: 1e-5, atol: 1e-5, "log-probabilities, τ = \(temperature)")
            assertClose(entropies!, expectedEntropies, rtol: 1e-5, atol: 1e-5, "entropies, τ = \(temperature)")
            let weights = Variable(Tensor.randomNormal([2, 5], using: &rng))
            try (fused * weights).sum().backward()
            try (composed * weights).sum().backward()
            assertClose(h1.grad!, h2.grad!, rtol: 1e-4, atol: 1e-5, "d hidden, τ = \(temperature)")
            assertClose(w1.grad!, w2.grad!, rtol: 1e-4, atol: 1e-5, "d table, τ = \(temperature)")
        }
    }

    /// Finite differences through both inputs, with skipped rows, and accumulating into existing gradients.
    func testGradientCheck() throws {
        var rng = SeededGenerator(seed: 22)
        let h = Variable(Tensor.randomNormal([3, 4, 6], using: &rng), requiresGrad: true)
        let w = Variable(Tensor.randomNormal([9, 6], standardDeviation: 0.5, using: &rng), requiresGrad: true)
        let some: [Int32] = [1, -1, 8, 0, 4, 4, -1, 7, 2, 3, 5, -1]
        let all: [Int32] = [1, 6, 8, 0, 4, 4, 2, 7, 2, 3, 5, 0]
        try checkGradients(of: [h, w], "tiedProjectionLogProbabilities, skipped rows, τ = 0.8") {
            Variable.tiedProjectionLogProbabilities(hidden: $0[0], table: $0[1], targets: some, temperature: 0.8).logProbabilities
        }
        try checkGradients(of: [h, w], "tiedProjectionLogProbabilities, every row, twice") {
            Variable.tiedProjectionLogProbabilities(hidden: $0[0], table: $0[1], targets: all).logProbabilities
                + Variable.tiedProjectionLogProbabilities(hidden: $0[0], table: $0[1], targets: some, temperature: 1.5).logProbabilities
        }
    }

    /// Excluded tokens on flagged rows: the log-probabilities and entropies of the softmax over the other tokens
    /// (the composed ops on logits with those entries at −∞), nothing changes on the other rows, a row's own target
    /// is kept, and the gradients pass a finite-difference check.
    func testExcludedTokensLeaveTheSoftmaxOfFlaggedRows() throws {
        var rng = SeededGenerator(seed: 23)
        let h = Tensor.randomNormal([2, 4, 6], using: &rng), w = Tensor.randomNormal([9, 6], using: &rng)
        let targets: [Int32] = [3, 5, 8, -1, 2, 7, 0, 4]
        let flagged = [true, true, false, true, true, false, false, false]
        let excluded: [Int32] = [7, 8]
        let (fused, entropies) = Variable.tiedProjectionLogProbabilities(
            hidden: Variable(h), table: Variable(w), targets: targets, temperature: 0.9, computeEntropies: true,
            excludedTokens: excluded, excludedRows: flagged)
        let logits = Variable(h).matmul(Variable(w), transposeOther: true).value.reshaped([8, 9]).scalars
        for row in 0..<8 where targets[row] >= 0 {
            var z = (0..<9).map { logits[row * 9 + $0] / 0.9 }
            if flagged[row] { for t in excluded where t != targets[row] { z[Int(t)] = -.infinity } }
            let m = z.max()!, sum = z.reduce(0) { $0 + exp($1 - m) }
            let expected = z[Int(targets[row])] - m - log(sum)
            XCTAssertEqual(fused.value.scalars[row], expected, accuracy: 1e-5, "row \(row)")
            let entropy = -z.reduce(Float(0)) { total, zj in let q = exp(zj - m) / sum; return q > 0 ? total + q * log(q) : total }
            XCTAssertEqual(entropies!.scalars[row], entropy, accuracy: 1e-4, "entropy of row \(row)")
        }
        XCTAssertTrue(fused.value.scalars[2].isFinite, "row 2's target (8) is excluded elsewhere but kept as its own target")
        let hv = Variable(Tensor.randomNormal([2, 4, 6], using: &rng), requiresGrad: true)
        let wv = Variable(Tensor.randomNormal([9, 6], standardDeviation: 0.5, using: &rng), requiresGrad: true)
        try checkGradients(of: [hv, wv], "tiedProjectionLogProbabilities, excluded tokens") {
            Variable.tiedProjectionLogProbabilities(hidden: $0[0], table: $0[1], targets: targets, temperature: 0.9,
                                                    excludedTokens: excluded, excludedRows: flagged).logProbabilities
        }
    }

    /// No row scored: zeros, zero entropies, and no gradient.
    func testNoTargets() throws {
        let h = Variable(Tensor(shape: [2, 3], repeating: 0.5), requiresGrad: true)
        let w = Variable(Tensor(shape: [4, 3], repeating: 0.1), requiresGrad: true)
        let (lp, entropies) = Variable.tiedProjectionLogProbabilities(hidden: h, table: w, targets: [-1, -1], computeEntropies: true)
        XCTAssertEqual(lp.value.scalars, [0, 0])
        XCTAssertEqual(entropies!.scalars, [0, 0])
        try lp.sum().backward()
        XCTAssertNil(w.grad)
    }
}
