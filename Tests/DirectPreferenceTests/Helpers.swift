// Shared fixtures: a tiny byte-level GPT and a seeded toy preference task (lowercase words preferred to
// uppercase-and-digit strings of the same length).
import DirectPreference
import LanguageModels
import TensorCore
import Tokenizers

/// `ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])`: EOS 256, PAD 257.
let byteTokenizer = try! ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
let pad: Int32 = 257

func makeTinyModel(seed: UInt64 = 1) -> GPT {
    var rng = SeededGenerator(seed: seed)
    return try! GPT(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabularySize: 258),
                    using: &rng)
}

/// `count` comparisons: prompt "say:" + a letter, chosen a lowercase word, rejected an uppercase/digit string of
/// the same length, both ending in a newline.
func toyPairs(count: Int, seed: UInt64) -> [PreferencePair] {
    var rng = SeededGenerator(seed: seed)
    let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8), upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    return (0..<count).map { _ in
        let length = Int.random(in: 3...6, using: &rng)
        let prompt = Array("say \(Character(UnicodeScalar(lower.randomElement(using: &rng)!))):".utf8)
        let chosen = (0..<length).map { _ in lower.randomElement(using: &rng)! } + [10]
        let rejected = (0..<length).map { _ in upper.randomElement(using: &rng)! } + [10]
        return PreferencePair(promptTokens: prompt.map(Int32.init), chosenTokens: chosen.map(Int32.init),
                              rejectedTokens: rejected.map(Int32.init))
    }
}
