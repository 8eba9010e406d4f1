// The basic layers: Linear, Embedding and LayerNorm, each a thin owner of its parameters around a fused op.
import TensorCore

/// A fully connected layer `y = x·Wᵀ + b` with W `[out, in]` (PyTorch's layout).
public final class Linear: Module {
    /// `[outFeatures, inFeatures]`.
    public let weight: Variable
    /// `[outFeatures]`, or nil for a layer without bias.
    public let bias: Variable?

    /// Creates a layer with weights drawn from N(0, `standardDeviation`²) and a zero bias.
    public init<G: RandomNumberGenerator>(
        inFeatures: Int, outFeatures: Int, bias: Bool = true, standardDeviation: Float = 0.02, using generator: inout G
    ) {
        weight = Variable(Tensor.randomNormal([outFeatures, inFeatures], standardDeviation: standardDeviation, using: &generator),
                          requiresGrad: true, name: "weight")
        self.bias = bias ? Variable(Tensor(zeros: [outFeatures]), requiresGrad: true, name: "bias") : nil
    }

    /// `x` `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Variable) -> Variable { x.linear(weight: weight, bias: bias) }

    public func namedParameters() -> [(String, Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// A lookup table of `count` vectors of size `dimension`.
public final class Embedding: Module {
    /// `[count, dimension]`.
    public var weight: Variable

    public init<G: RandomNumberGenerator>(count: Int, dimension: Int, standardDeviation: Float = 0.02, using generator: inout G) {
        weight = Variable(Tensor.randomNormal([count, dimension], standardDeviation: standardDeviation, using: &generator),
                          requiresGrad: true, name: "weight")
    }

    /// Rows at `indices` (shape `indexShape`) → `indexShape + [dimension]`.
    /// - Throws: `TensorError.indexOutOfRange` for an id outside the table.
    public func callAsFunction(_ indices: [Int32], shape indexShape: [Int]) throws -> Variable {
        try weight.embedding(indices, shape: indexShape)
    }

    public func namedParameters() -> [(String, Variable)] { [("weight", weight)] }
}

/// Layer normalisation over the last axis with a learned gain (init 1) and bias (init 0).
public final class LayerNorm: Module {
    public let weight: Variable
    public let bias: Variable
    public let epsilon: Float

    public init(dimension: Int, epsilon: Float = 1e-5) {
        weight = Variable(Tensor(shape: [dimension], repeating: 1), requiresGrad: true, name: "weight")
        bias = Variable(Tensor(zeros: [dimension]), requiresGrad: true, name: "bias")
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Variable) -> Variable { x.layerNorm(weight: weight, bias: bias, epsilon: epsilon) }

    public func namedParameters() -> [(String, Variable)] { [("weight", weight), ("bias", bias)] }
}
