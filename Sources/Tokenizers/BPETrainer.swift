// Learning a byte-level BPE vocabulary from text, GPT-2 style:
//   1. cut special tokens out of the corpus, pre-tokenize the rest with GPT-2's pattern, and count
//      each distinct word;
//   2. start every word as its bytes (the 256 byte tokens are always in the vocabulary);
//   3. repeatedly merge the most frequent adjacent pair (ties: the pair with the smaller ids),
//      updating pair counts only in the words that contain it, until the vocabulary is full.
// The merges are applied left to right within a word, exactly as the encoder applies them, so the
// trained tokenizer encodes its training words the way training merged them.
import Foundation

/// Learns a byte-level BPE tokenizer from a corpus.
///
/// ```swift
/// let trainer = try BPETrainer(configuration: .init(vocabularySize: 2048))
/// let tokenizer = try trainer.train(contentsOf: URL(fileURLWithPath: "corpus.txt"))
/// try tokenizer.save(to: URL(fileURLWithPath: "tokenizer"))   // tokenizer.json, vocab.json, merges.txt
/// ```
public struct BPETrainer: Sendable {
    /// What to learn.
    public struct Configuration: Sendable, Equatable {
        /// The vocabulary size to reach: 256 byte tokens + merges + special tokens.
        public var vocabularySize: Int
        /// Special tokens, given ids after the merges (the last ids). Where their text appears in
        /// the corpus it separates words and is not learned from.
        public var specialTokens: [String]
        /// Pairs seen fewer times than this are never merged. When no pair is that frequent,
        /// training stops early and the vocabulary is smaller than `vocabularySize`.
        public var minimumPairFrequency: Int

        public init(vocabularySize: Int = 2048, specialTokens: [String] = ["<|endoftext|>"], minimumPairFrequency: Int = 2) {
            self.vocabularySize = vocabularySize
            self.specialTokens = specialTokens
            self.minimumPairFrequency = minimumPairFrequency
        }

        /// Throws `TokenizerError.invalid` naming the bad field, its value and the fix.
        public func validate() throws {
            let minimum = 256 + specialTokens.count
            if vocabularySize < minimum || vocabularySize > BPETokenizer.maximumID {
                throw TokenizerError.invalid(.invalidValue(
                    field: "vocabularySize", value: String(vocabularySize),
                    requirement: "it must be at least 256 byte tokens + \(specialTokens.count) special tokens = \(minimum), "
                        + "and at most \(BPETokenizer.maximumID)"))
            }
            if minimumPairFrequency < 1 {
                throw TokenizerError.invalid(.invalidValue(
                    field: "minimumPairFrequency", value: String(minimumPairFrequency), requirement: "it must be 1 or more"))
            }
            if let empty = specialTokens.firstIndex(where: \.isEmpty) {
                throw TokenizerError.invalid(.invalidValue(
                    field: "specialTokens[\(empty)]", value: "\"\"", requirement: "special tokens need at least one character"))
            }
            if Set(specialTokens).count != specialTokens.count {
                throw TokenizerError.invalid(.invalidValue(
                    field: "specialTokens", value: "\(specialTokens)", requirement: "it must list each special token once"))
            }
        }
    }

    // MARK: - Training

    public let configuration: Configuration

