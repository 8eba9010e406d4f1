// The tokenizer protocol shared by the byte tokenizer and GPT-2's byte-level BPE, and the loader
// that recognises a tokenizer directory by the files in it.
import Foundation

/// Turns text into token ids and back.
///
/// Ids are `Int32`, the element type the models use. Special tokens ("<|endoftext|>", "<|pad|>",
/// reward tokens) have fixed ids; `addSpecialTokens` appends new ones at the end of the
/// vocabulary, so a model grows its embedding by exactly the new count.
///
/// ```swift
/// var tokenizer = try loadTokenizer(from: URL(fileURLWithPath: "Vocabularies/GPT2"))
/// let ids = try tokenizer.encode("Hello world")          // [15496, 995]
/// let pad = try tokenizer.addSpecialTokens(["<|pad|>"])  // [50257]
/// let text = try tokenizer.decode(ids)                   // "Hello world"
/// ```
public protocol Tokenizer: Sendable {
    /// One more than the largest token id (base vocabulary plus special tokens).
    var vocabularySize: Int { get }

    /// The special tokens, in the order they were added.
    var specialTokens: [String] { get }

    /// The id of a special token, or nil if `token` is not one.
    func id(forSpecialToken token: String) -> Int32?

    /// Encodes `text` to token ids.
    ///
    /// With `allowSpecial`, special tokens written literally in the text become their ids (leftmost,
    /// longest first, like tiktoken's `allowed_special`); without it they are encoded as ordinary
    /// text (tiktoken's `encode_ordinary`), so untrusted text cannot inject them.
    /// - Parameters:
    ///   - text: Any string.
    ///   - allowSpecial: Whether literal special-token text becomes special ids.
    /// - Returns: The ids, `[tokens]`.
    /// - Throws: `TokenizerError.unencodable` if the vocabulary lacks a token the text needs (only
    ///   possible for incomplete vocabulary files).
    func encode(_ text: String, allowSpecial: Bool) throws -> [Int32]

    /// The raw bytes of `ids`, concatenated (useful for streaming output a token at a time).
    ///
    /// - Parameters:
    ///   - ids: Token ids.
    ///   - skipSpecialTokens: Whether special tokens are left out instead of written as their text.
    /// - Returns: The UTF-8 (or partial UTF-8) bytes the ids stand for.
    /// - Throws: `TokenizerError.unknownTokenID` for an id outside the vocabulary.
    func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool) throws -> [UInt8]

    /// Appends special tokens at the end of the vocabulary.
    ///
    /// A token that is already special, or already in the base vocabulary with that exact spelling,
    /// keeps its id, so calling this twice is harmless.
    /// - Parameter tokens: The texts of the new tokens, such as `["<|pad|>"]`.
    /// - Returns: The id of each token, in order.
    /// - Throws: `TokenizerError.invalidSpecialToken` for an empty token.
    @discardableResult
    mutating func addSpecialTokens(_ tokens: [String]) throws -> [Int32]

    /// Writes the tokenizer's files into `directory`, which is created if needed.
    ///
    /// `loadTokenizer(from:)` reads them back; Hugging Face `tokenizers` and `transformers` read
    /// them too.
    /// - Throws: `TokenizerError.ioFailure` if the directory or a file cannot be written.
    func save(to directory: URL) throws
}

extension Tokenizer {
    /// Encodes `text` with special-token text treated as ordinary text.
    public func encode(_ text: String) throws -> [Int32] {
        try encode(text, allowSpecial: false)
    }

    /// Decodes `ids` to text.
    ///
    /// Bytes that are not valid UTF-8 (a token sequence cut inside a character) become U+FFFD, one
    /// per maximal invalid subsequence, as Python's `bytes.decode("utf-8", errors="replace")` does.
    /// - Throws: `TokenizerError.unknownTokenID` for an id outside the vocabulary.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws -> String {
        decodeUTF8Replacing(try decodeBytes(ids, skipSpecialTokens: skipSpecialTokens))
    }

    /// The ids of all special tokens, in the order they were added.
    public var specialTokenIDs: [Int32] {
        specialTokens.compactMap { id(forSpecialToken: $0) }
    }
}

// MARK: - Files

/// The on-disk layouts a tokenizer directory can have.
public enum TokenizerFileFormat: String, Sendable, CaseIterable {
    /// Hugging Face `tokenizers`: one `tokenizer.json`.
    case tokenizerJSON = "tokenizer.json"
    /// Hugging Face slow tokenizer: `vocab.json` + `merges.txt` (+ `added_tokens.json`).
    case vocabAndMerges = "vocab.json + merges.txt"
    /// OpenAI's GPT-2 release: `encoder.json` + `vocab.bpe`.
    case openAI = "encoder.json + vocab.bpe"

    /// The format of the files in `directory`, preferring `tokenizer.json`, or nil if none is complete.
    public static func detect(in directory: URL) -> TokenizerFileFormat? {
        func exists(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        if exists("tokenizer.json") { return .tokenizerJSON }
        if exists("vocab.json") && exists("merges.txt") { return .vocabAndMerges }
        if exists("encoder.json") && exists("vocab.bpe") { return .openAI }
        return nil
    }
}

/// Loads the tokenizer saved in `directory`, whichever format it is in (see `TokenizerFileFormat`).
///
/// - Throws: `TokenizerError.missingFile` when the directory or its files are missing, and the
///   `malformed…`/`unsupportedFormat` cases for files that cannot be used.
///
/// A `tokenizer.json` holding exactly the 256 byte tokens and no merges (what
/// `ByteTokenizer.save(to:)` writes) loads as a `ByteTokenizer`; everything else as a `BPETokenizer`.
public func loadTokenizer(from directory: URL) throws -> any Tokenizer {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
    else {
        throw TokenizerError.missingFile(
            path: directory.path, hint: "pass the directory that holds the tokenizer files")
    }
    guard TokenizerFileFormat.detect(in: directory) != nil else {
        throw TokenizerError.missingFile(
            path: directory.appendingPathComponent("tokenizer.json").path,
            hint: "a tokenizer directory needs tokenizer.json, or vocab.json and merges.txt, "
                + "or encoder.json and vocab.bpe")
    }
    let bpe = try BPETokenizer(directory: directory)
    if let bytes = ByteTokenizer(bytesOnly: bpe) { return bytes }
    return bpe
}
