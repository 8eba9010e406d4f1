// The Optimizer protocol, its exportable state, the weight-decay filter, and the shared parameter checks.
import Foundation
import TensorCore

/// Updates parameters from their accumulated gradients.
///
/// The only verbs are `step()` and `zeroGradients()`. Per-parameter state (moments, momentum buffers) is
/// keyed by parameter **name**, so `exportState()` / `importState(_:)` restore a run exactly even into a
/// freshly built model. A parameter whose `grad` is nil is skipped by `step()`, and its state does not advance.
///
/// ```swift
/// let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: 3e-4)
/// for step in 0..<steps {
///     optimizer.learningRate = schedule(step)
///     let loss = try model.loss(batch)
///     try loss.backward()
///     _ = clipGradientNorm(model.parameters(), maxNorm: 1)
///     optimizer.step()
///     optimizer.zeroGradients()
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// The parameters being optimised, with their names, in the order given at init.
    var namedParameters: [(String, Variable)] { get }
    /// The learning rate used by the next `step()`. Schedules set it before each step.
    var learningRate: Float { get set }
    /// How many times `step()` has been called.
    var stepCount: Int { get }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Everything needed to continue this run exactly: per-parameter tensors and scalars, keyed by name.
    func exportState() -> OptimizerState
    /// Restores state produced by `exportState()` of an optimizer of the same kind over parameters with the
    /// same names and shapes. All checks run before anything changes.
    ///
    /// - Throws: `CheckpointError.unexpectedParameter` for an unknown key, `.missingParameter` for an
    ///   incomplete entry, `.shapeMismatch` for a tensor of the wrong shape.
    func importState(_ state: OptimizerState) throws(CheckpointError)
}

extension Optimizer {
    /// Clears the gradient of every parameter (sets it to nil, as `zero_grad(set_to_none=True)` does).
    public func zeroGradients() {
        for (_, parameter) in namedParameters { parameter.zeroGradient() }
    }
}

// MARK: - State

/// An optimizer's complete state as plain values, ready for a checkpoint.
///
/// Tensor keys are `<kind>/<parameter name>`, e.g. `firstMoment/blocks.0.mlp.weight`; scalar keys are
/// `stepCount`, `learningRate` and per-parameter `step/<parameter name>`.
public struct OptimizerState: Equatable {
    /// Per-parameter tensors such as moments and momentum buffers.
    public var tensors: [String: Tensor]
    /// Counters and hyperparameters that change during training. Doubles hold every Float and Int exactly.
    public var scalars: [String: Double]

    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }

    /// Writes the state to a safetensors file (atomically); scalars go to the metadata as `scalar.<key>`.
    ///
    /// - Throws: `CheckpointError.ioError` when the file cannot be written.
    public func save(to url: URL) throws(CheckpointError) {
        var metadata: [String: String] = ["format": "RLFineTuning.OptimizerState"]
        for (key, value) in scalars { metadata["scalar.\(key)"] = "\(value)" }
        try Safetensors.write(tensors, to: url, metadata: metadata)
    }

    /// Reads a state written by `save(to:)`.
    ///
    /// - Throws: any `CheckpointError` from reading, or `.malformedHeader` when a scalar is not a number.
    public static func load(from url: URL) throws(CheckpointError) -> OptimizerState {
        let (tensors, metadata) = try Safetensors.readWithMetadata(contentsOf: url)
        var scalars: [String: Double] = [:]
        for (key, text) in metadata where key.hasPrefix("scalar.") {
            guard let value = Double(text) else {
                throw .malformedHeader(path: url.path, reason: "metadata \"\(key)\" is \"\(text)\", which is not a number")
            }
            scalars[String(key.dropFirst("scalar.".count))] = value
        }
        return OptimizerState(tensors: tensors, scalars: scalars)
    }
}

// MARK: - Weight decay selection

