// Reading and writing BPE tokenizers in the three common layouts:
//   * OpenAI:           encoder.json (token → id) + vocab.bpe (one merge "a b" per line)
//   * Hugging Face slow: vocab.json + merges.txt (the same two files under other names), with
//                        optional added_tokens.json, special_tokens_map.json, tokenizer_config.json
//   * Hugging Face fast: tokenizer.json (model.vocab, model.merges as "a b" or ["a", "b"],
//                        added_tokens)
// Tokens are spelled with GPT-2's byte-to-unicode alphabet (ByteLevel.swift) in all of them.
import Foundation
import JSON

extension BPETokenizer {
    /// Loads the tokenizer in `directory`: `tokenizer.json` if present, else `vocab.json` +
    /// `merges.txt`, else `encoder.json` + `vocab.bpe`.
    public init(directory: URL) throws {
        switch TokenizerFileFormat.detect(in: directory) {
        case .tokenizerJSON:
            try self.init(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"))
        case .vocabAndMerges:
            try self.init(
                vocabularyFile: directory.appendingPathComponent("vocab.json"),
                mergesFile: directory.appendingPathComponent("merges.txt"))
        case .openAI:
            try self.init(
                vocabularyFile: directory.appendingPathComponent("encoder.json"),
                mergesFile: directory.appendingPathComponent("vocab.bpe"))
        case nil:
            throw TokenizerError.missingFile(
                path: directory.appendingPathComponent("tokenizer.json").path,
                hint: "a tokenizer directory needs tokenizer.json, or vocab.json and merges.txt, "
                    + "or encoder.json and vocab.bpe")
        }
    }

    /// Loads a vocabulary (`encoder.json` or `vocab.json`) and its merges (`vocab.bpe` or
    /// `merges.txt`). Side files next to the vocabulary are read when present: `added_tokens.json`
    /// (extra tokens with ids), `special_tokens_map.json` (which tokens are special) and
    /// `tokenizer_config.json` (`add_prefix_space`). "<|endoftext|>" is special whenever the
    /// vocabulary has it, as in GPT-2.
    public init(vocabularyFile: URL, mergesFile: URL) throws {
        let hint = "pass a GPT-2-style vocabulary (encoder.json or vocab.json) and merges file (vocab.bpe or merges.txt)"
        guard let vocab = try FileIO.readJSON(vocabularyFile, hint: hint).object?.members else {
            throw TokenizerError.malformedVocabulary(
                path: vocabularyFile.path, reason: "expected a JSON object mapping each token to its id")
        }
        let merges = try Self.readMergesText(mergesFile, hint: hint)

        let folder = vocabularyFile.deletingLastPathComponent()
        var added: [(String, Int)] = []
        let addedURL = folder.appendingPathComponent("added_tokens.json")
        if FileManager.default.fileExists(atPath: addedURL.path) {
            guard let object = try FileIO.readJSON(addedURL, hint: "").object else {
                throw TokenizerError.malformedVocabulary(
                    path: addedURL.path, reason: "expected a JSON object mapping each added token to its id")
            }
            for (content, value) in object {
                guard let id = value.integer else {
                    throw TokenizerError.malformedVocabulary(
                        path: addedURL.path, reason: "the id of \(quoted(content)) is not an integer")
                }
                added.append((content, id))
            }
        }
        var named: [String] = []
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        if FileManager.default.fileExists(atPath: mapURL.path) {
            named = Self.specialTokenNames(in: try FileIO.readJSON(mapURL, hint: ""))
        }
        var addPrefixSpace = false
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path),
            let flag = try FileIO.readJSON(configURL, hint: "")["add_prefix_space"]?.bool
        {
            addPrefixSpace = flag
        }
        self = try Self.build(
            vocab: vocab, vocabPath: vocabularyFile.path, merges: merges, mergesPath: mergesFile.path,
            added: added, addedPath: addedURL.path, named: named, namedPath: mapURL.path,
            addPrefixSpace: addPrefixSpace)
    }

