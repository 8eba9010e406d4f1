// RLP-UML's multi-view loss (Lang et al. 2024, arXiv 2403.19279, §4.2) after the multi-view information bottleneck
// (MIB) of Federici et al. 2020 (arXiv 2002.07017; code github.com/mfederici/Multi-View-Information-Bottleneck): a
// Gaussian encoder on each view's reward-model representation, a Jensen–Shannon mutual-information critic between the
// two views' codes, and the symmetrised KL between the two views' posteriors. Shapes: B views per side, C
// representation width, D code size.
import Foundation
import NeuralNetworks
import TensorCore

/// A multilayer perceptron: `Linear → ReLU → … → Linear`.
public final class MLP: Module {
    public let layers: [Linear]

    /// - Parameter sizes: input width, hidden widths…, output width (at least two entries).
    public init<G: RandomNumberGenerator>(sizes: [Int], using generator: inout G) {
        precondition(sizes.count >= 2, "an MLP needs an input and an output width")
        layers = (0..<(sizes.count - 1)).map { i in
            // He-style initialisation keeps ReLU activations at unit scale.
            Linear(inFeatures: sizes[i], outFeatures: sizes[i + 1],
                   standardDeviation: Float((2.0 / Double(sizes[i])).squareRoot()), using: &generator)
        }
    }

    /// `[…, in]` → `[…, out]`, ReLU between layers.
    public func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.relu() }
        }
        return h
    }

    public func namedParameters() -> [(String, Variable)] {
        layers.enumerated().flatMap { prefixed("layers.\($0.offset)", $0.element) }
    }
}

/// A diagonal Gaussian over codes: mean `[B, D]` and standard deviation `[B, D]`.
public struct DiagonalGaussian {
    public var mean: Variable
    public var standardDeviation: Variable

    public init(mean: Variable, standardDeviation: Variable) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// A reparameterised sample `μ + σ ⊙ ε`, with ε `[B, D]` standard normal noise.
    public func sample(noise: Tensor) -> Variable { mean + standardDeviation * Variable(noise) }

    /// `log p(z)` per row, `[B]`, without the constant `−(D/2) log 2π` (it cancels in every difference used here).
    public func logDensity(_ z: Variable) -> Variable {
        let standardized = (z - mean) / standardDeviation
        return (standardized * standardized * -0.5 - standardDeviation.log()).sum(axis: 1)
    }
}

/// The encoder `p_ψ(z | v) = N(μ(h), diag(σ(h)²))` with μ and σ 3-layer MLPs and `σ = softplus(·) + 1e−7` (MIB).
///
/// The σ network's last layer starts at weight 0 and bias softplus⁻¹(1), so every posterior starts with σ = 1, and the
/// μ network's last layer at a tenth of its random scale: a randomly initialised σ network gives some codes σ ≪ 1, and
/// the symmetrised KL, which divides by σ², then starts in the thousands and swamps the Bradley–Terry gradient (MIB
/// avoids the same blow-up by annealing β from 1e−3).
public final class GaussianEncoder: Module {
    public let meanNetwork: MLP
    public let scaleNetwork: MLP

    /// - Parameters:
    ///   - inputSize: The representation width C (the reward model's embedding size).
    ///   - hiddenSize: Width of the two hidden layers (toy default: 64).
    ///   - codeSize: D (toy default: 16).
    public init<G: RandomNumberGenerator>(inputSize: Int, hiddenSize: Int = 64, codeSize: Int = 16, using generator: inout G) {
        meanNetwork = MLP(sizes: [inputSize, hiddenSize, hiddenSize, codeSize], using: &generator)
        scaleNetwork = MLP(sizes: [inputSize, hiddenSize, hiddenSize, codeSize], using: &generator)
        let meanLast = meanNetwork.layers[meanNetwork.layers.count - 1]
        meanLast.weight.value = meanLast.weight.value * 0.1
        let last = scaleNetwork.layers[scaleNetwork.layers.count - 1]
        last.weight.value = Tensor(zeros: last.weight.shape)
        last.bias?.value = Tensor(shape: [codeSize], repeating: Float(Foundation.log(Foundation.exp(1.0) - 1)))
    }

    /// The posterior of each row of `h` `[B, C]`.
    public func callAsFunction(_ h: Variable) -> DiagonalGaussian {
        DiagonalGaussian(mean: meanNetwork(h), standardDeviation: scaleNetwork(h).softplus() + 1e-7)
    }

    public func namedParameters() -> [(String, Variable)] {
        prefixed("mean", meanNetwork) + prefixed("scale", scaleNetwork)
    }
}

