// Module: anything with named trainable parameters. Composites prefix their children's names with dots,
// giving checkpoint keys such as `blocks.3.attention.qkv.weight`. No reflection: every module lists its own.
import TensorCore

/// A model component that owns trainable `Variable`s under stable dotted names.
public protocol Module: AnyObject {
    /// Every parameter with its dotted name, in a fixed order.
    func namedParameters() -> [(String, Variable)]
}

extension Module {
    /// The parameters in `namedParameters()` order.
    public func parameters() -> [Variable] { namedParameters().map(\.1) }

    /// The total number of scalar parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's gradient.
    public func zeroGradients() { for p in parameters() { p.zeroGradient() } }

    /// The parameter values keyed by name (for checkpoints).
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.0, $0.1.value) })
    }
}

/// Prefixes child parameter names: `prefixed("blocks.0", child)` → `blocks.0.<name>`.
public func prefixed(_ prefix: String, _ module: Module) -> [(String, Variable)] {
    module.namedParameters().map { ("\(prefix).\($0.0)", $0.1) }
}
