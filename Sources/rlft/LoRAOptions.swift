// The LoRA options every `rlft` trainer shares (arXiv 2106.09685; names as Hugging Face PEFT's LoraConfig):
// --lora-rank (0 = off), --lora-alpha, --lora-dropout, --lora-targets.
import Foundation
import LanguageModels
import Runs
import TensorCore
import Tokenizers

enum LoRAOptions {
    static let keys: Set<String> = ["lora-rank", "lora-alpha", "lora-dropout", "lora-targets"]
    static let help: [(String, String)] = [
        ("lora-rank N", "train LoRA adapters of rank N instead of every weight; the base weights stay frozen (default 0 = off)"),
        ("lora-alpha A", "LoRA scaling α: updates are scaled by α / rank (default 2 × rank)"),
        ("lora-dropout P", "dropout on the adapters' input while training (default 0)"),
        ("lora-targets LIST", "comma-separated GPT-2 modules that get adapters: c_attn, c_proj (both projections), c_fc, attn.c_proj, mlp.c_proj (default c_attn)"),
    ]

    /// The LoRA configuration the options ask for, or nil when `--lora-rank` is 0 or absent.
    static func config(_ arguments: CommandLineArguments) throws -> LoRAConfig? {
        let rank = try TrainingRun.positiveInteger(arguments, "lora-rank", default: 0)
        guard rank > 0 else {
            if let stray = ["lora-alpha", "lora-dropout", "lora-targets"].first(where: { arguments.options[$0] != nil }) {
                throw ConfigurationError.badValue(field: stray, value: arguments.options[stray]!, expected: "--lora-rank N (N ≥ 1) with it; LoRA is off without a rank")
            }
            return nil
        }
        func number(_ key: String, default value: Float) throws -> Float {
            guard let text = arguments.options[key] else { return value }
            guard let x = Float(text), x.isFinite else { throw ConfigurationError.badValue(field: key, value: text, expected: "a finite number, such as \(value)") }
            return x
        }
        return try LoRAConfig.options(rank: rank, alpha: try number("lora-alpha", default: Float(2 * rank)),
                                      dropout: try number("lora-dropout", default: 0), targets: arguments.options["lora-targets"] ?? "c_attn")
    }

    /// The model to train from `loaded`, and the frozen model it starts from (a trainer's reference π_ref, or the
    /// base row of a report).
    ///
    /// Without LoRA: `loaded` itself, and a frozen copy of it. With LoRA: fresh adapters over `loaded`'s frozen
    /// weights (seeded, so a resumed run rebuilds the same ones before loading its checkpoint), and `loaded`
    /// itself, whose weights the adapted model shares and never changes: no second copy of the weights.
    static func prepare(_ loaded: GPT, _ lora: LoRAConfig?, seed: UInt64) throws -> (model: GPT, start: GPT) {
        (try adapt(loaded, lora, seed: seed), loaded.frozenReference(lora: lora))
    }

    /// `loaded` with fresh, seeded adapters when `lora` is set, or `loaded` itself.
    static func adapt(_ loaded: GPT, _ lora: LoRAConfig?, seed: UInt64) throws -> GPT {
        lora == nil ? loaded : try loaded.fineTunable(lora: lora, seed: seed)
    }

    /// Writes `model` to `directory` as a plain GPT-2 directory with the tokenizer (merged, when it has adapters)
    /// and, when it has adapters, the adapters to `adapterDirectory` in Hugging Face PEFT's format; each directory
    /// whole or not at all (`TrainingRun.saveModel`).
    ///
    /// - Returns: a line for the log naming the adapter directory, or nil without adapters.
    @discardableResult
    static func save(_ model: GPT, tokenizer: any Tokenizer, to directory: URL, adapterDirectory: URL, baseModel: String,
                     metadata: [String: String] = [:]) throws -> String? {
        let plain = model.withAdaptersMerged()
        try TrainingRun.saveModel(at: directory) { try plain.save(to: $0, metadata: metadata) { try tokenizer.save(to: $0) } }
        guard let adapters = model.lora else { return nil }
        try TrainingRun.saveModel(at: adapterDirectory) { try adapters.savePEFT(to: $0, baseModel: baseModel) }
        return "wrote the LoRA adapter (Hugging Face PEFT format) to \(adapterDirectory.path); \(directory.path) holds the merged model"
    }
}