/// The Jensen–Shannon mutual-information estimator (Hjelm et al. 2019) with a critic `T(z₁, z₂)`, an MLP on the
/// concatenated codes.
///
/// `Î_JS = −mean softplus(−T(z₁ᵇ, z₂ᵇ)) − mean softplus(T(z₁^{b−1}, z₂ᵇ))`: positives pair the two views of one
/// prompt, negatives pair view 1 of the previous row (the batch rolled by one, as MIB's `torch.roll`) with view 2.
/// It is −2 log 2 for a critic that cannot tell them apart and rises towards 0 as the critic separates them.
public final class JensenShannonCritic: Module {
    public let network: MLP

    /// - Parameters:
    ///   - codeSize: D of each side; the critic reads `2·D`.
    ///   - hiddenSize: Width of its two hidden layers.
    public init<G: RandomNumberGenerator>(codeSize: Int, hiddenSize: Int = 64, using generator: inout G) {
        network = MLP(sizes: [2 * codeSize, hiddenSize, hiddenSize, 1], using: &generator)
    }

    /// `Î_JS(z₁; z₂)`, a scalar, for codes `[B, D]` with B ≥ 2.
    public func mutualInformation(_ z1: Variable, _ z2: Variable) throws -> Variable {
        let b = z1.shape[0]
        precondition(b >= 2 && z2.shape == z1.shape, "the MI estimator needs two [B, D] code batches with B ≥ 2")
        let rolled = try z1.embedding((0..<b).map { Int32(($0 + b - 1) % b) }, shape: [b])
        let positive = network(Variable.concatenate([z1, z2], axis: 1))
        let negative = network(Variable.concatenate([rolled, z2], axis: 1))
        return -((-positive).softplus().mean()) - negative.softplus().mean()
    }

    public func namedParameters() -> [(String, Variable)] { prefixed("network", network) }
}

/// The symmetrised KL of MIB, evaluated at the samples:
/// `½ mean_b[(log p(z₁|v₁) − log p(z₁|v₂)) + (log p(z₂|v₂) − log p(z₂|v₁))]`. It is 0 when both posteriors coincide.
public func symmetrizedKL(posterior1: DiagonalGaussian, posterior2: DiagonalGaussian, z1: Variable, z2: Variable) -> Variable {
    let kl12 = posterior1.logDensity(z1) - posterior2.logDensity(z1)
    let kl21 = posterior2.logDensity(z2) - posterior1.logDensity(z2)
    return (kl12 + kl21).mean() * 0.5
}

/// The parts of one evaluation of the multi-view loss.
public struct MultiViewLossTerms {
    /// `L_M = −Î + β·SKL`, differentiable.
    public var loss: Variable
    /// `Î_JS` (value only).
    public var mutualInformation: Double
    /// SKL (value only).
    public var symmetrizedKL: Double
}

/// The multi-view information-bottleneck objective on two views' representations: one shared Gaussian encoder
/// (both views are responses to the same prompt, so one ψ serves both) and the JS critic.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let mib = MultiViewInformationBottleneck(inputSize: 64, using: &rng)
/// let terms = try mib.loss(h1, h2, using: &rng)   // h1, h2: [B, 64] last-token hidden states of two responses
/// ```
public final class MultiViewInformationBottleneck: Module {
    public let encoder: GaussianEncoder
    public let critic: JensenShannonCritic
    /// β, the weight of SKL (RLP: 1; MIB anneals it). Default 1.
    public var beta: Float

    public init<G: RandomNumberGenerator>(inputSize: Int, hiddenSize: Int = 64, codeSize: Int = 16, beta: Float = 1,
                                          using generator: inout G) {
        encoder = GaussianEncoder(inputSize: inputSize, hiddenSize: hiddenSize, codeSize: codeSize, using: &generator)
        critic = JensenShannonCritic(codeSize: codeSize, hiddenSize: hiddenSize, using: &generator)
        self.beta = beta
    }

    /// `L_M = −Î_JS(z₁; z₂) + β·SKL` for representations `h1`, `h2` `[B, C]` of the two views (row b of each is a
    /// response to the same prompt), with reparameterised samples drawn from `generator`.
    public func loss<G: RandomNumberGenerator>(_ h1: Variable, _ h2: Variable, using generator: inout G) throws -> MultiViewLossTerms {
        let p1 = encoder(h1), p2 = encoder(h2)
        let shape = p1.mean.shape
        let z1 = p1.sample(noise: Tensor.randomNormal(shape, using: &generator))
        let z2 = p2.sample(noise: Tensor.randomNormal(shape, using: &generator))
        let mi = try critic.mutualInformation(z1, z2)
        let skl = symmetrizedKL(posterior1: p1, posterior2: p2, z1: z1, z2: z2)
        return MultiViewLossTerms(loss: skl * beta - mi, mutualInformation: Double(mi.value.scalars[0]),
                                  symmetrizedKL: Double(skl.value.scalars[0]))
    }

    public func namedParameters() -> [(String, Variable)] {
        prefixed("encoder", encoder) + prefixed("critic", critic)
    }
}
