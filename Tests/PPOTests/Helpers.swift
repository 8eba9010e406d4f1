// Shared fixtures of the PPO tests: a tiny byte-level GPT, the byte tokenizer, and a rollout collected from it.
import LanguageModels
import PPO
import TensorCore
import Tokenizers
import TrainingCore
import XCTest

/// `ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])`: EOS 256, PAD 257.
let byteTokenizer = try! ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])

/// 2 layers, 32 wide, byte vocabulary.
let tinyConfig = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabularySize: 258)

/// A tiny GPT; `scale` > 1 sharpens its distributions so log-probabilities differ visibly between tokens.
func makeTinyPolicy(seed: UInt64 = 1, scale: Float = 1) -> GPT {
    var rng = SeededGenerator(seed: seed)
    let model = try! GPT(config: tinyConfig, using: &rng)
    if scale != 1 {
        for (name, p) in model.namedParameters() where !name.hasSuffix("Norm.weight") && !name.hasSuffix(".bias") {
            p.value = p.value * scale
        }
    }
    return model
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

/// A small configuration for unit tests: 8 episodes, 6 new tokens, one minibatch.
func smallConfig() -> PPOConfig {
    var config = PPOConfig()
    config.batchSize = 8
    config.miniBatchSize = 8
    config.microBatchSize = 8
    config.maximumNewTokens = 6
    config.iterations = 4
    config.temperature = 0.9
    config.learningRate = 1e-3
    return config
}

/// A trainer on a tiny policy whose responses stop at "\n" or EOS.
func makeTrainer(config: PPOConfig = smallConfig(), policySeed: UInt64 = 1, scale: Float = 4, critic: PPOCritic? = nil,
                 reward: RolloutReward = .function(letterReward), pretraining: PretrainingBlocks? = nil) throws -> PPOTrainer {
    try PPOTrainer(config: config, policy: makeTinyPolicy(seed: policySeed, scale: scale), critic: critic, reward: reward,
                   tokenizer: byteTokenizer, tokens: .instructionTask, pretraining: pretraining)
}

func maximumDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
