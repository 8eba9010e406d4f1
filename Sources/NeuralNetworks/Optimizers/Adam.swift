// Adam and AdamW, with PyTorch's exact update order (torch.optim.Adam / AdamW, single-tensor path):
//   g ← g + λ·p                       (Adam: coupled L2 decay)     p ← p·(1 − lr·λ)   (AdamW: decoupled)
//   m ← m + (1 − β₁)(g − m)           v ← β₂·v + (1 − β₂)·g²
//   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
// The step t is counted per parameter, so a parameter skipped for lack of a gradient keeps its own count.
import Foundation
import TensorCore

/// The Adam optimizer (Kingma & Ba, arXiv 1412.6980), matching `torch.optim.Adam`.
///
/// Weight decay here is the classic L2 form, added to the gradient before the moments; use `AdamW` for
/// decoupled decay. Moments are created lazily on a parameter's first gradient and keyed by its name.
public class Adam: Optimizer {
    public let namedParameters: [(String, Variable)]
    /// The step size `lr`. Default 1e-3.
    public var learningRate: Float
    /// The decay rates (β₁, β₂) of the first and second moments. Default (0.9, 0.999).
    public let betas: (Float, Float)
    /// Added to the bias-corrected √v in the denominator. Default 1e-8.
    public let epsilon: Float
    /// The decay coefficient λ (L2 for Adam, decoupled for AdamW).
    public let weightDecay: Float
    /// Whether decay is decoupled from the gradient (AdamW) rather than added to it (Adam).
    public let decoupledWeightDecay: Bool
    public private(set) var stepCount = 0

    /// Whether each parameter (in `namedParameters` order) is decayed.
    let decays: [Bool]
    /// Per-parameter moments, keyed by parameter name.
    var moments: [String: Moments] = [:]

    final class Moments {
        var step: Int
        var first: Tensor
        var second: Tensor
        init(step: Int, first: Tensor, second: Tensor) {
            self.step = step
            self.first = first
            self.second = second
        }
    }

    /// Creates an Adam optimizer.
    ///
    /// - Parameters:
    ///   - parameters: named parameters, usually `model.namedParameters()`; names must be unique.
    ///   - learningRate: the step size, ≥ 0. Default 1e-3.
    ///   - betas: moment decay rates, each in [0, 1). Default (0.9, 0.999).
    ///   - epsilon: denominator term, > 0. Default 1e-8.
    ///   - weightDecay: L2 coefficient added to the gradient, ≥ 0. Default 0.
    ///   - weightDecayFilter: which parameters are decayed. Default `.matricesOnly` (rank ≥ 2).
    /// - Throws: `OptimizerError` for an empty or duplicated parameter list or an out-of-range hyperparameter.
    public convenience init(
        parameters: [(String, Variable)], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 0, weightDecayFilter: WeightDecayFilter = .matricesOnly
    ) throws(OptimizerError) {
        try self.init(parameters: parameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                      weightDecay: weightDecay, weightDecayFilter: weightDecayFilter, decoupledWeightDecay: false)
    }

    init(
        parameters: [(String, Variable)], learningRate: Float, betas: (Float, Float), epsilon: Float,
        weightDecay: Float, weightDecayFilter: WeightDecayFilter, decoupledWeightDecay: Bool
    ) throws(OptimizerError) {
        try OptimizerSupport.validate(parameters)
        try OptimizerError.requireNonNegative("learningRate", learningRate, example: "3e-4")
        try OptimizerError.requireUnitInterval("betas.0", betas.0, example: "0.9")
        try OptimizerError.requireUnitInterval("betas.1", betas.1, example: "0.999 or 0.95")
        try OptimizerError.requirePositive("epsilon", epsilon, example: "1e-8")
        try OptimizerError.requireNonNegative("weightDecay", weightDecay, example: "0.1")
        self.namedParameters = parameters
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.decays = parameters.map { weightDecayFilter.includes($0.0, $0.1) }
    }

    /// Whether the named parameter receives weight decay (when `weightDecay` > 0).
    public func isDecayed(_ name: String) -> Bool {
        namedParameters.firstIndex { $0.0 == name }.map { decays[$0] } ?? false
    }

