// Loading a model directory with its tokenizer: this library's own (`GPT.save` + `Tokenizer.save`) or a
// Hugging Face GPT-2 directory as it comes (config.json, model.safetensors, vocab.json + merges.txt or tokenizer.json).
import Foundation
import LanguageModels
import Tokenizers

/// What is wrong with a model directory.
public enum ModelDirectoryError: Error, Equatable, CustomStringConvertible {
    /// The path does not exist or is not a directory.
    case notADirectory(path: String)
    /// A file the model needs is absent.
    case missingFile(path: String, hint: String)
    /// The tokenizer produces ids the model has no embedding for.
    case vocabularyMismatch(path: String, tokenizerSize: Int, modelSize: Int)

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path) is not a directory; pass a model directory holding config.json, model.safetensors and tokenizer files"
        case .missingFile(let path, let hint):
            return "\(path) is missing; \(hint)"
        case .vocabularyMismatch(let path, let tokenizerSize, let modelSize):
            return "the tokenizer in \(path) has \(tokenizerSize) ids but the model only \(modelSize); "
                + "the files belong to different models: use the tokenizer the model was trained with"
        }
    }
}

/// Loads the model and tokenizer saved in `directory`.
///
/// Works for directories written by `PretrainingTrainer` (or `GPT.save(to:writeExtraFiles:)` with the
/// tokenizer's `save(to:)`) and for Hugging Face GPT-2 directories as downloaded: `config.json`,
/// `model.safetensors`, and `vocab.json` + `merges.txt` or `tokenizer.json`.
///
/// - Parameters:
///   - directory: the model directory.
///   - requiresGrad: whether the parameters will be trained (false for inference-only tools).
/// - Returns: the model and its tokenizer.
/// - Throws: `ModelDirectoryError` for a missing directory or file or mismatched tokenizer; `CheckpointError`,
///   `LanguageModelError` or `TokenizerError` for files that exist but cannot be used.
public func loadModelDirectory(_ directory: URL, requiresGrad: Bool = true) throws -> (model: GPT, tokenizer: any Tokenizer) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ModelDirectoryError.notADirectory(path: directory.path)
    }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }
    guard exists("config.json") else {
        throw ModelDirectoryError.missingFile(path: directory.appendingPathComponent("config.json").path,
                                              hint: "a model directory needs the GPT-2 config.json next to model.safetensors")
    }
    guard exists("model.safetensors") else {
        let hint = exists("pytorch_model.bin")
            ? "only pytorch_model.bin is present; convert it once with transformers: GPT2LMHeadModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)"
            : "a model directory needs model.safetensors (GPT-2 layout) next to config.json"
        throw ModelDirectoryError.missingFile(path: directory.appendingPathComponent("model.safetensors").path, hint: hint)
    }
    guard TokenizerFileFormat.detect(in: directory) != nil else {
        throw ModelDirectoryError.missingFile(
            path: directory.appendingPathComponent("tokenizer.json").path,
            hint: "the tokenizer files are missing: copy tokenizer.json, or vocab.json and merges.txt, into the model directory")
    }
    let tokenizer = try loadTokenizer(from: directory)
    let (model, _) = try GPT.load(from: directory, requiresGrad: requiresGrad)
    guard tokenizer.vocabularySize <= model.config.vocabularySize else {
        throw ModelDirectoryError.vocabularyMismatch(path: directory.path, tokenizerSize: tokenizer.vocabularySize,
                                                     modelSize: model.config.vocabularySize)
    }
    return (model, tokenizer)
}

/// Writes `model` and `tokenizer` into `directory` so that `loadModelDirectory` (and Hugging Face
/// `transformers`) read them back.
///
/// - Throws: `CheckpointError` or `TokenizerError` when a file cannot be written.
public func saveModelDirectory(_ model: GPT, tokenizer: any Tokenizer, to directory: URL) throws {
    try model.save(to: directory, writeExtraFiles: { try tokenizer.save(to: $0) })
}
