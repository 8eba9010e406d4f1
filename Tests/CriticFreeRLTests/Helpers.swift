// Shared fixtures: a tiny byte-level GPT, the byte tokenizer and a rule reward (as in the PPO tests).
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore

/// `ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])`: EOS 256, PAD 257.
let byteTokenizer = try! ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])

func makeTinyPolicy(seed: UInt64 = 1) -> GPT {
    var rng = SeededGenerator(seed: seed)
    return try! GPT(config: GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabularySize: 258),
                    using: &rng)
}

/// Short prompts of different lengths, so prompts need left padding.
let toyPrompts = ["Q: a\nA:", "hello", "xy", "Q: reverse lamp\nA:", "abc", "the dog", "1+2=", "zz top"]

/// Fraction of the response's bytes that are lowercase letters or spaces.
let letterReward = ClosureReward { _, completions in
    completions.map { text in
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return 0 }
        return Float(bytes.filter { ($0 >= 97 && $0 <= 122) || $0 == 32 }.count) / Float(bytes.count)
    }
}
