// Loading and saving a module's parameters by name: state dictionaries and safetensors files.
import Foundation
import TensorCore

extension Module {
    /// Replaces parameter values with the tensors of a state dictionary, all or nothing.
    ///
    /// Every check runs before any value is assigned, so a bad checkpoint never leaves a partly loaded
    /// model. Problems are reported in a fixed order: first a missing parameter or a shape mismatch (in
    /// `namedParameters()` order), then an unexpected tensor (in name order).
    ///
    /// - Parameters:
    ///   - stateDictionary: tensors keyed by dotted parameter name, as produced by `stateDictionary()`.
    ///   - strict: when true (the default), a tensor with no matching parameter is an error; when false it is
    ///     ignored. A parameter with no tensor is an error either way.
    /// - Throws: `CheckpointError.missingParameter`, `.unexpectedParameter` or `.shapeMismatch`.
    public func load(stateDictionary: [String: Tensor], strict: Bool = true) throws(CheckpointError) {
        let parameters = namedParameters()
        for (name, parameter) in parameters {
            guard let tensor = stateDictionary[name] else { throw .missingParameter(name: name) }
            guard tensor.shape == parameter.value.shape else {
                throw .shapeMismatch(name: name, expected: parameter.value.shape, found: tensor.shape)
            }
        }
        if strict {
            let known = Set(parameters.map(\.0))
            if let extra = stateDictionary.keys.sorted().first(where: { !known.contains($0) }) {
                throw .unexpectedParameter(name: extra)
            }
        }
        for (name, parameter) in parameters { parameter.value = stateDictionary[name]! }
    }

    /// Writes the parameters to a safetensors file (F32, atomically).
    ///
    /// - Parameters:
    ///   - url: the destination file; its directory must exist.
    ///   - metadata: free-form strings stored in the file's `__metadata__`.
    /// - Throws: `CheckpointError.ioError` when the file cannot be written.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(CheckpointError) {
        try Safetensors.write(stateDictionary(), to: url, metadata: metadata)
    }

    /// Reads a safetensors file and loads it with `load(stateDictionary:strict:)`.
    ///
    /// - Throws: any `CheckpointError` from reading or from validating the tensors against the model.
    public func load(from url: URL, strict: Bool = true) throws(CheckpointError) {
        try load(stateDictionary: Safetensors.read(contentsOf: url), strict: strict)
    }
}