    /// Loads a Hugging Face `tokenizer.json` holding a GPT-2-style byte-level BPE.
    public init(tokenizerJSON url: URL) throws {
        let path = url.path
        let root = try FileIO.readJSON(url, hint: "pass a Hugging Face tokenizer.json")
        guard root.object != nil else {
            throw TokenizerError.malformedVocabulary(path: path, reason: "expected a JSON object at the top level")
        }
        guard let model = root["model"], model.object != nil else {
            throw TokenizerError.malformedVocabulary(path: path, reason: "there is no \"model\" object")
        }
        let unsupported = { (reason: String) in TokenizerError.unsupportedFormat(path: path, reason: reason) }
        if let type = model["type"]?.string, type != "BPE" {
            throw unsupported("model type \(type) is not supported; only byte-level BPE (GPT-2 style) is")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key]?.string, !value.isEmpty {
                throw unsupported("model.\(key) = \(quoted(value)); only GPT-2-style BPE without affixes is supported")
            }
        }
        if model["byte_fallback"]?.bool == true {
            throw unsupported("model.byte_fallback is set (a SentencePiece-style BPE); only byte-level BPE is supported")
        }
        if let normalizer = root["normalizer"], !normalizer.isNull {
            throw unsupported("it has a normalizer; only GPT-2-style byte-level BPE without normalization is supported")
        }
        guard let pre = root["pre_tokenizer"], pre["type"]?.string == "ByteLevel" else {
            throw unsupported("the pre_tokenizer is not ByteLevel; only GPT-2's byte-level pre-tokenization is supported")
        }
        if pre["use_regex"]?.bool == false {
            throw unsupported("pre_tokenizer.use_regex is false; only GPT-2's pattern is supported")
        }
        let addPrefixSpace = pre["add_prefix_space"]?.bool ?? false

