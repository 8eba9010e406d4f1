// LoRA as four flat configuration fields, for the multi-stage experiments whose settings are one flat struct (the
// command line spells them --lora-rank, --lora-alpha, --lora-dropout, --lora-targets, as every trainer does).
import Foundation
import Validation

/// A configuration that offers LoRA (Hu et al. 2021, arXiv 2106.09685) through the fields `loraRank` (0 = off),
/// `loraAlpha` (0 = 2 × rank), `loraDropout` and `loraTargets` (comma-separated GPT-2 module names).
public protocol LoRAFields {
    var loraRank: Int { get }
    var loraAlpha: Float { get }
    var loraDropout: Float { get }
    var loraTargets: String { get }
}

extension LoRAFields {
    /// The LoRA configuration the fields ask for, or nil when `loraRank` is 0.
    ///
    /// - Throws: `LanguageModelError` naming the bad field, its value and the fix.
    public func loraConfiguration() throws(LanguageModelError) -> LoRAConfig? {
        guard loraAlpha.isFinite, loraAlpha >= 0 else {
            throw .invalid(.invalidValue(field: "loraAlpha", value: "\(loraAlpha)", requirement: "it must be 0 (2 × loraRank) or a positive α, such as 16"))
        }
        return try LoRAConfig.options(rank: loraRank, alpha: loraAlpha > 0 ? loraAlpha : nil, dropout: loraDropout, targets: loraTargets)
    }

    /// The `--help` lines of the four fields; `scope` says what trains adapters, e.g. "every fine-tuned method".
    public static func loraFieldDocumentation(scope: String) -> [(name: String, description: String)] {
        [("loraRank", "LoRA rank of \(scope) (0 = off: every weight trains)"), ("loraAlpha", "LoRA α (0 = 2 × rank)"),
         ("loraDropout", "LoRA dropout"),
         ("loraTargets", "comma-separated GPT-2 modules with adapters: c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj")]
    }
}
