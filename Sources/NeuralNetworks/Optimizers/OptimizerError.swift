// Errors raised when an optimizer or a learning-rate schedule is built with bad settings (a hyperparameter out of range
// is the package's one bad-input vocabulary, Validation's ConfigurationError).
import TensorCore
import Validation

/// What is wrong with an optimizer's parameters or hyperparameters, or with a learning-rate schedule.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// A hyperparameter is outside its allowed range (or not finite):
    /// ``ConfigurationError/invalidValue(field:value:requirement:)``, built by
    /// ``invalidHyperparameter(field:value:allowed:)``.
    case invalid(ConfigurationError)
    /// The optimizer was given no parameters.
    case emptyParameterList
    /// Two parameters share a name, so their state could not be saved and restored by name.
    case duplicateParameterName(String)
    /// The same `Variable` appears under two names, so it would be updated twice per step.
    case duplicateParameter(name: String, otherName: String)
    /// Nesterov momentum was requested without momentum, or with dampening.
    case nesterovRequiresMomentum(momentum: Float, dampening: Float)

    public var description: String {
        switch self {
        case .invalid(let error):
            return error.description
        case .emptyParameterList:
            return "the optimizer was given no parameters; pass model.namedParameters() of a model that has parameters"
        case .duplicateParameterName(let name):
            return "two parameters are named '\(name)'; optimizer state is keyed by name, so give each parameter a unique name (e.g. with prefixed(_:_:))"
        case .duplicateParameter(let name, let other):
            return "parameters '\(other)' and '\(name)' are the same Variable, which would be updated twice per step; list a shared (tied) parameter only once"
        case .nesterovRequiresMomentum(let momentum, let dampening):
            return "Nesterov momentum needs momentum > 0 and dampening = 0, but momentum is \(OptimizerError.format(Double(momentum))) and dampening is \(OptimizerError.format(Double(dampening))); set momentum to e.g. 0.9 and dampening to 0, or turn nesterov off"
        }
    }

    /// A hyperparameter outside its allowed range.
    ///
    /// - Parameters:
    ///   - field: the argument name, e.g. `learningRate` or `betas.1`.
    ///   - value: the value that was passed.
    ///   - allowed: the allowed range and a typical value ("finite and ≥ 0 (e.g. 3e-4)").
    public static func invalidHyperparameter(field: String, value: Double, allowed: String) -> OptimizerError {
        .invalid(.invalidValue(field: field, value: format(value), requirement: "it must be \(allowed)"))
    }

    /// Integers without a fractional part, other values in their shortest round-trip form.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

// MARK: - Validation helpers

extension OptimizerError {
    /// Throws unless `value` is finite and `value ≥ 0`.
    static func requireNonNegative(_ field: String, _ value: Float, example: String) throws(OptimizerError) {
        guard value.isFinite, value >= 0 else {
            throw .invalidHyperparameter(field: field, value: Double(value), allowed: "finite and ≥ 0 (e.g. \(example))")
        }
    }

    /// Throws unless `value` is finite and `value > 0`.
    static func requirePositive(_ field: String, _ value: Float, example: String) throws(OptimizerError) {
        guard value.isFinite, value > 0 else {
            throw .invalidHyperparameter(field: field, value: Double(value), allowed: "finite and > 0 (e.g. \(example))")
        }
    }

    /// Throws unless `0 ≤ value < 1`.
    static func requireUnitInterval(_ field: String, _ value: Float, example: String) throws(OptimizerError) {
        guard value >= 0, value < 1 else {
            throw .invalidHyperparameter(field: field, value: Double(value), allowed: "in [0, 1) (e.g. \(example))")
        }
    }
}
