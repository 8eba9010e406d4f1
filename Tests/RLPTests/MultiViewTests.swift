// RLP-UML's pieces: the JS mutual-information estimator, the symmetrised KL, gradients of the multi-view loss, and
// its reaching the reward model's trunk through RewardModelTrainer's extra loss term.
import XCTest
import LanguageModels
import NeuralNetworks
import RewardModeling
import RLP
import TensorCore
import TestSupport

final class MultiViewTests: XCTestCase {
    /// Trains the critic alone on fresh batches of (z₁, z₂) and returns Î_JS on a fresh held-out batch.
    func trainedMI(correlated: Bool, steps: Int = 150) throws -> (initial: Double, final: Double) {
        var rng = SeededGenerator(seed: 7)
        let d = 4, b = 64
        let critic = JensenShannonCritic(codeSize: d, hiddenSize: 32, using: &rng)
        let optimizer = try Adam(parameters: critic.namedParameters(), learningRate: 3e-3)
        func batch() -> (Variable, Variable) {
            let z1 = Tensor.randomNormal([b, d], using: &rng)
            let z2 = correlated ? z1 + Tensor.randomNormal([b, d], standardDeviation: 0.3, using: &rng)
                                : Tensor.randomNormal([b, d], using: &rng)
            return (Variable(z1), Variable(z2))
        }
        func estimate() throws -> Double {
            let (z1, z2) = batch()
            return Double(try withoutGradients { try critic.mutualInformation(z1, z2) }.value.scalars[0])
        }
        let initial = try estimate()
        for _ in 0..<steps {
            optimizer.zeroGradients()
            let (z1, z2) = batch()
            try (-(try critic.mutualInformation(z1, z2))).backward()
            optimizer.step()
        }
        return (initial, try estimate())
    }

    func testMutualInformationRisesOnCorrelatedViewsAndNotOnShuffledOnes() throws {
        let floor = -2 * log(2.0)
        let correlated = try trainedMI(correlated: true)
        let shuffled = try trainedMI(correlated: false)
        // Î_JS ≤ −2 log 2 in expectation on independent views whatever the critic; training lifts it on correlated ones.
        XCTAssertGreaterThan(correlated.final - correlated.initial, 0.5, "Î_JS rises on correlated views: \(correlated)")
        XCTAssertGreaterThan(correlated.final, floor + 0.5, "\(correlated)")
        XCTAssertLessThan(shuffled.final, floor + 0.1, "Î_JS stays at or below −2 log 2 on independent views: \(shuffled)")
        XCTAssertGreaterThan(correlated.final, shuffled.final + 0.5)
    }

    func testSymmetrizedKLIsZeroForIdenticalEncodersAndViews() throws {
        var rng = SeededGenerator(seed: 1)
        let encoder = GaussianEncoder(inputSize: 8, hiddenSize: 16, codeSize: 4, using: &rng)
        let h = Variable(Tensor.randomNormal([5, 8], using: &rng))
        let p1 = encoder(h), p2 = encoder(h)
        let z1 = p1.sample(noise: Tensor.randomNormal([5, 4], using: &rng))
        let z2 = p2.sample(noise: Tensor.randomNormal([5, 4], using: &rng))
        XCTAssertEqual(symmetrizedKL(posterior1: p1, posterior2: p2, z1: z1, z2: z2).value.scalars[0], 0, accuracy: 1e-6)
        // Hand-computed: N(0, 1) and N(1, 1) in one dimension, z₁ = 0, z₂ = 1: each log-ratio is ½, SKL = ½.
        let q1 = DiagonalGaussian(mean: Variable(Tensor(shape: [1, 1], scalars: [0])), standardDeviation: Variable(Tensor(shape: [1, 1], scalars: [1])))
        let q2 = DiagonalGaussian(mean: Variable(Tensor(shape: [1, 1], scalars: [1])), standardDeviation: Variable(Tensor(shape: [1, 1], scalars: [1])))
        XCTAssertEqual(symmetrizedKL(posterior1: q1, posterior2: q2, z1: Variable(Tensor(shape: [1, 1], scalars: [0])),
                                     z2: Variable(Tensor(shape: [1, 1], scalars: [1]))).value.scalars[0], 0.5, accuracy: 1e-6)
    }

    func testEncoderStartsWithUnitStandardDeviation() {
        var rng = SeededGenerator(seed: 4)
        let encoder = GaussianEncoder(inputSize: 8, hiddenSize: 16, codeSize: 4, using: &rng)
        let sd = encoder(Variable(Tensor.randomNormal([3, 8], standardDeviation: 5, using: &rng))).standardDeviation.value.scalars
        for s in sd { XCTAssertEqual(s, 1, accuracy: 1e-5) }
    }

