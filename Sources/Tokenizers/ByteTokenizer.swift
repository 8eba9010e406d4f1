// The simplest tokenizer: one token per UTF-8 byte (ids 0...255), plus special tokens from 256 on.
import Foundation

/// A tokenizer whose tokens are the 256 byte values, followed by special tokens.
///
/// Every text is encodable and every byte sequence decodable, which makes it the tokenizer of
/// choice for tiny test models. `decode` of a sequence that is not valid UTF-8 replaces the bad
/// bytes with U+FFFD.
public struct ByteTokenizer: Tokenizer, Equatable {
    private var specials = SpecialTokenTable()

    /// A byte tokenizer with the given special tokens at ids 256, 257, ….
    public init(specialTokens: [String] = []) throws {
        try addSpecialTokens(specialTokens)
    }

    public var vocabularySize: Int { max(256, specials.idLimit) }

    public var specialTokens: [String] { specials.contents }

    public func id(forSpecialToken token: String) -> Int32? { specials.id(for: token) }

    public func encode(_ text: String, allowSpecial: Bool) throws -> [Int32] {
        let bytes = Array(text.utf8)
        guard allowSpecial, !specials.isEmpty else { return bytes.map { Int32($0) } }
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            for segment in specials.split(buffer) {
                switch segment {
                case .text(let range): ids.append(contentsOf: buffer[range].map { Int32($0) })
                case .special(let id): ids.append(id)
                }
            }
        }
        return ids
    }

    public func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count)
        for id in ids {
            if id >= 0 && id < 256 {
                bytes.append(UInt8(id))
            } else if let special = specials.bytes(for: id) {
                if !skipSpecialTokens { bytes.append(contentsOf: special) }
            } else {
                throw TokenizerError.unknownTokenID(id: id, vocabularySize: vocabularySize)
            }
        }
        return bytes
    }

    @discardableResult
    public mutating func addSpecialTokens(_ tokens: [String]) throws -> [Int32] {
        var ids: [Int32] = []
        for token in tokens {
            try validateSpecialToken(token)
            if let existing = specials.id(for: token) {
                ids.append(existing)
                continue
            }
            let id = Int32(vocabularySize)
            specials.insert(token, id: id)
            ids.append(id)
        }
        return ids
    }

    /// Writes `tokenizer.json`: a Hugging Face byte-level BPE with the 256 byte tokens (id = byte
    /// value), no merges, and the special tokens as added tokens. Hugging Face `tokenizers` loads it
    /// too, and encodes exactly as this tokenizer does.
    public func save(to directory: URL) throws {
        try bpe.save(to: directory, formats: [.tokenizerJSON])
    }

    /// The same tokenizer expressed as a byte-level BPE without merges.
    var bpe: BPETokenizer {
        var tokens = [[UInt8]?]()
        for byte in 0..<256 { tokens.append([UInt8(byte)]) }
        let model = BPEModel(tokens: tokens, merges: [], addPrefixSpace: false)
        var specialTable = SpecialTokenTable()
        for (content, id) in zip(specials.contents, specials.ids) { specialTable.insert(content, id: id) }
        return BPETokenizer(model: model, specials: specialTable)
    }

    /// The byte tokenizer equivalent to `bpe`, if `bpe` has only the 256 byte tokens at their byte
    /// values, no merges, and special tokens from 256 on.
    init?(bytesOnly bpe: BPETokenizer) {
        let model = bpe.model
        guard model.merges.isEmpty, model.tokens.count == 256, !model.addPrefixSpace else { return nil }
        for byte in 0..<256 where model.tokens[byte] != [UInt8(byte)] { return nil }
        for id in bpe.specials.ids where id < 256 { return nil }
        specials = bpe.specials
    }
}