        guard let vocab = model["vocab"]?.object?.members else {
            throw TokenizerError.malformedVocabulary(path: path, reason: "model.vocab is missing or not an object")
        }
        guard let mergeEntries = model["merges"]?.array else {
            throw TokenizerError.malformedMerges(path: path, line: 0, reason: "model.merges is missing or not an array")
        }
        var merges: [(left: String, right: String, line: Int)] = []
        merges.reserveCapacity(mergeEntries.count)
        for (index, entry) in mergeEntries.enumerated() {
            if let text = entry.string {
                let parts = text.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw TokenizerError.malformedMerges(
                        path: path, line: index + 1,
                        reason: "\(quoted(text)) is not two tokens separated by one space, as in \"Ġ t\"")
                }
                merges.append((String(parts[0]), String(parts[1]), index + 1))
            } else if let pair = entry.array, pair.count == 2, let left = pair[0].string, let right = pair[1].string {
                merges.append((left, right, index + 1))
            } else {
                throw TokenizerError.malformedMerges(
                    path: path, line: index + 1, reason: "expected a string \"a b\" or a pair [\"a\", \"b\"]")
            }
        }
        var added: [(String, Int)] = []
        for entry in root["added_tokens"]?.array ?? [] {
            guard let content = entry["content"]?.string, let id = entry["id"]?.integer else {
                throw TokenizerError.malformedVocabulary(
                    path: path, reason: "each added_tokens entry needs an integer \"id\" and a string \"content\"")
            }
            added.append((content, id))
        }
        self = try Self.build(
            vocab: vocab, vocabPath: path, merges: merges, mergesPath: path,
            added: added, addedPath: path, named: [], namedPath: path, addPrefixSpace: addPrefixSpace)
    }

    // MARK: - Building

    /// The largest id a vocabulary file may use (keeps a bad file from allocating gigabytes).
    static let maximumID = 1 << 24

    /// Reads `vocab.bpe` / `merges.txt`: an optional "#version" line, then "left right" per line.
    static func readMergesText(_ url: URL, hint: String) throws -> [(left: String, right: String, line: Int)] {
        let bytes = [UInt8](try FileIO.readData(url, hint: hint))
        var merges: [(left: String, right: String, line: Int)] = []
        merges.reserveCapacity(bytes.count / 8)
        let version = Array("#version".utf8)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let next = end + 1
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            defer { start = next }
            let line = bytes[start..<end]
            if line.isEmpty || line.starts(with: version) { continue }
            var space = -1, spaces = 0
            for k in line.indices where bytes[k] == 0x20 {
                spaces += 1
                if space < 0 { space = k }
            }
            guard spaces == 1, space > start, space < end - 1 else {
                throw TokenizerError.malformedMerges(
                    path: url.path, line: lineNumber,
                    reason: "\(quoted(String(decoding: line, as: UTF8.self))) is not two tokens separated by one space, as in \"Ġ t\"")
            }
            guard let left = String(validating: bytes[start..<space], as: UTF8.self),
                let right = String(validating: bytes[(space + 1)..<end], as: UTF8.self)
            else {
                throw TokenizerError.malformedMerges(path: url.path, line: lineNumber, reason: "the line is not valid UTF-8")
            }
            merges.append((left, right, lineNumber))
        }
        return merges
    }

    /// Every token named in a `special_tokens_map.json` (strings, `{"content": …}`, or arrays of them).
    static func specialTokenNames(in json: JSONValue) -> [String] {
        var names: [String] = []
        func visit(_ value: JSONValue) {
            if let text = value.string {
                names.append(text)
            } else if let content = value["content"]?.string {
                names.append(content)
            } else if let members = value.object {
                members.forEach { visit($0.value) }
            } else if let array = value.array {
                array.forEach(visit)
            }
        }
        visit(json)
        return names
    }

    static func build(
        vocab: [(key: String, value: JSONValue)], vocabPath: String,
        merges rawMerges: [(left: String, right: String, line: Int)], mergesPath: String,
        added: [(String, Int)], addedPath: String, named: [String], namedPath: String,
        addPrefixSpace: Bool
    ) throws -> BPETokenizer {
        func malformed(_ reason: String) -> TokenizerError {
            .malformedVocabulary(path: vocabPath, reason: reason)
        }
        // 1. The base vocabulary, validated in id order so that errors are reproducible.
        guard !vocab.isEmpty else { throw malformed("the vocabulary is empty") }
        var entries: [(token: String, id: Int)] = []
        entries.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let id = value.integer else { throw malformed("the id of \(quoted(token)) is not an integer") }
            guard id >= 0 && id < maximumID else {
                throw malformed("\(quoted(token)) has id \(id); ids must be in 0..<\(maximumID)")
            }
            entries.append((token, id))
        }
        entries.sort { $0.id != $1.id ? $0.id < $1.id : $0.token.utf8.lexicographicallyPrecedes($1.token.utf8) }
        let addedContents = Set(added.map(\.0))
        var tokens = [[UInt8]?](repeating: nil, count: entries.last!.id + 1)
        var spelling = [String?](repeating: nil, count: tokens.count)
        for (token, id) in entries {
            if let previous = spelling[id] {
                throw malformed("id \(id) is used by both \(quoted(previous)) and \(quoted(token)); each id must name one token")
            }
            if let bytes = ByteLevel.decode(token) {
                tokens[id] = bytes
            } else if addedContents.contains(token) {
                tokens[id] = Array(token.utf8)
            } else {
                let scalar = ByteLevel.firstForeignScalar(in: token)!
                let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                throw malformed(
                    "token \(quoted(token)) (id \(id)) contains \(code), which is not in GPT-2's byte-to-unicode alphabet; "
                        + "only byte-level BPE vocabularies are supported")
            }
            spelling[id] = token
        }
        var idOfBytes: [[UInt8]: Int32] = [:]
        idOfBytes.reserveCapacity(tokens.count)
        for (id, bytes) in tokens.enumerated() {
            guard let bytes else { continue }
            if let other = idOfBytes.updateValue(Int32(id), forKey: bytes) {
                throw malformed("\(quoted(spelling[id]!)) appears twice (ids \(other) and \(id)); each token must have one id")
            }
        }

        // 2. Merges: both sides and their concatenation must be vocabulary tokens.
        var merges: [Merge] = []
        merges.reserveCapacity(rawMerges.count)
        for (left, right, line) in rawMerges {
            func resolve(_ token: String) throws -> ([UInt8], Int32) {
                guard let bytes = ByteLevel.decode(token) else {
                    let scalar = ByteLevel.firstForeignScalar(in: token)!
                    throw TokenizerError.malformedMerges(
                        path: mergesPath, line: line,
                        reason: "\(quoted(token)) contains U+\(String(scalar.value, radix: 16, uppercase: true)), "
                            + "which is not in GPT-2's byte-to-unicode alphabet")
                }
                guard let id = idOfBytes[bytes] else {
                    throw TokenizerError.malformedMerges(
                        path: mergesPath, line: line,
                        reason: "\(quoted(token)) is not in the vocabulary \(vocabPath); the merges file must match the vocabulary")
                }
                return (bytes, id)
            }
            let (leftBytes, leftID) = try resolve(left)
            let (rightBytes, rightID) = try resolve(right)
            guard let result = idOfBytes[leftBytes + rightBytes] else {
                throw TokenizerError.malformedMerges(
                    path: mergesPath, line: line,
                    reason: "the merged token \(quoted(left + right)) is not in the vocabulary \(vocabPath); "
                        + "the merges file must match the vocabulary")
            }
            merges.append(Merge(left: leftID, right: rightID, result: result))
        }

        // 3. Special tokens: added tokens with their ids, named ones, and GPT-2's <|endoftext|>.
        var specialList: [(String, Int32)] = []
        var idOfSpecial: [String: Int32] = [:]
        var contentOfID: [Int32: String] = [:]
        for (content, id) in added.sorted(by: { $0.1 < $1.1 }) {
            guard !content.isEmpty, id >= 0, id < maximumID else {
                throw TokenizerError.malformedVocabulary(
                    path: addedPath, reason: "added token \(quoted(content)) with id \(id) is invalid; "
                        + "added tokens need text and an id in 0..<\(maximumID)")
            }
            if let other = contentOfID[Int32(id)], other != content {
                throw TokenizerError.malformedVocabulary(
                    path: addedPath, reason: "added tokens \(quoted(other)) and \(quoted(content)) share id \(id)")
            }
            if idOfSpecial[content] != nil { continue }
            specialList.append((content, Int32(id)))
            idOfSpecial[content] = Int32(id)
            contentOfID[Int32(id)] = content
        }
        var extra: [(String, Int32)] = []
        for name in named + ["<|endoftext|>"] where idOfSpecial[name] == nil {
            if let bytes = ByteLevel.decode(name), let id = idOfBytes[bytes], contentOfID[id] == nil {
                extra.append((name, id))
                idOfSpecial[name] = id
                contentOfID[id] = name
            } else if name != "<|endoftext|>" {
                throw TokenizerError.malformedVocabulary(
                    path: namedPath, reason: "special token \(quoted(name)) is neither in the vocabulary "
                        + "nor in added_tokens.json; add it to one of them or remove it from this file")
            }
        }
        var specials = SpecialTokenTable()
        for (content, id) in (specialList + extra).sorted(by: { $0.1 < $1.1 }) { specials.insert(content, id: id) }

        let model = BPEModel(tokens: tokens, merges: merges, addPrefixSpace: addPrefixSpace, idOfBytes: idOfBytes)
        return BPETokenizer(model: model, specials: specials)
    }

    // MARK: - Saving

    /// Writes `tokenizer.json`, `vocab.json` and `merges.txt` (what a Hugging Face GPT-2 directory
    /// holds), plus `added_tokens.json` / `special_tokens_map.json` when there are special tokens.
    public func save(to directory: URL) throws {
        try save(to: directory, formats: [.tokenizerJSON, .vocabAndMerges])
    }

    /// Writes the tokenizer into `directory` in each of `formats`.
    public func save(to directory: URL, formats: Set<TokenizerFileFormat>) throws {
        try FileIO.createDirectory(directory)
        let vocab = vocabularyJSON()
        let merges = mergesText()
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        if formats.contains(.tokenizerJSON) {
            try FileIO.write(tokenizerJSON(vocab: vocab), to: file("tokenizer.json"))
        }
        if formats.contains(.vocabAndMerges) {
            try FileIO.write(vocab, to: file("vocab.json"))
            try FileIO.write(merges, to: file("merges.txt"))
        }
        if formats.contains(.openAI) {
            try FileIO.write(vocab, to: file("encoder.json"))
            try FileIO.write(merges, to: file("vocab.bpe"))
        }
        if formats.contains(.vocabAndMerges) || formats.contains(.openAI) {
            let outside = zip(specials.contents, specials.ids).filter { !isVocabularyEntry($0.0, id: $0.1) }
            if !outside.isEmpty {
                try FileIO.write(jsonObject(outside.map { ($0.0, String($0.1)) }) + "\n", to: file("added_tokens.json"))
            }
            if !specials.isEmpty {
                let list = "[" + specials.contents.map(JSONValue.quote).joined(separator: ", ") + "]"
                try FileIO.write(jsonObject([("additional_special_tokens", list)]) + "\n", to: file("special_tokens_map.json"))
            }
            if model.addPrefixSpace {
                try FileIO.write(jsonObject([("add_prefix_space", "true")]) + "\n", to: file("tokenizer_config.json"))
            }
        }
    }

    /// Whether `content` is the base-vocabulary spelling of `id`.
    private func isVocabularyEntry(_ content: String, id: Int32) -> Bool {
        guard id >= 0, Int(id) < model.tokens.count, let bytes = model.tokens[Int(id)] else { return false }
        return ByteLevel.encode(bytes) == content
    }

    /// `{"!": 0, "\"": 1, …}` in id order, on one line like OpenAI's encoder.json.
    func vocabularyJSON() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(model.tokens.count * 16)
        var first = true
        for (id, bytes) in model.tokens.enumerated() {
            guard let bytes else { continue }
            if !first { out.append(contentsOf: [0x2C, 0x20]) }
            first = false
            out.append(0x22)
            ByteLevel.appendSpelling(of: bytes, to: &out, jsonEscaped: true)
            out.append(contentsOf: Array("\": \(id)".utf8))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// "#version: 0.2" and one "left right" line per merge, in rank order.
    func mergesText() -> [UInt8] {
        var out = Array("#version: 0.2\n".utf8)
        out.reserveCapacity(model.merges.count * 12)
        for merge in model.merges {
            ByteLevel.appendSpelling(of: model.tokens[Int(merge.left)]!, to: &out, jsonEscaped: false)
            out.append(0x20)
            ByteLevel.appendSpelling(of: model.tokens[Int(merge.right)]!, to: &out, jsonEscaped: false)
            out.append(0x0A)
        }
        return out
    }

    /// A complete Hugging Face `tokenizer.json`; merges are written as "a b" strings, which every
    /// version of `tokenizers` reads.
    func tokenizerJSON(vocab: [UInt8]) -> [UInt8] {
        let prefix = model.addPrefixSpace ? "true" : "false"
        let added = zip(specials.contents, specials.ids).sorted { $0.1 < $1.1 }.map { content, id in
            "    {\"id\": \(id), \"content\": \(JSONValue.quote(content)), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        let head = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
            \(added.joined(separator: ",\n"))
              ],
              "normalizer": null,
              "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": \(prefix), "trim_offsets": true, "use_regex": true},
              "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {
                "type": "BPE",
                "dropout": null,
                "unk_token": null,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": false,
                "byte_fallback": false,
                "ignore_merges": false,
                "vocab": 
            """
        var out = Array(head.utf8)
        out.append(contentsOf: vocab)
        out.append(contentsOf: Array(",\n    \"merges\": [".utf8))
        for (k, merge) in model.merges.enumerated() {
            if k > 0 { out.append(contentsOf: [0x2C, 0x20]) }
            out.append(0x22)
            ByteLevel.appendSpelling(of: model.tokens[Int(merge.left)]!, to: &out, jsonEscaped: true)
            out.append(0x20)
            ByteLevel.appendSpelling(of: model.tokens[Int(merge.right)]!, to: &out, jsonEscaped: true)
            out.append(0x22)
        }
        out.append(contentsOf: Array("]\n  }\n}\n".utf8))
        return out
    }
}
