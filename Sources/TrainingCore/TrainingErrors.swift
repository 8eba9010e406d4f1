// Errors shared by every trainer: bad configuration values and training that went wrong.
import Foundation

/// A configuration field holds a value that cannot work.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// The field's name as it appears in configuration files.
    public let field: String
    /// The offending value, as text.
    public let value: String
    /// What is allowed, and how to fix it.
    public let requirement: String

    public init(field: String, value: String, requirement: String) {
        self.field = field
        self.value = value
        self.requirement = requirement
    }

    public var description: String { "`\(field)` is \(value), but \(requirement)" }
}

/// Checks `condition` and throws a `ConfigError` built from the field, its value and the requirement.
@inlinable
public func require(_ condition: Bool, _ field: String, _ value: Any, _ requirement: String) throws {
    if !condition { throw ConfigError(field: field, value: "\(value)", requirement: requirement) }
}

/// A training run cannot continue.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A loss, reward or gradient became NaN or infinite.
    case nonFinite(quantity: String, step: Int)
    /// A dataset or batch has nothing in it.
    case emptyData(what: String)
    /// An input does not fit (e.g. a prompt longer than the context).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .nonFinite(let quantity, let step):
            return "\(quantity) became NaN or infinite at step \(step); the last good checkpoint is kept. Lower the learning rate, enable gradient clipping, or check the reward function for NaN outputs"
        case .emptyData(let what):
            return "\(what) is empty; provide at least one example"
        case .invalidInput(let message):
            return message
        }
    }
}
