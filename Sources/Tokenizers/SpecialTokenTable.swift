// Special tokens (such as "<|endoftext|>", "<|pad|>", Quark's reward tokens): text with a fixed id
// that BPE never produces. With `allowSpecial`, their literal text is split out of the input first,
// leftmost and longest match first, like tiktoken's `allowed_special` and Hugging Face's added
// tokens; the text between them is encoded normally.

/// The special tokens of a tokenizer, in the order they were added.
struct SpecialTokenTable: Sendable, Equatable {
    private(set) var contents: [String] = []
    private(set) var ids: [Int32] = []
    private var utf8: [[UInt8]] = []
    private var idByContent: [String: Int32] = [:]
    private var contentByID: [Int32: Int] = [:]

    var isEmpty: Bool { contents.isEmpty }

    func id(for content: String) -> Int32? { idByContent[content] }

    /// The UTF-8 bytes of the special token with this id, if it is one.
    func bytes(for id: Int32) -> [UInt8]? {
        contentByID[id].map { utf8[$0] }
    }

    func isSpecial(_ id: Int32) -> Bool { contentByID[id] != nil }

    /// The largest id plus one, or 0.
    var idLimit: Int { Int(ids.max() ?? -1) + 1 }

    mutating func insert(_ content: String, id: Int32) {
        guard idByContent[content] == nil else { return }
        contents.append(content)
        ids.append(id)
        utf8.append(Array(content.utf8))
        idByContent[content] = id
        contentByID[id] = contents.count - 1
    }

    enum Segment {
        case text(Range<Int>)
        case special(Int32)
    }

    /// Cuts `bytes` into ordinary text and special tokens.
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Segment] {
        guard !contents.isEmpty else { return [.text(0..<bytes.count)] }
        // Candidates by first byte, longest first.
        var byFirst = [[Int]](repeating: [], count: 256)
        for (k, token) in utf8.enumerated() where !token.isEmpty { byFirst[Int(token[0])].append(k) }
        for b in 0..<256 where byFirst[b].count > 1 { byFirst[b].sort { utf8[$0].count > utf8[$1].count } }

        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            var matched = -1
            for k in byFirst[Int(bytes[i])] {
                let token = utf8[k]
                if i + token.count <= n && token.indices.allSatisfy({ bytes[i + $0] == token[$0] }) {
                    matched = k
                    break
                }
            }
            if matched >= 0 {
                if textStart < i { segments.append(.text(textStart..<i)) }
                segments.append(.special(ids[matched]))
                i += utf8[matched].count
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < n { segments.append(.text(textStart..<n)) }
        return segments
    }
}

/// Rejects special tokens that cannot work: empty ones, and ones with unpaired or invalid text.
func validateSpecialToken(_ token: String) throws {
    if token.isEmpty {
        throw TokenizerError.invalidSpecialToken(token: token, reason: "a special token needs at least one character")
    }
}
