// GPT-2 (124M)-shaped benchmarks: 12 layers, width 768, 12 heads, vocabulary 50257, context 256, random weights.
// A training step with every weight trained against one with LoRA adapters (r 8, α 16, on c_attn and both c_proj,
// the base frozen), KV-cache sampling at batch 8, and one PPO iteration with LoRA, each with its peak RSS. Run each
// in its own process (`--only gpt2-train-full`, …) so the peak covers that measurement alone.
import Foundation
import LanguageModels
import NeuralNetworks
import PPO
import TensorCore

enum GPT2Benchmarks {
    static let config = GPTConfig(layerCount: 12, headCount: 12, embeddingSize: 768, contextLength: 256,
                                  vocabularySize: 50257, dropout: 0)
    /// PEFT's `target_modules=["c_attn", "c_proj"]`: `c_proj` names both output projections.
    static let lora = LoRAConfig(rank: 8, alpha: 16, dropout: 0, targets: [.attention, .attentionOutput, .mlpOutput])
    /// Training batch: 4 sequences of 256 tokens.
    static let batchSize = 4, length = 256

    static func model() throws -> GPT {
        var rng = SeededGenerator(seed: 7)
        return try GPT(config: config, using: &rng)
    }

    /// Forward, backward of the mean next-token loss, AdamW step and gradient reset, every weight trained.
    static func trainFull(_ options: BenchOptions) throws { try train(options, adapters: false) }

    /// The same step with LoRA adapters: only A and B have gradients and optimizer state.
    static func trainLoRA(_ options: BenchOptions) throws { try train(options, adapters: true) }

    static func train(_ options: BenchOptions, adapters: Bool) throws {
        ModelBenchmarks.resetPeakResident()
        var rng = SeededGenerator(seed: 8)
        let base = try model()
        let gpt = adapters ? try base.withLoRA(lora, using: &rng) : base
        let optimizer = try AdamW(parameters: gpt.namedParameters(), learningRate: 1e-4, weightDecay: 0)
        let batch = ModelBenchmarks.randomTokens(batch: batchSize, length: length, vocabulary: config.vocabularySize, seed: 1)
        let seconds = try medianSeconds(warmup: 1, repeats: max(2, min(options.repeats, 3))) {
            let loss = try gpt.languageModelLoss(batch)
            try loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        let trained = gpt.parameters().filter(\.requiresGrad).reduce(0) { $0 + $1.value.count }
        emit(["bench": adapters ? "gpt2-train-lora" : "gpt2-train-full", "config": "gpt2-124m", "threads": options.threads,
              "batch": batchSize, "length": length, "trained_parameters": trained, "parameters": gpt.parameterCount,
              "tokens_per_second": Double(batchSize * length) / seconds, "ms_per_step": seconds * 1000,
              "peak_rss_bytes": peakResidentBytes()])
    }

    /// Batch 8, 16-token prompts, exactly 64 sampled tokens at temperature 1 with the KV cache.
    static func generate(_ options: BenchOptions) throws {
        ModelBenchmarks.resetPeakResident()
        let gpt = try model()
        let prompts = ModelBenchmarks.randomTokens(batch: 8, length: 16, vocabulary: config.vocabularySize, seed: 3)
        let sampling = GenerationOptions(maximumNewTokens: 64, minimumNewTokens: 64, temperature: 1)
        var rng = SeededGenerator(seed: 4)
        let seconds = try medianSeconds(warmup: 1, repeats: max(2, min(options.repeats, 3))) {
            let result = try withoutGradients { try gpt.generate(prompts: prompts, options: sampling, using: &rng) }
            precondition(result.responses.length == 64, "generation stopped early")
        }
        emit(["bench": "gpt2-generate", "config": "gpt2-124m", "threads": options.threads, "batch": 8,
              "tokens_per_second": 8 * 64 / seconds, "ms_per_step": seconds / 64 * 1000, "peak_rss_bytes": peakResidentBytes()])
    }

    /// One PPO iteration with LoRA on the policy: 8 prompts of 16 tokens, 32 sampled tokens, a value head on the
    /// policy's trunk, the frozen loaded model as reference (adapters off, no copy), a separate reward model of the
    /// same shape, 4 epochs of one minibatch.
    static func ppoLoRA(_ options: BenchOptions) throws { try ppo(options, copiedReference: false) }

    /// The same iteration with the reference as a frozen copy of the weights (what a trainer without shared
    /// frozen weights holds): the difference in peak RSS is the memory the shared reference saves.
    static func ppoLoRACopiedReference(_ options: BenchOptions) throws { try ppo(options, copiedReference: true) }

    static func ppo(_ options: BenchOptions, copiedReference: Bool) throws {
        ModelBenchmarks.resetPeakResident()
        var rng = SeededGenerator(seed: 9)
        let base = try model()
        let policy = try base.withLoRA(lora, using: &rng)
        let rewardModel = RewardModel(trunk: try GPT(config: config, using: &rng).frozenCopy(), using: &rng).frozenCopy()
        let ppo = PPOBenchmark.benchmarkConfig(iterations: 3, batch: 8, newTokens: 32)
        let trainer = try PPOTrainer(config: ppo, policy: policy, reference: copiedReference ? base.frozenCopy() : base,
                                     critic: .sharedHead(for: policy),
                                     reward: .rewardModel(rewardModel), tokenizer: nil,
                                     tokens: TokenConventions(padToken: 0, stopTokens: []))
        var totals: [Double] = []
        var last: [String: Double] = [:]
        for _ in 0..<3 {
            let prompts = (0..<(8 * 16)).map { _ in Int32.random(in: 1..<Int32(config.vocabularySize), using: &rng) }
            let start = now()
            last = try trainer.step(promptTokens: TokenBatch(tokens: prompts, batchSize: 8, length: 16)).values
            totals.append(now() - start)
        }
        let median = totals.dropFirst().sorted()[totals.count / 2 - 1]
        emit(["bench": copiedReference ? "gpt2-ppo-lora-copied-reference" : "gpt2-ppo-lora", "config": "gpt2-124m", "threads": options.threads, "total_ms": median * 1000,
              "generate_ms": last["timing/generation"]! * 1000, "score_ms": last["timing/scoring"]! * 1000,
              "update_ms": last["timing/training"]! * 1000, "peak_rss_bytes": peakResidentBytes()])
    }
}
