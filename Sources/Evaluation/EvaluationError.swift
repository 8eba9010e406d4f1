// Errors raised by metric functions given unusable input (empty lists, mismatched lengths, bad parameters; the last
// in the package's one bad-input vocabulary, Validation's ConfigurationError).
import Foundation
import Validation

/// An error from a metric: its input cannot give a meaningful value.
///
/// Metrics never crash on bad input; they throw one of these, naming the metric, what was wrong and the fix.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The metric needs at least one item (or token) and got none.
    case emptyInput(metric: String)
    /// Two inputs that must be parallel have different lengths.
    case lengthMismatch(metric: String, expected: Int, found: Int)
    /// A parameter is out of range (``ConfigurationError/invalidValue(field:value:requirement:)``).
    case invalid(ConfigurationError)
    /// An input value is not a finite number.
    case nonFiniteValue(metric: String, index: Int)

    public var description: String {
        switch self {
        case .emptyInput(let metric):
            return "\(metric): the input is empty; pass at least one item"
        case .lengthMismatch(let metric, let expected, let found):
            return "\(metric): inputs must have the same length, but one has \(expected) items and the other "
                + "\(found); pass one entry per item in each"
        case .invalid(let error):
            return error.description
        case .nonFiniteValue(let metric, let index):
            return "\(metric): the value at index \(index) is not finite; check the model's log-probabilities"
        }
    }
}
