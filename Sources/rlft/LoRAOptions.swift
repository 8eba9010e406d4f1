// The LoRA options every `rlft` trainer shares (arXiv 2106.09685; names as Hugging Face PEFT's LoraConfig):
// --lora-rank (0 = off), --lora-alpha, --lora-dropout, --lora-targets.
import Foundation
import LanguageModels
import Runs
import TensorCore

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
        let targets = try LoRATarget.parse((arguments.options["lora-targets"] ?? "c_attn").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        })
        let config = LoRAConfig(rank: rank, alpha: try number("lora-alpha", default: Float(2 * rank)),
                                dropout: try number("lora-dropout", default: 0), targets: targets)
        try config.validate()
        return config
    }

    /// `model` with fresh adapters when `lora` is set (seeded, so a resumed run rebuilds the same ones before
    /// loading its checkpoint), or `model` itself.
    static func apply(_ lora: LoRAConfig?, to model: GPT, seed: UInt64) throws -> GPT {
        guard let lora else { return model }
        var rng = SeededGenerator(seed: seed &+ 0x10_4A)
        return try model.withLoRA(lora, using: &rng)
    }
}
