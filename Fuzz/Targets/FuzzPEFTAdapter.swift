// libFuzzer target: LoRAAdapters.loadPEFT on arbitrary bytes (adapter_config.json, a NUL byte, then
// adapter_model.safetensors) must throw a CheckpointError or a LanguageModelError, or return adapters whose
// matrices have the shapes the config and the model call for. Never a crash, trap or out-of-bounds read (ASan).
// Built by Scripts/fuzz.sh from the LanguageModels sources, linked against TensorCore and NeuralNetworks built
// as instrumented modules. JSON text holds no raw NUL, so the first NUL byte is where the config ends.
import Foundation
import TensorCore

private let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("fuzz-peft-adapter-\(ProcessInfo.processInfo.processIdentifier)")

/// The shape of Tests/LanguageModelsTests/Fixtures/gpt2_tiny, the base model of the seed adapters.
private let model = GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 32, contextLength: 32, vocabularySize: 64)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPEFTAdapter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes[..<split]).write(to: directory.appendingPathComponent("adapter_config.json"))
        try Data(bytes[min(split + 1, bytes.count)...]).write(to: directory.appendingPathComponent("adapter_model.safetensors"))
    } catch {
        return 0
    }
    do {
        let adapters = try LoRAAdapters.loadPEFT(from: directory, model: model)
        fuzzCheckShapes(adapters)
    } catch is CheckpointError {
    } catch is LanguageModelError {
    } catch {
        preconditionFailure("not a CheckpointError or LanguageModelError: \(error)")
    }
    return 0
}

/// A loaded adapter is valid: its config validates, every A is [r, in] and every B [out, r] for a target it
/// names, in a block of the model, and its trainable token rows are [ids, C] for ids of the vocabulary.
private func fuzzCheckShapes(_ adapters: LoRAAdapters) {
    let config = adapters.config
    precondition((try? config.validate()) != nil, "loaded an invalid config \(config)")
    precondition(adapters.pairs.count == model.layerCount, "\(adapters.pairs.count) layers")
    for layer in adapters.pairs {
        for (target, pair) in layer {
            precondition(config.targets.contains(target), "\(target) not in \(config.targets)")
            let (input, output) = target.features(width: model.embeddingSize)
            precondition(pair.a.value.shape == [config.rank, input], "A \(pair.a.value.shape)")
            precondition(pair.b.value.shape == [output, config.rank], "B \(pair.b.value.shape)")
            precondition(pair.a.value.shape.reduce(1, *) == pair.a.value.count, "A count \(pair.a.value.count)")
            precondition(pair.b.value.shape.reduce(1, *) == pair.b.value.count, "B count \(pair.b.value.count)")
        }
    }
    // Trainable token rows: one per listed id, each an id of the vocabulary, exactly when ids are listed.
    let ids = config.trainableTokenIndices
    precondition(ids.allSatisfy { (0..<model.vocabularySize).contains($0) }, "token ids \(ids)")
    precondition((adapters.tokenRows == nil) == ids.isEmpty, "rows \(String(describing: adapters.tokenRows?.shape)) for ids \(ids)")
    if let rows = adapters.tokenRows { precondition(rows.shape == [ids.count, model.embeddingSize], "rows \(rows.shape)") }
}