    public func step() {
        stepCount += 1
        for (index, (name, parameter)) in namedParameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            precondition(grad.shape == parameter.value.shape,
                         "gradient of '\(name)' has shape \(grad.shape) but the parameter has \(parameter.value.shape)")
            let state: Moments
            if let existing = moments[name] {
                state = existing
            } else {
                state = Moments(step: 0, first: Tensor(zeros: grad.shape), second: Tensor(zeros: grad.shape))
                moments[name] = state
            }
            state.step += 1
            update(parameter, grad: grad, state: state, decay: decays[index] ? weightDecay : 0)
        }
    }

    /// One parameter's update.
    ///
    /// Scalar factors are formed in Double, as PyTorch forms them from Python floats, and only then rounded to
    /// Float. Each Float hyperparameter enters as its shortest decimal form (`0.999`, not the nearest binary
    /// value `0.99900001287…`), which is the number the caller wrote; with β₂ = 0.999 that matters, because
    /// 1 − β₂ᵗ is small and amplifies the difference.
    func update(_ parameter: Variable, grad: Tensor, state: Moments, decay: Float) {
        let beta1 = decimal(betas.0), beta2 = decimal(betas.1), rate = decimal(learningRate)
        let t = Double(state.step)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2 = 1 - pow(beta2, t)
        let stepSize = Float(rate / biasCorrection1)
        let biasCorrection2Root = Float(biasCorrection2.squareRoot())
        let firstWeight = Float(1 - beta1)
        let secondWeight = Float(1 - beta2)
        let secondDecay = betas.1
        let epsilon = self.epsilon
        let coupledDecay = decoupledWeightDecay ? 0 : decay
        let shrink = Float(1 - rate * decimal(decay))
        let applyShrink = decoupledWeightDecay && decay != 0

        grad.withUnsafeBufferPointer { g in
            parameter.value.withUnsafeMutableBufferPointer { p in
                state.first.withUnsafeMutableBufferPointer { m in
                    state.second.withUnsafeMutableBufferPointer { v in
                        let pp = p.baseAddress!, pg = g.baseAddress!, pm = m.baseAddress!, pv = v.baseAddress!
                        Compute.parallelFor(p.count, costPerItem: 16) { range in
                            // Eight lanes at a time through explicit SIMD (the scalar loop did not vectorise:
                            // four written buffers that might alias), then a scalar tail. Each lane runs the
                            // same operations in the same order as the tail, so results do not depend on
                            // where a chunk boundary falls.
                            typealias V = SIMD8<Float>
                            var i = range.lowerBound
                            while i + 8 <= range.upperBound {
                                var pi = UnsafeRawPointer(pp + i).loadUnaligned(as: V.self)
                                var gi = UnsafeRawPointer(pg + i).loadUnaligned(as: V.self)
                                var mi = UnsafeRawPointer(pm + i).loadUnaligned(as: V.self)
                                var vi = UnsafeRawPointer(pv + i).loadUnaligned(as: V.self)
                                if applyShrink { pi *= shrink }
                                if coupledDecay != 0 { gi = gi.addingProduct(V(repeating: coupledDecay), pi) }
                                mi += firstWeight * (gi - mi)
                                vi = vi * secondDecay + secondWeight * (gi * gi)
                                let denominator = vi.squareRoot() / biasCorrection2Root + epsilon
                                pi -= stepSize * (mi / denominator)
                                UnsafeMutableRawPointer(pp + i).storeBytes(of: pi, as: V.self)
                                UnsafeMutableRawPointer(pm + i).storeBytes(of: mi, as: V.self)
                                UnsafeMutableRawPointer(pv + i).storeBytes(of: vi, as: V.self)
                                i += 8
                            }
                            while i < range.upperBound {
                                if applyShrink { pp[i] *= shrink }
                                var gi = pg[i]
                                if coupledDecay != 0 { gi = fusedMultiplyAdd(coupledDecay, pp[i], gi) }
                                pm[i] += firstWeight * (gi - pm[i])
                                pv[i] = pv[i] * secondDecay + secondWeight * (gi * gi)
                                let denominator = pv[i].squareRoot() / biasCorrection2Root + epsilon
                                pp[i] -= stepSize * (pm[i] / denominator)
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - State

    public func exportState() -> OptimizerState {
        var state = OptimizerState(scalars: ["stepCount": Double(stepCount), "learningRate": Double(learningRate)])
        for (name, entry) in moments {
            state.tensors["firstMoment/\(name)"] = entry.first
            state.tensors["secondMoment/\(name)"] = entry.second
            state.scalars["step/\(name)"] = Double(entry.step)
        }
        return state
    }

    public func importState(_ state: OptimizerState) throws(CheckpointError) {
        let grouped = try OptimizerSupport.validateTensors(
            state, kinds: ["firstMoment", "secondMoment"], parameters: namedParameters)
        try OptimizerSupport.validateScalarKeys(
            state, allowed: Set(["stepCount", "learningRate"] + grouped.keys.map { "step/\($0)" }))
        let newStepCount = try OptimizerSupport.count(state, "stepCount")
        let newLearningRate = try OptimizerSupport.learningRate(state)
        var newMoments: [String: Moments] = [:]
        for (name, tensors) in grouped {
            newMoments[name] = Moments(step: try OptimizerSupport.count(state, "step/\(name)"),
                                       first: tensors["firstMoment"]!, second: tensors["secondMoment"]!)
        }
        stepCount = newStepCount
        learningRate = newLearningRate
        moments = newMoments
    }
}

/// The shortest decimal that rounds to `x`, as a Double: the value the caller most likely typed.
func decimal(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

/// AdamW (Loshchilov & Hutter, arXiv 1711.05101), matching `torch.optim.AdamW`.
///
/// Weight decay is decoupled: each decayed parameter shrinks by `p ← p·(1 − lr·λ)` before the Adam update.
/// By default only parameters of rank ≥ 2 are decayed (nanoGPT's rule); biases, norm gains and other vectors
/// are not. Pass `weightDecayFilter: .all` to decay everything, or `.custom { name, parameter in … }`.
///
/// ```swift
/// let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: 3e-4,
///                           betas: (0.9, 0.95), weightDecay: 0.1)
/// ```
public final class AdamW: Adam {
    /// Creates an AdamW optimizer.
    ///
    /// - Parameters:
    ///   - parameters: named parameters, usually `model.namedParameters()`; names must be unique.
    ///   - learningRate: the step size, ≥ 0. Default 1e-3.
    ///   - betas: moment decay rates, each in [0, 1). Default (0.9, 0.999).
    ///   - epsilon: denominator term, > 0. Default 1e-8.
    ///   - weightDecay: decoupled decay coefficient λ, ≥ 0. Default 0.01 (PyTorch's default).
    ///   - weightDecayFilter: which parameters are decayed. Default `.matricesOnly` (rank ≥ 2).
    /// - Throws: `OptimizerError` for an empty or duplicated parameter list or an out-of-range hyperparameter.
    public init(
        parameters: [(String, Variable)], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 0.01, weightDecayFilter: WeightDecayFilter = .matricesOnly
    ) throws(OptimizerError) {
        try super.init(parameters: parameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                       weightDecay: weightDecay, weightDecayFilter: weightDecayFilter, decoupledWeightDecay: true)
    }
}
