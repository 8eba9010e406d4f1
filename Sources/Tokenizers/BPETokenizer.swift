// GPT-2's byte-level BPE, encoding and decoding exactly as OpenAI's encoder.py and Hugging Face's
// GPT2Tokenizer do:
//   1. (with `allowSpecial`) cut out special tokens;
//   2. cut the rest into words with the GPT-2 pattern (GPT2PreTokenizer.swift);
//   3. start each word as its UTF-8 bytes and repeatedly merge the adjacent pair with the lowest
//      merge rank, every occurrence of it left to right, until no pair has a rank;
//   4. decode by concatenating token bytes and reading them as UTF-8 with U+FFFD replacement.
// Tokens are handled as raw bytes throughout; the byte-to-unicode spelling (ByteLevel.swift) only
// appears in files.
import Foundation

/// A merge rule `left + right → result`, all three vocabulary ids.
struct Merge: Equatable, Sendable {
    var left: Int32
    var right: Int32
    var result: Int32
}

/// The immutable BPE tables, shared between copies of a tokenizer, with a word cache.
final class BPEModel: @unchecked Sendable {
    /// Token bytes by id; nil for an id the vocabulary skips.
    let tokens: [[UInt8]?]
    /// The merges in rank order (rank = index).
    let merges: [Merge]
    /// Hugging Face's `add_prefix_space`: encode "Hello" as if it were " Hello". GPT-2 has false.
    let addPrefixSpace: Bool

    let idOfBytes: [[UInt8]: Int32]
    /// The id of each single byte, or -1 if the vocabulary lacks it.
    let idOfByte: [Int32]
    /// (left << 32 | right) → (rank << 32 | result). A repeated pair keeps its last rank, as the
    /// Python dict in encoder.py does.
    let ranks: [UInt64: UInt64]

    private let cacheLock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    private static let cacheLimit = 200_000