    /// A trainer for `configuration`, which is validated here.
    public init(configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Learns from the UTF-8 text file at `url`.
    public func train(contentsOf url: URL) throws -> BPETokenizer {
        let data = try FileIO.readData(url, hint: "pass a UTF-8 text file to train on")
        guard let text = String(validating: data, as: UTF8.self) else {
            throw TokenizerError.ioFailure(
                path: url.path, reason: "the file is not valid UTF-8; convert it first (e.g. iconv -t UTF-8)")
        }
        return try train(on: [text])
    }

    /// Learns from one text.
    public func train(on text: String) throws -> BPETokenizer {
        try train(on: [text])
    }

    /// Learns from several texts (documents never merge across their boundaries).
    ///
    /// - Returns: A tokenizer with `configuration.vocabularySize` tokens (fewer if the corpus runs
    ///   out of pairs seen `minimumPairFrequency` times): ids 0...255 are the bytes, then one token
    ///   per merge, then the special tokens.
    /// - Throws: `TokenizerError.invalid` for bad settings.
    public func train(on texts: [String]) throws -> BPETokenizer {
        try configuration.validate()
        var specials = SpecialTokenTable()
        for (k, token) in configuration.specialTokens.enumerated() { specials.insert(token, id: Int32(k)) }

        // 1. Count distinct words.
        var wordCounts: [[UInt8]: Int] = [:]
        var scratch = GPT2PreTokenizer.Scratch()
        for text in texts {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                for case .text(let range) in specials.split(buffer) {
                    GPT2PreTokenizer.forEachPiece(in: buffer, range: range, scratch: &scratch) { piece in
                        wordCounts[Array(buffer[piece]), default: 0] += 1
                    }
                }
            }
        }
        // Sorted, so that nothing below depends on dictionary order.
        let distinct = wordCounts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        wordCounts = [:]
        var words: [[Int32]] = distinct.map { $0.key.map { Int32($0) } }
        let frequency: [Int] = distinct.map(\.value)

        // 2. Pair counts, where each pair occurs, and a heap of candidates.
        var pairCounts: [UInt64: Int] = [:]
        var occurrences: [UInt64: [Int32]] = [:]
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let key = BPEModel.key(word[i], word[i + 1])
                pairCounts[key, default: 0] += frequency[w]
                if occurrences[key]?.last != Int32(w) { occurrences[key, default: []].append(Int32(w)) }
            }
        }
        var heap = MinHeap<Candidate>()
        for key in pairCounts.keys.sorted() { heap.push(Candidate(count: pairCounts[key]!, key: key)) }

        // 3. Merge until the vocabulary is full.
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var idOfBytes: [[UInt8]: Int32] = [:]
        for (id, bytes) in tokens.enumerated() { idOfBytes[bytes] = Int32(id) }
        var merges: [Merge] = []
        let baseSize = configuration.vocabularySize - configuration.specialTokens.count
        var lastVisit = [Int](repeating: -1, count: words.count)

        while tokens.count < baseSize, let top = heap.pop() {
            let current = pairCounts[top.key] ?? 0
            if current != top.count {  // stale entry: counts only fall, so re-queue the true count
                if current > 0 { heap.push(Candidate(count: current, key: top.key)) }
                continue
            }
            if current < configuration.minimumPairFrequency { break }
            let left = Int32(truncatingIfNeeded: top.key >> 32), right = Int32(truncatingIfNeeded: top.key & 0xFFFF_FFFF)
            let bytes = tokens[Int(left)] + tokens[Int(right)]
            let result: Int32
            if let existing = idOfBytes[bytes] {
                result = existing  // the same bytes reached by another split: reuse the token
            } else {
                result = Int32(tokens.count)
                tokens.append(bytes)
                idOfBytes[bytes] = result
            }
            let step = merges.count
            merges.append(Merge(left: left, right: right, result: result))

            var newPairs: [UInt64] = []
            var isNewPair = Set<UInt64>()
            for w32 in occurrences.removeValue(forKey: top.key) ?? [] {
                let w = Int(w32)
                guard lastVisit[w] != step else { continue }
                lastVisit[w] = step
                let old = words[w]
                var merged: [Int32] = []
                merged.reserveCapacity(old.count)
                var i = 0
                while i < old.count {
                    if i + 1 < old.count && old[i] == left && old[i + 1] == right {
                        merged.append(result)
                        i += 2
                    } else {
                        merged.append(old[i])
                        i += 1
                    }
                }
                guard merged.count != old.count else { continue }
                let f = frequency[w]
                for i in 0..<(old.count - 1) { pairCounts[BPEModel.key(old[i], old[i + 1])]! -= f }
                if merged.count > 1 {
                    for i in 0..<(merged.count - 1) {
                        let key = BPEModel.key(merged[i], merged[i + 1])
                        pairCounts[key, default: 0] += f
                        if merged[i] == result || merged[i + 1] == result {
                            if occurrences[key]?.last != w32 { occurrences[key, default: []].append(w32) }
                            if isNewPair.insert(key).inserted { newPairs.append(key) }
                        }
                    }
                }
                words[w] = merged
            }
            pairCounts[top.key] = nil
            for key in newPairs {
                if let count = pairCounts[key], count > 0 { heap.push(Candidate(count: count, key: key)) }
            }
        }

        var table = SpecialTokenTable()
        for (k, token) in configuration.specialTokens.enumerated() { table.insert(token, id: Int32(tokens.count + k)) }
        let model = BPEModel(tokens: tokens.map { $0 }, merges: merges, addPrefixSpace: false, idOfBytes: idOfBytes)
        return BPETokenizer(model: model, specials: table)
    }
}

/// A pair and its count; "smaller" is better: a higher count, then smaller ids.
private struct Candidate: Comparable {
    var count: Int
    var key: UInt64
    static func < (a: Candidate, b: Candidate) -> Bool {
        a.count != b.count ? a.count > b.count : a.key < b.key
    }
}
