// `rlft merge --model BASE --adapter DIR --out DIR`: folds a LoRA adapter into its base model's weights and
// writes a plain GPT-2 directory that any GPT-2 reader (this library, transformers) loads without PEFT.
import Foundation
import LanguageModels
import Pretraining
import Runs

enum MergeCommand: Command {
    static let name = "merge"
    static let summary = "merge a LoRA adapter (PEFT format) into its base model and write a plain GPT-2 directory"
    static let help = """
    rlft merge: writes BASE with W ← W + (α / r)·B·A for every adapted projection (LoRA, arXiv 2106.09685)

    Usage: rlft merge --model BASE --adapter DIR --out DIR

    Options:
      --model DIR
          the base model: a Hugging Face GPT-2 directory or one written by this tool (required)
      --adapter DIR
          a LoRA adapter in Hugging Face PEFT's format: adapter_config.json and adapter_model.safetensors, as
          written by PEFT's save_pretrained or by this tool's trainers (required)
      --out DIR
          where to write the merged model (config.json, model.safetensors and the base model's tokenizer
          files); must not already hold a model (required)
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let arguments = try arguments.resolvingConfigFile(allowed: ["model", "adapter", "out"])
        let modelPath = try arguments.required("model", "the base model directory, e.g. --model gpt2")
        let adapterPath = try arguments.required("adapter", "the PEFT adapter directory, e.g. --adapter runs/sft/adapter")
        let outPath = try arguments.required("out", "the directory for the merged model, e.g. --out runs/merged")
        let out = URL(fileURLWithPath: outPath)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError("--out \(outPath) is a file; name a new directory") }
            guard !FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) else {
                throw UsageError("--out \(outPath) already holds a model; name a new directory, or remove it first")
            }
        }
        let (base, tokenizer) = try loadModelDirectory(URL(fileURLWithPath: modelPath), requiresGrad: false)
        let adapted = try base.loadingPEFTAdapter(from: URL(fileURLWithPath: adapterPath), requiresGrad: false)
        let lora = adapted.lora!.config
        try saveModelDirectory(adapted.mergingLoRA(requiresGrad: false), tokenizer: tokenizer, to: out)
        print("merged a rank-\(lora.rank) adapter (α \(lora.alpha), \(lora.targets.map(\.rawValue).joined(separator: ", "))) into \(modelPath); wrote \(outPath)")
    }
}
