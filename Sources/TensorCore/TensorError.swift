// Errors raised by the tensor core at its input boundary.
import Foundation

/// What went wrong in a tensor operation that received bad input.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// `backward()` was called on a variable with more than one element and no seed gradient.
    case nonScalarBackward(shape: [Int])
    /// Two shapes that must agree do not.
    case shapeMismatch(operation: String, expected: [Int], found: [Int])
    /// An index (token id, class label) is outside its valid range.
    case indexOutOfRange(operation: String, index: Int, limit: Int)
    /// A value is NaN or infinite where a finite one is required.
    case nonFinite(what: String)

    public var description: String {
        switch self {
        case .nonScalarBackward(let shape):
            return "backward() needs a one-element variable, but this one has shape \(shape); reduce it to a scalar (e.g. .mean()) or pass backward(seed:) with a gradient of that shape"
        case .shapeMismatch(let op, let expected, let found):
            return "\(op): expected shape \(expected) but found \(found)"
        case .indexOutOfRange(let op, let index, let limit):
            return "\(op): index \(index) is out of range 0..<\(limit)"
        case .nonFinite(let what):
            return "\(what) is NaN or infinite"
        }
    }
}
