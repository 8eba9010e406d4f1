// Errors raised while reading, writing or applying checkpoints (safetensors files and state dictionaries).
import Foundation

/// What is wrong with a checkpoint file or a state dictionary.
///
/// Every case carries what its message needs: the file, the tensor name, and expected versus found values.
/// Nothing in the checkpoint path crashes on bad bytes; it throws one of these instead.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// The file ends before a length it declares (the header length, or the header itself).
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The JSON header cannot be understood; `reason` says which part and why.
    case malformedHeader(path: String, reason: String)
    /// A tensor's shape is invalid (a negative dimension, or an element count that overflows).
    case invalidShape(name: String, shape: [Int])
    /// A tensor uses an element type this library cannot read.
    case unsupportedDType(name: String, dtype: String)
    /// A tensor's byte range does not lie inside the data section (`begin > end` or `end > dataBytes`).
    case offsetsOutOfRange(name: String, begin: Int, end: Int, dataBytes: Int)
    /// A tensor's byte range does not match its shape times its element size.
    case inconsistentSize(name: String, shape: [Int], dtype: String, expectedBytes: Int, foundBytes: Int)
    /// Two tensors claim overlapping bytes of the data section.
    case overlappingTensors(name: String, otherName: String)
    /// The same tensor name appears twice.
    case duplicateTensor(name: String)
    /// The model has a parameter that the checkpoint does not contain.
    case missingParameter(name: String)
    /// The checkpoint contains a tensor that the model has no parameter for (strict loading only).
    case unexpectedParameter(name: String)
    /// The checkpoint tensor and the model parameter have different shapes.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A stored scalar (such as an optimizer's step count) has a value that cannot be right.
    case invalidScalar(name: String, value: Double, allowed: String)
    /// The operating system refused to read, write or rename a file.
    case ioError(path: String, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "no checkpoint file at '\(path)'; check the path (and the working directory if it is relative)"
        case .truncated(let path, let expected, let actual):
            return "'\(path)' is truncated: it needs at least \(expected) bytes but has \(actual); the file was probably cut off while copying or writing, so re-create or re-download it"
        case .malformedHeader(let path, let reason):
            return "the safetensors header of '\(path)' is malformed: \(reason); the file is not a valid safetensors file, so re-export it"
        case .invalidShape(let name, let shape):
            return "tensor '\(name)' has invalid shape \(shape): dimensions must be non-negative and their product must fit in memory; the header is corrupt, so re-export the checkpoint"
        case .unsupportedDType(let name, let dtype):
            return "tensor '\(name)' has dtype \(dtype), which is not supported (supported: F32, F16, BF16, I64); convert it to float32 before saving, e.g. tensor.float() in PyTorch"
        case .offsetsOutOfRange(let name, let begin, let end, let dataBytes):
            return "tensor '\(name)' has data_offsets [\(begin), \(end)] outside the data section of \(dataBytes) bytes (need 0 ≤ begin ≤ end ≤ \(dataBytes)); the file is truncated or its header is corrupt, so re-create or re-export it"
        case .inconsistentSize(let name, let shape, let dtype, let expected, let found):
            return "tensor '\(name)' with shape \(shape) and dtype \(dtype) needs \(expected) bytes but its data_offsets span \(found); the header is inconsistent, so re-export the checkpoint"
        case .overlappingTensors(let name, let other):
            return "tensors '\(other)' and '\(name)' claim overlapping bytes of the data section; the header is corrupt, so re-export the checkpoint"
        case .duplicateTensor(let name):
            return "tensor '\(name)' appears more than once; each name must be unique, so re-export the checkpoint"
        case .missingParameter(let name):
            return "the checkpoint has no tensor for parameter '\(name)'; check that it was saved from the same model configuration"
        case .unexpectedParameter(let name):
            return "the checkpoint contains '\(name)', which the model has no parameter for; check the model configuration, or load with strict: false to ignore extra tensors"
        case .shapeMismatch(let name, let expected, let found):
            return "parameter '\(name)' has shape \(expected) in the model but \(found) in the checkpoint; build the model with the configuration the checkpoint was saved from"
        case .invalidScalar(let name, let value, let allowed):
            return "the checkpoint stores \(value) for '\(name)', but it must be \(allowed); the checkpoint is corrupt or from another program, so re-create it"
        case .ioError(let path, let message):
            return "I/O error on '\(path)': \(message)"
        }
    }
}
