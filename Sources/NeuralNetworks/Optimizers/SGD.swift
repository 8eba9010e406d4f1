// Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay, matching
// torch.optim.SGD:   g ← g + λ·p;   b ← g (first step) or μ·b + (1 − τ)·g;   d ← g + μ·b (Nesterov) or b;
//                    p ← p − lr·d
// Each "x + α·y" is fused (one rounding), as PyTorch's CPU kernels for add(_, alpha:) are, so that the
// results agree with PyTorch bit for bit rather than to a few ulps.
import Foundation
import TensorCore

/// Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay, as `torch.optim.SGD`.
///
/// The momentum buffer of a parameter starts as a copy of its first (decayed) gradient, without dampening,
/// exactly as in PyTorch, and is keyed by the parameter's name.
public final class SGD: Optimizer {
    public let namedParameters: [(String, Variable)]
    /// The step size `lr`.
    public var learningRate: Float
    /// The momentum factor μ in [0, 1). Default 0 (plain SGD).
    public let momentum: Float
    /// The dampening τ in [0, 1) applied to new gradients in the momentum buffer. Default 0.
    public let dampening: Float
    /// Whether to use Nesterov momentum. Needs momentum > 0 and dampening 0.
    public let nesterov: Bool
    /// The L2 coefficient λ added to the gradient of decayed parameters. Default 0.
    public let weightDecay: Float
    public private(set) var stepCount = 0

    let decays: [Bool]
    /// Momentum buffers by parameter name (only when momentum > 0).
    var buffers: [String: Tensor] = [:]

    /// Creates an SGD optimizer.
    ///
    /// - Parameters:
    ///   - parameters: named parameters, usually `model.namedParameters()`; names must be unique.
    ///   - learningRate: the step size, ≥ 0.
    ///   - momentum: momentum factor in [0, 1). Default 0.
    ///   - dampening: dampening in [0, 1). Default 0.
    ///   - nesterov: use Nesterov momentum. Default false.
    ///   - weightDecay: L2 coefficient, ≥ 0. Default 0.
    ///   - weightDecayFilter: which parameters are decayed. Default `.matricesOnly` (rank ≥ 2).
    /// - Throws: `OptimizerError` for an empty or duplicated parameter list, an out-of-range hyperparameter,
    ///   or Nesterov without momentum.
    public init(
        parameters: [(String, Variable)], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        nesterov: Bool = false, weightDecay: Float = 0, weightDecayFilter: WeightDecayFilter = .matricesOnly
    ) throws(OptimizerError) {
        try OptimizerSupport.validate(parameters)
        try OptimizerError.requireNonNegative("learningRate", learningRate, example: "0.01")
        try OptimizerError.requireUnitInterval("momentum", momentum, example: "0.9")
        try OptimizerError.requireUnitInterval("dampening", dampening, example: "0")
        try OptimizerError.requireNonNegative("weightDecay", weightDecay, example: "1e-4")
        if nesterov && (momentum == 0 || dampening != 0) {
            throw .nesterovRequiresMomentum(momentum: momentum, dampening: dampening)
        }
        self.namedParameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decays = parameters.map { weightDecayFilter.includes($0.0, $0.1) }
    }

    public func step() {
        stepCount += 1
        for (index, (name, parameter)) in namedParameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            precondition(grad.shape == parameter.value.shape,
                         "gradient of '\(name)' has shape \(grad.shape) but the parameter has \(parameter.value.shape)")
            let decay = decays[index] ? weightDecay : 0
            let learningRate = self.learningRate, momentum = self.momentum, nesterov = self.nesterov
            guard momentum != 0 else {
                grad.withUnsafeBufferPointer { g in
                    parameter.value.withUnsafeMutableBufferPointer { p in
                        for i in 0..<p.count {
                            p[i] = fusedMultiplyAdd(-learningRate, fusedMultiplyAdd(decay, p[i], g[i]), p[i])
                        }
                    }
                }
                continue
            }
            let isFirst = buffers[name] == nil
            var buffer = buffers.removeValue(forKey: name) ?? Tensor(uninitializedShape: grad.shape)
            let keep = Float(1 - decimal(dampening))
            grad.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    buffer.withUnsafeMutableBufferPointer { b in
                        for i in 0..<p.count {
                            let d = decay == 0 ? g[i] : fusedMultiplyAdd(decay, p[i], g[i])
                            b[i] = isFirst ? d : fusedMultiplyAdd(keep, d, momentum * b[i])
                            p[i] = fusedMultiplyAdd(-learningRate, nesterov ? fusedMultiplyAdd(momentum, b[i], d) : b[i], p[i])
                        }
                    }
                }
            }
            buffers[name] = buffer
        }
    }

    // MARK: - State

    public func exportState() -> OptimizerState {
        var state = OptimizerState(scalars: ["stepCount": Double(stepCount), "learningRate": Double(learningRate)])
        for (name, buffer) in buffers { state.tensors["momentumBuffer/\(name)"] = buffer }
        return state
    }

    public func importState(_ state: OptimizerState) throws(CheckpointError) {
        let grouped = try OptimizerSupport.validateTensors(state, kinds: ["momentumBuffer"], parameters: namedParameters)
        try OptimizerSupport.validateScalarKeys(state, allowed: ["stepCount", "learningRate"])
        let newStepCount = try OptimizerSupport.count(state, "stepCount")
        let newLearningRate = try OptimizerSupport.learningRate(state)
        stepCount = newStepCount
        learningRate = newLearningRate
        buffers = grouped.mapValues { $0["momentumBuffer"]! }
    }
}

/// `a·b + c` with (almost always) a single rounding, like `fmaf`, but vectorisable on CPUs without an FMA
/// target flag: the product of two Floats is exact in Double, so only the final sum is rounded twice, which
/// differs from a true fused result only in rare halfway cases.
@inline(__always)
func fusedMultiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
    Float(Double(a) * Double(b) + Double(c))
}