/// Chooses which parameters receive weight decay.
///
/// The default, `.matricesOnly`, decays parameters of rank ≥ 2 (linear and embedding weights) and leaves
/// biases and normalisation gains alone, as nanoGPT's `configure_optimizers` does.
public struct WeightDecayFilter {
    /// Whether the named parameter is decayed.
    public let includes: (_ name: String, _ parameter: Variable) -> Bool

    /// A filter from any predicate on the name and the parameter.
    public static func custom(_ includes: @escaping (_ name: String, _ parameter: Variable) -> Bool) -> WeightDecayFilter {
        WeightDecayFilter(includes: includes)
    }

    /// Parameters of rank 2 or more.
    public static let matricesOnly = WeightDecayFilter { _, parameter in parameter.value.rank >= 2 }
    /// Every parameter.
    public static let all = WeightDecayFilter { _, _ in true }
}

// MARK: - Shared helpers

enum OptimizerSupport {
    /// Checks that the list is non-empty and that names and Variables are unique.
    static func validate(_ parameters: [(String, Variable)]) throws(OptimizerError) {
        guard !parameters.isEmpty else { throw .emptyParameterList }
        var names = Set<String>()
        var owners: [ObjectIdentifier: String] = [:]
        for (name, parameter) in parameters {
            guard names.insert(name).inserted else { throw .duplicateParameterName(name) }
            if let other = owners.updateValue(name, forKey: ObjectIdentifier(parameter)) {
                throw .duplicateParameter(name: name, otherName: other)
            }
        }
    }

    /// Splits `kind/name` state keys and checks every kind, name and shape, so that import can be all or nothing.
    ///
    /// - Returns: for each parameter name that has state, its tensors by kind.
    static func validateTensors(
        _ state: OptimizerState, kinds: [String], parameters: [(String, Variable)]
    ) throws(CheckpointError) -> [String: [String: Tensor]] {
        let shapes = Dictionary(uniqueKeysWithValues: parameters.map { ($0.0, $0.1.value.shape) })
        var grouped: [String: [String: Tensor]] = [:]
        for key in state.tensors.keys.sorted() {
            let tensor = state.tensors[key]!
            guard let slash = key.firstIndex(of: "/") else { throw .unexpectedParameter(name: key) }
            let kind = String(key[..<slash]), name = String(key[key.index(after: slash)...])
            guard kinds.contains(kind), let shape = shapes[name] else { throw .unexpectedParameter(name: key) }
            guard tensor.shape == shape else { throw .shapeMismatch(name: key, expected: shape, found: tensor.shape) }
            grouped[name, default: [:]][kind] = tensor
        }
        for (name, tensors) in grouped {
            for kind in kinds where tensors[kind] == nil { throw .missingParameter(name: "\(kind)/\(name)") }
        }
        return grouped
    }

    /// The scalar at `key`, or `.missingParameter`.
    static func scalar(_ state: OptimizerState, _ key: String) throws(CheckpointError) -> Double {
        guard let value = state.scalars[key] else { throw .missingParameter(name: key) }
        return value
    }

    /// The scalar at `key` as a non-negative integer count, or `.missingParameter` / `.invalidScalar`.
    static func count(_ state: OptimizerState, _ key: String) throws(CheckpointError) -> Int {
        let value = try scalar(state, key)
        guard value >= 0, value == value.rounded(), value < 9e15 else {
            throw .invalidScalar(name: key, value: value, allowed: "a whole number ≥ 0")
        }
        return Int(value)
    }

    /// Checks that every scalar key is one of `allowed`.
    static func validateScalarKeys(_ state: OptimizerState, allowed: Set<String>) throws(CheckpointError) {
        if let extra = state.scalars.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .unexpectedParameter(name: extra)
        }
    }

    /// The learning rate stored at `learningRate`, which must be finite and ≥ 0.
    static func learningRate(_ state: OptimizerState) throws(CheckpointError) -> Float {
        let value = try scalar(state, "learningRate")
        guard value.isFinite, value >= 0 else {
            throw .invalidScalar(name: "learningRate", value: value, allowed: "finite and ≥ 0")
        }
        return Float(value)
    }
}
