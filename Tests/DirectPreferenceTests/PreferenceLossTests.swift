// Each loss against a hand-computed small case (values and gradients), and the stable log(1 − eᵃ).
import DirectPreference
import Foundation
import TensorCore
import XCTest

final class PreferenceLossTests: XCTestCase {
    func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Gradients of `loss` with respect to the given variables after backward.
    func gradients(_ loss: Variable, _ inputs: [Variable]) throws -> [[Float]] {
        try loss.backward()
        return inputs.map { $0.grad?.scalars ?? [] }
    }

    func assertClose(_ a: [Float], _ b: [Double], accuracy: Double = 1e-5, _ message: String = "", line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(Double(x), y, accuracy: accuracy, message, line: line) }
    }

    // Two pairs: policy (−10, −12) / (−11, −9), reference (−10.5, −11) / (−10, −10), lengths (4, 5) / (2, 3).
    // ρ_w = (0.5, −1), ρ_l = (−1, 1), Δ = (1.5, −2).
    let pw: [Float] = [-10, -11], pl: [Float] = [-12, -9], rw: [Float] = [-10.5, -10], rl: [Float] = [-11, -10]
    let lw = [4, 2], ll = [5, 3]

    func dpo(_ type: DPOLossType, beta: Double = 0.1, smoothing: Double = 0) throws -> (PreferenceLossResult, [[Float]]) {
        let w = Variable(Tensor(shape: [2], scalars: pw), requiresGrad: true)
        let l = Variable(Tensor(shape: [2], scalars: pl), requiresGrad: true)
        let result = dpoLoss(policyChosen: w, policyRejected: l, referenceChosen: rw, referenceRejected: rl,
                             chosenLengths: lw, rejectedLengths: ll, beta: beta, type: type, labelSmoothing: smoothing)
        return (result, try gradients(result.loss, [w, l]))
    }

    func testSigmoidLossAndGradient() throws {
        let (r, g) = try dpo(.sigmoid)
        // L = mean(−log σ(0.15), −log σ(−0.2)); dL/dΔ_i = −β σ(−βΔ_i) / 2.
        let expected = (-log(sigma(0.15)) - log(sigma(-0.2))) / 2
        XCTAssertEqual(Double(r.loss.value.item), expected, accuracy: 1e-6)
        let d = [-0.1 * sigma(-0.15) / 2, -0.1 * sigma(0.2) / 2]
        assertClose(g[0], d)
        assertClose(g[1], d.map { -$0 })
        XCTAssertEqual(r.chosenRewards[0], 0.05, accuracy: 1e-6)
        XCTAssertEqual(r.rejectedRewards[1], 0.1, accuracy: 1e-6)
        XCTAssertEqual(r.rewardAccuracy, 0.5)
        XCTAssertEqual(r.rewardMargin!, (0.15 - 0.2) / 2, accuracy: 1e-6)
    }

    func testConservativeSigmoidWithLabelSmoothing() throws {
        let (r, _) = try dpo(.sigmoid, smoothing: 0.2)
        let expected = ((-0.8 * log(sigma(0.15)) - 0.2 * log(sigma(-0.15))) + (-0.8 * log(sigma(-0.2)) - 0.2 * log(sigma(0.2)))) / 2
        XCTAssertEqual(Double(r.loss.value.item), expected, accuracy: 1e-6)
    }

    func testHingeLossAndGradient() throws {
        let (r, g) = try dpo(.hinge, beta: 1)
        // βΔ = (1.5, −2): relu(1 − 1.5) = 0, relu(1 + 2) = 3 → mean 1.5; only the second pair has gradient −β/2.
        XCTAssertEqual(Double(r.loss.value.item), 1.5, accuracy: 1e-6)
        assertClose(g[0], [0, -0.5])
        assertClose(g[1], [0, 0.5])
    }

    func testRobustLossAndGradient() throws {
        let (r, g) = try dpo(.robust, smoothing: 0.1)
        func ell(_ x: Double) -> Double { (-0.9 * log(sigma(x)) + 0.1 * log(sigma(-x))) / 0.8 }
        XCTAssertEqual(Double(r.loss.value.item), (ell(0.15) + ell(-0.2)) / 2, accuracy: 1e-6)
        func dx(_ x: Double) -> Double { (-0.9 * sigma(-x) - 0.1 * sigma(x)) / 0.8 }
        assertClose(g[0], [0.1 * dx(0.15) / 2, 0.1 * dx(-0.2) / 2])
    }

    func testIPOUsesLengthAveragedLogRatios() throws {
        let (r, g) = try dpo(.ipo)
        // ρ̄_w = (0.5/4, −1/2) = (0.125, −0.5), ρ̄_l = (−1/5, 1/3); h = ρ̄_w − ρ̄_l − 1/(2·0.1) = (0.325 − 5, −5/6 − 5).
        let h = [0.325 - 5, -0.5 - 1.0 / 3 - 5]
        XCTAssertEqual(Double(r.loss.value.item), (h[0] * h[0] + h[1] * h[1]) / 2, accuracy: 1e-4)
        assertClose(g[0], [2 * h[0] / 4 / 2, 2 * h[1] / 2 / 2], accuracy: 1e-4)
        assertClose(g[1], [-2 * h[0] / 5 / 2, -2 * h[1] / 3 / 2], accuracy: 1e-4)
        XCTAssertEqual(r.chosenRewards[0], 0.0125, accuracy: 1e-6)
    }

    func testKTOLossReferencePointAndGradient() throws {
        // Mismatched log-ratios (0.5, −0.1, 0.2) → z = max(0, 0.2) = 0.2.
        let z = ktoReferencePoint(policyMismatched: [-9.5, -20.1, -5.8], referenceMismatched: [-10, -20, -6])
        XCTAssertEqual(z, 0.2, accuracy: 1e-5)
        XCTAssertEqual(ktoReferencePoint(policyMismatched: [-11], referenceMismatched: [-10]), 0)
        let p = Variable(Tensor(shape: [2], scalars: [-9, -13]), requiresGrad: true)
        // ρ = (1, −1); desirable: 1 − σ(0.1·(1 − 0.2)); undesirable: 1 − σ(0.1·(0.2 + 1)), weights 1 and 2.
        let r = ktoLoss(policy: p, reference: [-10, -12], desirable: [true, false], referencePoint: 0.2, beta: 0.1,
                        desirableWeight: 1, undesirableWeight: 2)
        let expected = ((1 - sigma(0.08)) + 2 * (1 - sigma(0.12))) / 2
        XCTAssertEqual(Double(r.loss.value.item), expected, accuracy: 1e-6)
        let g = try gradients(r.loss, [p])[0]
        assertClose(g, [-0.1 * sigma(0.08) * (1 - sigma(0.08)) / 2, 2 * 0.1 * sigma(0.12) * (1 - sigma(0.12)) / 2])
        XCTAssertEqual(r.chosenRewards, [0.1])
        XCTAssertEqual(r.rejectedRewards[0], -0.1, accuracy: 1e-7)
    }

    func testORPOLossAndGradient() throws {
        // Lengths (2, 4): ā_w = −1/2 = −0.5 (sum −1), ā_l = −8/4 = −2 (sum −8).
        let w = Variable(Tensor(shape: [1], scalars: [-1]), requiresGrad: true)
        let l = Variable(Tensor(shape: [1], scalars: [-8]), requiresGrad: true)
        let r = orpoLoss(policyChosen: w, policyRejected: l, chosenLengths: [2], rejectedLengths: [4], beta: 0.1)
        let logOdds = (-0.5 + 2) - (log(1 - exp(-0.5)) - log(1 - exp(-2)))
        let nll = 1.0 / 2
        XCTAssertEqual(Double(r.loss.value.item), nll - 0.1 * log(sigma(logOdds)), accuracy: 1e-6)
        XCTAssertEqual(r.statistics["log_odds_chosen"]!, logOdds, accuracy: 1e-9)
        XCTAssertEqual(r.statistics["nll_loss"]!, nll, accuracy: 1e-9)
        // Numerical gradient of the same formula.
        func f(_ sw: Double, _ sl: Double) -> Double {
            let aw = sw / 2, al = sl / 4
            let u = (aw - al) - (log(1 - exp(aw)) - log(1 - exp(al)))
            return -sw / 2 - 0.1 * log(sigma(u))
        }
        let g = try gradients(r.loss, [w, l])
        let h = 1e-6
        XCTAssertEqual(Double(g[0][0]), (f(-1 + h, -8) - f(-1 - h, -8)) / (2 * h), accuracy: 1e-5)
        XCTAssertEqual(Double(g[1][0]), (f(-1, -8 + h) - f(-1, -8 - h)) / (2 * h), accuracy: 1e-5)
    }

    func testLog1mexpIsStableAtBothEnds() {
        XCTAssertEqual(log1mexp(-1e-10), log(1e-10), accuracy: 1e-6)      // 1 − e^a ≈ −a
        XCTAssertEqual(log1mexp(-50), -exp(-50), accuracy: 1e-30)        // log1p(−e^a) ≈ −e^a
        XCTAssertEqual(log1mexp(-1), log(1 - exp(-1)), accuracy: 1e-12)
        XCTAssertTrue(log1mexp(-1e-30).isFinite)
    }
}