    func testGaussianLogDensityMatchesTheFormula() throws {
        let mean = Variable(Tensor(shape: [1, 2], scalars: [0.5, -1]))
        let sd = Variable(Tensor(shape: [1, 2], scalars: [2, 0.5]))
        let z = Variable(Tensor(shape: [1, 2], scalars: [1.5, 0]))
        let expected = -0.5 * (0.25 + 4) - log(2.0) - log(0.5)
        XCTAssertEqual(Double(DiagonalGaussian(mean: mean, standardDeviation: sd).logDensity(z).value.scalars[0]), expected, accuracy: 1e-5)
    }

    func testMultiViewLossGradientsMatchFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 3)
        let mib = MultiViewInformationBottleneck(inputSize: 6, hiddenSize: 8, codeSize: 3, using: &rng)
        let h1 = Variable(Tensor.randomNormal([4, 6], using: &rng), requiresGrad: true)
        let h2 = Variable(Tensor.randomNormal([4, 6], using: &rng), requiresGrad: true)
        try checkGradients(of: [h1, h2], epsilon: 1e-2, rtol: 5e-2, atol: 2e-3, "L_M w.r.t. both views") { inputs in
            var noise = SeededGenerator(seed: 11)   // the same reparameterisation noise at every evaluation
            return try mib.loss(inputs[0], inputs[1], using: &noise).loss
        }
        let weight = mib.encoder.scaleNetwork.layers[2].weight
        try checkGradients(of: [weight], epsilon: 2e-3, rtol: 5e-2, atol: 2e-3, "L_M w.r.t. the σ network") { _ in
            var noise = SeededGenerator(seed: 11)
            return try mib.loss(h1.detached(), h2.detached(), using: &noise).loss
        }
    }

    func testAuxiliaryLossTrainsTheRewardModelTrunkAndItsOwnParameters() throws {
        var rng = SeededGenerator(seed: 5)
        let trunk = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40), using: &rng)
        let model = RewardModel(trunk: trunk, using: &rng)
        let mib = MultiViewInformationBottleneck(inputSize: 16, hiddenSize: 8, codeSize: 4, using: &rng)
        let groups = [ComparisonGroup(promptTokens: [1, 2], completionTokens: [[3], [4]]),
                      ComparisonGroup(promptTokens: [5, 6], completionTokens: [[7, 8], [9]])]
        var config = RewardModelConfig()
        config.learningRate = 1e-2
        let trainer = try RewardModelTrainer(model: model, config: config, padToken: 0, training: groups,
                                             auxiliaryParameters: mib.namedParameters())
        var noise = SeededGenerator(seed: 2)
        trainer.auxiliaryLoss = { _ in
            let h = try lastTokenRepresentations(model, TokenBatch(rightPadding: [[1, 2, 3], [5, 6, 7], [1, 2, 4, 4], [5, 6, 9]], padToken: 0))
            let terms = try mib.loss(h.slice(axis: 0, 0..<2), h.slice(axis: 0, 2..<4), using: &noise)
            return (terms.loss * 0.5, ["rlp/mutual_information": terms.mutualInformation])
        }
        let embedding = model.trunk.namedParameters().first { $0.0.hasPrefix("tokenEmbedding") }!.1
        let critic = mib.critic.network.layers[0].weight
        let (embeddingBefore, criticBefore) = (embedding.value.scalars, critic.value.scalars)
        let metrics = try trainer.trainStep(trainer.nextBatch())
        XCTAssertNotNil(metrics["rlp/mutual_information"])
        XCTAssertNotNil(metrics["reward/auxiliary_loss"])
        XCTAssertEqual(metrics["reward/loss"]!, metrics["reward/bradley_terry_loss"]! + metrics["reward/auxiliary_loss"]!, accuracy: 1e-5)
        XCTAssertNotEqual(critic.value.scalars, criticBefore, "the critic is trained by the reward trainer's optimizer")
        XCTAssertNotEqual(embedding.value.scalars, embeddingBefore)
        // The trunk gets a gradient from L_M alone (not only from Bradley–Terry).
        model.zeroGradients()
        var fixed = SeededGenerator(seed: 2)
        let h = try lastTokenRepresentations(model, TokenBatch(rightPadding: [[1, 2, 3], [5, 6, 7], [1, 2, 4, 4], [5, 6, 9]], padToken: 0))
        try mib.loss(h.slice(axis: 0, 0..<2), h.slice(axis: 0, 2..<4), using: &fixed).loss.backward()
        let trunkGradient = model.trunk.parameters().compactMap(\.grad).flatMap(\.scalars).map(abs).max() ?? 0
        XCTAssertGreaterThan(trunkGradient, 0, "gradients of L_M flow into the reward model's trunk")
    }
}
