// Fused kernels on shapes large enough to split across threads (Compute.parallelFor and the blocked GEMM),
// compared with their composed versions, so that chunk boundaries and accumulation into existing gradients
// (beta = 1) are exercised where a small gradient check cannot reach.
import TensorCore
import TestSupport
import XCTest

final class ThreadedPathTests: XCTestCase {
    var rng = SeededGenerator(seed: 81)
    var savedThreads = 1

    override func setUp() {
        savedThreads = Compute.threadCount
        Compute.threadCount = 2
    }

    override func tearDown() { Compute.threadCount = savedThreads }

    func variable(_ shape: [Int], scale: Float = 1) -> Variable {
        Variable(Tensor.randomNormal(shape, standardDeviation: scale, using: &rng), requiresGrad: true)
    }

    func testSoftmaxAndLogSoftmax() throws {
        let x = variable([2, 40, 1024], scale: 2)
        try assertSameValueAndGradients(of: [x], rtol: 1e-3, atol: 1e-6, "softmax",
            fused: { $0[0].softmax() },
            composed: {
                let e = ($0[0] - Variable($0[0].value.max(axis: -1, keepingDimension: true))).exp()
                return e / e.sum(axis: -1, keepingDimension: true)
            })
        try assertSameValueAndGradients(of: [x], rtol: 1e-3, atol: 1e-5, "logSoftmax",
            fused: { $0[0].logSoftmax() },
            composed: { $0[0].softmax().log() })
    }

    func testLayerNormAndAccumulation() throws {
        let x = variable([80, 512], scale: 3), w = variable([512]), b = variable([512])
        try assertSameValueAndGradients(of: [x, w, b], rtol: 1e-3, atol: 1e-4, "layerNorm used twice",
            fused: { $0[0].layerNorm(weight: $0[1], bias: $0[2]) + $0[0].layerNorm(weight: $0[1], bias: $0[2]) * 0.5 },
            composed: {
                let mu = $0[0].mean(axis: -1, keepingDimension: true)
                let d = $0[0] - mu
                let y = d / ((d * d).mean(axis: -1, keepingDimension: true) + 1e-5).sqrt() * $0[1] + $0[2]
                return y * 1.5
            })
    }

    func testSelectedLogProbabilitiesAndCrossEntropy() throws {
        let logits = variable([96, 700], scale: 2)
        let targets = (0..<96).map { i in i % 7 == 3 ? Int32(-100) : Int32((i * 37) % 700) }
        var oneHot = Tensor(zeros: [96, 700])
        for (row, t) in targets.enumerated() where t >= 0 { oneHot[row, Int(t)] = 1 }
        try assertSameValueAndGradients(of: [logits], rtol: 1e-3, atol: 1e-5, "selectedLogProbabilities T = 0.8, twice",
            fused: {
                $0[0].selectedLogProbabilities(targets: targets.map { max($0, -1) }, temperature: 0.8)
                    + $0[0].selectedLogProbabilities(targets: targets.map { max($0, -1) }, temperature: 0.8)
            },
            composed: { ($0[0] * 1.25).logSoftmax() .* oneHot * 2 })
        let kept = Float(targets.filter { $0 >= 0 }.count)
        try assertSameValueAndGradients(of: [logits], rtol: 1e-3, atol: 1e-6, "crossEntropy",
            fused: { $0[0].crossEntropy(targets: targets) },
            composed: { ($0[0].logSoftmax() .* oneHot).sum() * (-1 / kept) })
    }

    func testUnaryBackwardAndLinear() throws {
        let x = variable([300, 300])
        try assertSameValueAndGradients(of: [x], rtol: 1e-4, atol: 1e-6, "tanh",
            fused: { $0[0].tanh() },
            composed: { inputs in
                // tanh x = 1 − 2 / (e^{2x} + 1)
                let e: Variable = (inputs[0] * 2).exp() + 1
                let one = Variable(Tensor(shape: e.shape, repeating: 2))
                return 1 - one / e
            })
        let input = variable([64, 300]), w = variable([400, 300], scale: 0.1), bias = variable([400])
        try assertSameValueAndGradients(of: [input, w, bias], rtol: 1e-3, atol: 1e-4, "linear used twice",
            fused: { $0[0].linear(weight: $0[1], bias: $0[2]) + $0[0].linear(weight: $0[1], bias: $0[2]) },
            composed: { ($0[0].matmul($0[1], transposeOther: true) + $0[2]) * 2 })
    }
}
