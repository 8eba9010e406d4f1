// Errors raised at the language models' input boundary: configurations, token batches, generation options.
// Checkpoint problems use TensorCore's CheckpointError. Each message says what is wrong, shows the value and says how to fix it.
import Foundation

/// What went wrong when building, feeding or loading a language model.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// A configuration field has an unusable value.
    case invalidConfiguration(field: String, value: String, fix: String)
    /// A token id is outside `0..<vocabularySize`.
    case tokenOutOfRange(id: Int, row: Int, position: Int, vocabularySize: Int)
    /// A sequence has more real tokens than the model's context.
    case sequenceTooLong(length: Int, contextLength: Int)
    /// A prompt plus the requested new tokens does not fit in the context.
    case promptTooLong(promptLength: Int, maximumNewTokens: Int, contextLength: Int)
    /// Two inputs that must agree in shape do not.
    case shapeMismatch(what: String, expected: [Int], found: [Int])
    /// A generation or scoring option has an unusable value.
    case invalidOption(name: String, value: String, fix: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let value, let fix):
            return "invalid configuration: \(field) = \(value); \(fix)"
        case .tokenOutOfRange(let id, let row, let position, let v):
            return "token id \(id) at row \(row), position \(position) is outside the vocabulary 0..<\(v); "
                + "check the tokenizer matches the model, or grow the vocabulary with addTokens(count:)"
        case .sequenceTooLong(let length, let context):
            return "sequence of \(length) tokens exceeds the context length \(context); "
                + "truncate it or use a model with a longer context"
        case .promptTooLong(let prompt, let new, let context):
            return "prompt of \(prompt) tokens plus \(new) new tokens exceeds the context length \(context); "
                + "truncate the prompt to at most \(max(context - new, 0)) tokens or lower maximumNewTokens"
        case .shapeMismatch(let what, let expected, let found):
            return "\(what): expected shape \(expected) but found \(found)"
        case .invalidOption(let name, let value, let fix):
            return "invalid option \(name) = \(value); \(fix)"
        }
    }
}
