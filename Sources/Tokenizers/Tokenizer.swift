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

    /// Encodes `text`. With `allowSpecial`, special tokens written literally in the text become their
    /// ids; without it they are encoded as ordinary text (tiktoken's `encode_ordinary`).
    func encode(_ text: String, allowSpecial: Bool) throws -> [Int32]

    /// The raw bytes of `ids`, concatenated (useful for streaming output a token at a time).
    /// Throws `TokenizerError.unknownTokenID` for an id outside the vocabulary.
    func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool) throws -> [UInt8]

    /// Appends special tokens at the end of the vocabulary and returns their ids. A token that is
    /// already special, or already in the base vocabulary with that exact spelling, keeps its id.
    @discardableResult
    mutating func addSpecialTokens(_ tokens: [String]) throws -> [Int32]

    /// Writes the tokenizer's files into `directory` (created if needed); `loadTokenizer(from:)`
    /// reads them back.
    func save(to directory: URL) throws
}

extension Tokenizer {
    /// Encodes `text` with special-token text treated as ordinary text.
    public func encode(_ text: String) throws -> [Int32] {
        try encode(text, allowSpecial: false)
    }

    /// Decodes `ids` to text. Bytes that are not valid UTF-8 (a token sequence cut inside a
    /// character) become U+FFFD, as Python's `bytes.decode("utf-8", errors="replace")` does.
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