    /// `idOfBytes`, if given, must be the inverse of `tokens` (the loader has built it already).
    init(tokens: [[UInt8]?], merges: [Merge], addPrefixSpace: Bool, idOfBytes known: [[UInt8]: Int32]? = nil) {
        self.tokens = tokens
        self.merges = merges
        self.addPrefixSpace = addPrefixSpace
        var idOfBytes: [[UInt8]: Int32] = known ?? [:]
        if known == nil {
            idOfBytes.reserveCapacity(tokens.count)
            for (id, bytes) in tokens.enumerated() {
                if let bytes, idOfBytes[bytes] == nil { idOfBytes[bytes] = Int32(id) }
            }
        }
        self.idOfBytes = idOfBytes
        self.idOfByte = (0..<256).map { idOfBytes[[UInt8($0)]] ?? -1 }
        var ranks: [UInt64: UInt64] = [:]
        ranks.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            ranks[Self.key(merge.left, merge.right)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merge.result))
        }
        self.ranks = ranks
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    // MARK: Encoding one word

    /// Appends the BPE tokens of the word `bytes[range]`.
    func encodeWord(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Int32]) throws {
        if range.count == 1 {
            let id = idOfByte[Int(bytes[range.lowerBound])]
            guard id >= 0 else { throw unencodable(bytes, range) }
            out.append(id)
            return
        }
        let word = Array(bytes[range])
        cacheLock.lock()
        let cached = cache[word]
        cacheLock.unlock()
        if let cached {
            out.append(contentsOf: cached)
            return
        }
        var symbols = [Int32]()
        symbols.reserveCapacity(word.count)
        for byte in word {
            let id = idOfByte[Int(byte)]
            guard id >= 0 else { throw unencodable(bytes, range) }
            symbols.append(id)
        }
        let merged = symbols.count <= 48 ? mergeShort(symbols) : mergeLong(symbols)
        out.append(contentsOf: merged)
        cacheLock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[word] = merged
        cacheLock.unlock()
    }

    private func unencodable(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> TokenizerError {
        .unencodable(text: decodeUTF8Replacing(Array(bytes[range])))
    }

    /// encoder.py's loop, in place: find the lowest-ranked adjacent pair, merge all its occurrences
    /// left to right, repeat. Quadratic in the word length, fastest for ordinary words.
    private func mergeShort(_ start: [Int32]) -> [Int32] {
        var symbols = start
        while symbols.count > 1 {
            var best = UInt64.max
            var bestIndex = -1
            for i in 0..<(symbols.count - 1) {
                if let entry = ranks[Self.key(symbols[i], symbols[i + 1])], entry < best {
                    best = entry
                    bestIndex = i
                }
            }
            if bestIndex < 0 { break }
            let left = symbols[bestIndex], right = symbols[bestIndex + 1]
            let result = Int32(bitPattern: UInt32(truncatingIfNeeded: best))
            var write = bestIndex, read = bestIndex
            let n = symbols.count
            while read < n {
                if read + 1 < n && symbols[read] == left && symbols[read + 1] == right {
                    symbols[write] = result
                    read += 2
                } else {
                    symbols[write] = symbols[read]
                    read += 1
                }
                write += 1
            }
            symbols.removeLast(n - write)
        }
        return symbols
    }

    /// The same result as `mergeShort` in O(n log n) for long words (a run of 10,000 digits):
    /// a linked list of symbols and a heap of (rank, position). Each round takes every pair of
    /// the current lowest rank and merges them in position order, which is encoder.py's
    /// left-to-right scan.
    private func mergeLong(_ start: [Int32]) -> [Int32] {
        var symbols = start  // -1 once merged into its left neighbour
        let n = symbols.count
        var next = (0..<n).map { Int32($0 + 1 < n ? $0 + 1 : -1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        var heap = MinHeap<PairEntry>()

        func push(_ p: Int32) {
            guard p >= 0 else { return }
            let q = next[Int(p)]
            guard q >= 0 else { return }
            let a = symbols[Int(p)], b = symbols[Int(q)]
            if let entry = ranks[Self.key(a, b)] {
                heap.push(PairEntry(rank: UInt32(entry >> 32), position: p, left: a, right: b))
            }
        }
        for p in 0..<n { push(Int32(p)) }

        var round: [PairEntry] = []
        while let top = heap.pop() {
            round.removeAll(keepingCapacity: true)
            round.append(top)
            while let peek = heap.peek, peek.rank == top.rank { round.append(heap.pop()!) }
            round.sort { $0.position < $1.position }
            for entry in round {
                let p = Int(entry.position)
                let q = Int(next[p])
                guard symbols[p] == entry.left, q >= 0, symbols[q] == entry.right else { continue }
                let result = Int32(bitPattern: UInt32(truncatingIfNeeded: ranks[Self.key(entry.left, entry.right)]!))
                symbols[p] = result
                symbols[q] = -1
                next[p] = next[q]
                if next[q] >= 0 { prev[Int(next[q])] = Int32(p) }
                push(prev[p])
                push(Int32(p))
            }
        }
        var result: [Int32] = []
        var p: Int32 = 0
        while p >= 0 {
            result.append(symbols[Int(p)])
            p = next[Int(p)]
        }
        return result
    }
}

struct PairEntry: Comparable {
    var rank: UInt32
    var position: Int32
    var left: Int32
    var right: Int32
    static func < (a: PairEntry, b: PairEntry) -> Bool {
        (a.rank, a.position) < (b.rank, b.position)
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []
    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var peek: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[child] < items[parent] {
                items.swapAt(child, parent)
                child = parent
            } else {
                break
            }
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left] < items[smallest] { smallest = left }
                if right < items.count && items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}

// MARK: - Tokenizer

/// GPT-2's byte-level BPE tokenizer.
///
/// Load it from a directory with `init(directory:)` (OpenAI `encoder.json` + `vocab.bpe`, Hugging
/// Face `vocab.json` + `merges.txt`, or `tokenizer.json`), or learn one with `BPETrainer`.
/// Encoding reproduces GPT-2's token ids exactly (Tests/TokenizersTests/Fixtures holds the golden
/// file and the script that made it). Copies share the merge tables and the word cache.
public struct BPETokenizer: Tokenizer {
    let model: BPEModel
    var specials: SpecialTokenTable

    init(model: BPEModel, specials: SpecialTokenTable) {
        self.model = model
        self.specials = specials
    }

    public var vocabularySize: Int { max(model.tokens.count, specials.idLimit) }

    /// The size of the BPE vocabulary proper, before special tokens appended after it.
    public var baseVocabularySize: Int { model.tokens.count }

    /// The number of merge rules.
    public var mergeCount: Int { model.merges.count }

    /// Hugging Face's `add_prefix_space` (false for GPT-2).
    public var addsPrefixSpace: Bool { model.addPrefixSpace }

    public var specialTokens: [String] { specials.contents }

    public func id(forSpecialToken token: String) -> Int32? { specials.id(for: token) }

    /// The token as spelled in vocabulary files ("Ġthe" for " the"), or nil for an unknown id.
    public func vocabularyEntry(forID id: Int32) -> String? {
        if let bytes = specials.bytes(for: id) { return String(decoding: bytes, as: UTF8.self) }
        guard id >= 0, Int(id) < model.tokens.count, let bytes = model.tokens[Int(id)] else { return nil }
        return ByteLevel.encode(bytes)
    }

    /// The id of a token spelled as in vocabulary files ("Ġthe"), or nil.
    public func id(forVocabularyEntry entry: String) -> Int32? {
        guard let bytes = ByteLevel.decode(entry) else { return specials.id(for: entry) }
        return model.idOfBytes[bytes] ?? specials.id(for: entry)
    }

    public func encode(_ text: String, allowSpecial: Bool) throws -> [Int32] {
        var bytes = Array(text.utf8)
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count / 3 + 1)
        try bytes.withUnsafeBufferPointer { buffer in
            var scratch = GPT2PreTokenizer.Scratch()
            if allowSpecial && !specials.isEmpty {
                for segment in specials.split(buffer) {
                    switch segment {
                    case .text(let range): try encodeOrdinary(buffer, range, &scratch, into: &ids)
                    case .special(let id): ids.append(id)
                    }
                }
            } else {
                try encodeOrdinary(buffer, 0..<buffer.count, &scratch, into: &ids)
            }
        }
        bytes.removeAll()
        return ids
    }

    private func encodeOrdinary(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ scratch: inout GPT2PreTokenizer.Scratch,
        into ids: inout [Int32]
    ) throws {
        if model.addPrefixSpace && !range.isEmpty && buffer[range.lowerBound] != 0x20 {
            var prefixed: [UInt8] = [0x20]
            prefixed.append(contentsOf: buffer[range])
            try prefixed.withUnsafeBufferPointer { inner in
                try GPT2PreTokenizer.forEachPiece(in: inner, range: 0..<inner.count, scratch: &scratch) { piece in
                    try model.encodeWord(inner, piece, into: &ids)
                }
            }
            return
        }
        try GPT2PreTokenizer.forEachPiece(in: buffer, range: range, scratch: &scratch) { piece in
            try model.encodeWord(buffer, piece, into: &ids)
        }
    }

    public func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        let tokens = model.tokens
        for id in ids {
            if let special = specials.bytes(for: id) {
                if !skipSpecialTokens { bytes.append(contentsOf: special) }
            } else if id >= 0, Int(id) < tokens.count, let token = tokens[Int(id)] {
                bytes.append(contentsOf: token)
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
            } else if let bytes = ByteLevel.decode(token), let existing = model.idOfBytes[bytes] {
                specials.insert(token, id: existing)  // already a vocabulary entry spelled this way
                ids.append(existing)
            } else {
                let id = Int32(vocabularySize)
                specials.insert(token, id: id)
                ids.append(id)
            }
        }
        return ids
    }
}
