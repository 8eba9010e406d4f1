// Pretraining data: documents from a text or JSONL file, joined into one token stream with EOS between them,
// split into a training head and a held-out validation tail, and cut into blocks at seeded random starts.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// Reading training text.
public enum PretrainingText {
    /// The documents in `url`: one per record of a `.jsonl` file (its `text` field), or the whole file as one
    /// document for any other extension.
    ///
    /// - Throws: `DatasetError` for a missing or unreadable file, an invalid JSONL record, or a file that is
    ///   not UTF-8; `TrainingError.emptyData` when there is no text.
    public static func documents(at url: URL) throws -> [String] {
        let documents: [String]
        if url.pathExtension.lowercased() == "jsonl" {
            documents = try JSONLReader().read(LanguageModelingRecord.self, from: url).records.map(\.text)
        } else {
            guard FileManager.default.fileExists(atPath: url.path) else { throw DatasetError.fileNotFound(path: url.path) }
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw DatasetError.fileUnreadable(path: url.path, reason: error.localizedDescription)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw DatasetError.fileUnreadable(path: url.path, reason: "it is not valid UTF-8 text; convert it with iconv -t UTF-8")
            }
            documents = [text]
        }
        guard documents.contains(where: { !$0.isEmpty }) else { throw TrainingError.emptyData(what: "the training text \(url.path)") }
        return documents
    }
}

/// A token stream cut into fixed-length blocks: random blocks from the training head, fixed blocks from the tail.
///
/// The stream is `doc₀ EOS doc₁ EOS … docₙ EOS`. The last `validationFraction` of it is held out; training
/// blocks start at positions drawn uniformly from the head, so every block lies wholly inside it.
public struct TokenBlocks: Sendable {
    /// The whole stream, `[tokens]`.
    public let tokens: [Int32]
    /// Tokens `0..<trainingCount` are for training, the rest for validation.
    public let trainingCount: Int
    /// Tokens per block.
    public let blockLength: Int

    /// Tokenizes and joins `documents`.
    ///
    /// - Parameters:
    ///   - documents: the texts; each is followed by `endOfText`.
    ///   - tokenizer: encodes each document (special-token text is encoded as ordinary text).
    ///   - endOfText: the separator id.
    ///   - blockLength: tokens per block.
    ///   - validationFraction: the share of the stream held out at its end (0 = none).
    /// - Throws: `TrainingError.emptyData` when the training head or the validation tail is shorter than one
    ///   block, with the numbers and what to change; tokenizer errors.
    public init(documents: [String], tokenizer: any Tokenizer, endOfText: Int32, blockLength: Int,
                validationFraction: Double) throws {
        var stream: [Int32] = []
        for document in documents where !document.isEmpty {
            stream.append(contentsOf: try tokenizer.encode(document))
            stream.append(endOfText)
        }
        try self.init(tokens: stream, blockLength: blockLength, validationFraction: validationFraction)
    }

    /// Blocks over an already tokenized stream.
    ///
    /// - Throws: `TrainingError.emptyData` when a split is shorter than one block.
    public init(tokens: [Int32], blockLength: Int, validationFraction: Double) throws {
        let held = validationFraction > 0 ? max(Int((Double(tokens.count) * validationFraction).rounded()), blockLength) : 0
        let training = tokens.count - held
        guard training >= blockLength else {
            throw TrainingError.emptyData(what: "the training split (\(max(training, 0)) tokens of \(tokens.count), after holding out \(held) for validation, "
                                          + "is shorter than one block of blockLength \(blockLength) tokens, so it")
        }
        self.tokens = tokens
        self.trainingCount = training
        self.blockLength = blockLength
    }

    /// Tokens held out for validation.
    public var validationCount: Int { tokens.count - trainingCount }

    /// `batchSize` training blocks starting at uniformly drawn positions, as a dense `[batchSize, blockLength]`
    /// batch. Draws one number per block from `generator`.
    public func trainingBatch<G: RandomNumberGenerator>(batchSize: Int, using generator: inout G) -> TokenBatch {
        var rows: [Int32] = []
        rows.reserveCapacity(batchSize * blockLength)
        let starts = trainingCount - blockLength + 1
        for _ in 0..<batchSize {
            let start = Int(generator.next() % UInt64(starts))
            rows.append(contentsOf: tokens[start..<(start + blockLength)])
        }
        return TokenBatch(tokens: rows, batchSize: batchSize, length: blockLength)
    }

    /// Up to `maximumBlocks` non-overlapping validation blocks, spread evenly over the tail, in batches of at
    /// most `batchSize` rows. The same every time, so validation losses of different steps compare.
    public func validationBatches(maximumBlocks: Int, batchSize: Int) -> [TokenBatch] {
        let available = validationCount / blockLength
        let count = min(available, maximumBlocks)
        guard count > 0 else { return [] }
        let stride = available / count
        let starts = (0..<count).map { trainingCount + $0 * stride * blockLength }
        return Swift.stride(from: 0, to: count, by: batchSize).map { first in
            let chunk = starts[first..<min(first + batchSize, count)]
            var rows: [Int32] = []
            for s in chunk { rows.append(contentsOf: tokens[s..<(s + blockLength)]) }
            return TokenBatch(tokens: rows, batchSize: chunk.count, length: blockLength)
        }
    }
}
