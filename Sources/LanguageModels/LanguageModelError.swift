// Errors raised at the language models' input boundary: configurations, token batches, generation options.
// Checkpoint problems use TensorCore's CheckpointError. Each message says what is wrong, shows the value and says how to fix it.
import Foundation
import Validation

/// What went wrong when building, feeding or loading a language model.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// A configuration field, a generation or scoring option, or an input's shape cannot work (the package's one
    /// bad-input vocabulary; these functions throw typed errors, so it is wrapped).
    case invalid(ConfigurationError)
    /// A token id is outside `0..<vocabularySize`.
    case tokenOutOfRange(id: Int, row: Int, position: Int, vocabularySize: Int)
    /// A sequence has more real tokens than the model's context.
    case sequenceTooLong(length: Int, contextLength: Int)
    /// A prompt plus the requested new tokens does not fit in the context.
    case promptTooLong(promptLength: Int, maximumNewTokens: Int, contextLength: Int)

    public var description: String {
        switch self {
        case .invalid(let error):
            return error.description
        case .tokenOutOfRange(let id, let row, let position, let v):
            return "token id \(id) at row \(row), position \(position) is outside the vocabulary 0..<\(v); "
                + "check the tokenizer matches the model, or grow the vocabulary with addTokens(count:)"
        case .sequenceTooLong(let length, let context):
            return "sequence of \(length) tokens exceeds the context length \(context); "
                + "truncate it or use a model with a longer context"
        case .promptTooLong(let prompt, let new, let context):
            return "prompt of \(prompt) tokens plus \(new) new tokens exceeds the context length \(context); "
                + "truncate the prompt to at most \(max(context - new, 0)) tokens or lower maximumNewTokens"
        }
    }
}
