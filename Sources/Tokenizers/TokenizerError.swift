// Errors raised by tokenizers at their input boundary: files, token ids, text, configuration (the last in the package's
// one bad-input vocabulary, Validation's ConfigurationError).
import Foundation
import Validation

/// What went wrong while loading, saving, training or running a tokenizer.
///
/// Every case carries the context needed to act on it (the file, the line, the offending value),
/// and `description` says what to change. Nothing in this module crashes on bad files or ids.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A token id passed to `decode` is negative, beyond the vocabulary, or a gap in it.
    case unknownTokenID(id: Int32, vocabularySize: Int)
    /// A vocabulary file (`encoder.json`, `vocab.json`, `tokenizer.json`, `added_tokens.json`)
    /// cannot be used.
    case malformedVocabulary(path: String, reason: String)
    /// A merges file (`vocab.bpe`, `merges.txt`, or `model.merges` in `tokenizer.json`) has a bad
    /// entry. `line` is 1-based (the entry's index + 1 for `tokenizer.json`).
    case malformedMerges(path: String, line: Int, reason: String)
    /// A file the tokenizer needs is not there.
    case missingFile(path: String, hint: String)
    /// The file is well formed but describes a tokenizer this module does not implement.
    case unsupportedFormat(path: String, reason: String)
    /// The text needs a token that the vocabulary does not have (for example a byte whose
    /// single-byte token is missing). `text` is a short excerpt around the problem.
    case unencodable(text: String)
    /// A special token cannot be added (empty text, or a clash).
    case invalidSpecialToken(token: String, reason: String)
    /// A trainer setting is out of range (``ConfigurationError/invalidValue(field:value:requirement:)``).
    case invalid(ConfigurationError)
    /// Reading or writing a file failed at the file-system level, or a text file is not UTF-8.
    case ioFailure(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownTokenID(let id, let size):
            return "token id \(id) is not in the vocabulary (valid ids are 0..<\(size) with a token); "
                + "decode only ids produced by this tokenizer, or add the missing tokens with addSpecialTokens"
        case .malformedVocabulary(let path, let reason):
            return "malformed vocabulary file \(path): \(reason)"
        case .malformedMerges(let path, let line, let reason):
            return "malformed merges file \(path), line \(line): \(reason)"
        case .missingFile(let path, let hint):
            return "missing file \(path): \(hint)"
        case .unsupportedFormat(let path, let reason):
            return "unsupported tokenizer in \(path): \(reason)"
        case .unencodable(let text):
            return "cannot encode \(quoted(text)): the vocabulary has no token for it; "
                + "a byte-level vocabulary must contain all 256 single-byte tokens (retrain it, or load complete files)"
        case .invalidSpecialToken(let token, let reason):
            return "cannot add special token \(quoted(token)): \(reason)"
        case .invalid(let error):
            return error.description
        case .ioFailure(let path, let reason):
            return "cannot access \(path): \(reason)"
        }
    }
}

/// A short, escaped, quoted excerpt of `text` for error messages.
func quoted(_ text: String, limit: Int = 40) -> String {
    let scalars = Array(text.unicodeScalars)
    var excerpt = String(String.UnicodeScalarView(scalars.prefix(limit)))
    if scalars.count > limit { excerpt += "…" }
    return "\"" + excerpt.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
}
