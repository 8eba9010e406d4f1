// One PPO-RLHF iteration shaped exactly like Benchmarks/pytorch_ppo.py: policy, frozen reference, reward model
// and a separate value model of one size; 16 prompts of 16 random tokens, 64 sampled tokens (no early stop),
// scoring, GAE, then 4 epochs of 1 minibatch with AdamW (lr 1e-5, weight decay 0.01), at the tiny and small
// configurations of Benchmarks/README.md. One JSON line per configuration with the generate/score/GAE/update split,
// then one `ppo_detail` line per configuration splitting an update pass into forward, backward and AdamW.
// `PPO_BENCH_CONFIG=tiny` (or `small`) runs one configuration only.
import Foundation
import LanguageModels
import NeuralNetworks
import PPO
import TensorCore

enum PPOBenchmark {
    /// (name, layers, width, heads, vocabulary, context) as in Benchmarks/README.md and pytorch_ppo.py's `CONFIGS`.
    static let configurations: [(name: String, layers: Int, width: Int, heads: Int, vocabulary: Int, context: Int)] = [
        ("tiny", 2, 128, 4, 256, 128),
        ("small", 4, 256, 8, 4096, 256),
    ]

    static func run(_ options: BenchOptions) throws {
        try iterations(options)
        try detail(options)
    }

    /// One minibatch of `batch` episodes, exactly `newTokens` sampled tokens (no early stop), 4 epochs, a fixed KL
    /// coefficient: the iteration shape both PPO benchmarks time.
    static func benchmarkConfig(iterations: Int, batch: Int, newTokens: Int) -> PPOConfig {
        var config = PPOConfig()
        config.iterations = iterations
        (config.batchSize, config.miniBatchSize, config.microBatchSize) = (batch, batch, batch)
        (config.maximumNewTokens, config.minimumNewTokens) = (newTokens, newTokens)
        config.epochs = 4
        config.adaptiveKL = false
        config.missingStopPenalty = 0
        return config
    }

    static func selected(_ name: String) -> Bool {
        ProcessInfo.processInfo.environment["PPO_BENCH_CONFIG"].map { $0 == name } ?? true
    }

    static func iterations(_ options: BenchOptions) throws {
        let steps = min(options.repeats, 5), warmup = 1
        for c in configurations where selected(c.name) {
            var rng = SeededGenerator(seed: 0)
            let modelConfig = GPTConfig(layerCount: c.layers, headCount: c.heads, embeddingSize: c.width,
                                        contextLength: c.context, vocabularySize: c.vocabulary)
            let policy = try GPT(config: modelConfig, using: &rng)
            let rewardModel = RewardModel(trunk: try GPT(config: modelConfig, using: &rng).frozenCopy(), using: &rng).frozenCopy()
            let critic = ValueModel(trunk: try GPT(config: modelConfig, using: &rng),
                                    head: .reward(embeddingSize: c.width, using: &rng))
            var config = benchmarkConfig(iterations: steps + warmup, batch: 16, newTokens: 64)
            config.klCoefficient = 0.05
            config.whitenRewards = false
            config.learningRate = 1e-5
            config.adamBeta1 = 0.9
            config.adamBeta2 = 0.999
            config.adamEpsilon = 1e-8
            config.weightDecay = 0.01
            config.maximumGradientNorm = 0
            let trainer = try PPOTrainer(config: config, policy: policy, critic: .separate(critic),
                                         reward: .rewardModel(rewardModel), tokenizer: nil,
                                         tokens: TokenConventions(padToken: 0, stopTokens: []))
            var samples: [[String: Double]] = []
            for step in 0..<(steps + warmup) {
                let prompts = (0..<(16 * 16)).map { _ in Int32.random(in: 1..<Int32(c.vocabulary), using: &rng) }
                let start = now()
                let metrics = try trainer.step(promptTokens: TokenBatch(tokens: prompts, batchSize: 16, length: 16))
                let total = now() - start
                if step >= warmup {
                    samples.append(["generate": metrics["timing/generation"]!, "score": metrics["timing/scoring"]!,
                                    "gae": metrics["timing/advantages"]!, "update": metrics["timing/training"]!, "total": total])
                }
            }
            func median(_ key: String) -> Double {
                let sorted = samples.map { $0[key]! }.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            emit(["bench": "ppo", "config": c.name, "threads": options.threads, "steps": steps,
                  "generate_ms": median("generate") * 1000, "score_ms": median("score") * 1000,
                  "gae_ms": median("gae") * 1000, "update_ms": median("update") * 1000, "total_ms": median("total") * 1000,
                  "total_ms_all": samples.map { ($0["total"]! * 1000).rounded() }])
        }
    }
}

extension PPOBenchmark {
    /// Timings of the pieces of one update pass of the policy on the same shapes (random prompts and
    /// 64-token responses): a scoring forward without graph (with and without entropies), the trunk alone, a
    /// training forward and its backward (log-probabilities and a value head), and one AdamW step.
    static func detail(_ options: BenchOptions) throws {
        for c in configurations where selected(c.name) {
            var rng = SeededGenerator(seed: 0)
            let modelConfig = GPTConfig(layerCount: c.layers, headCount: c.heads, embeddingSize: c.width,
                                        contextLength: c.context, vocabularySize: c.vocabulary)
            let policy = try GPT(config: modelConfig, using: &rng)
            let head = ScalarHead.value(embeddingSize: c.width)
            let prompts = TokenBatch(tokens: (0..<256).map { _ in Int32.random(in: 1..<Int32(c.vocabulary), using: &rng) }, batchSize: 16, length: 16)
            let responses = TokenBatch(tokens: (0..<(16 * 64)).map { _ in Int32.random(in: 1..<Int32(c.vocabulary), using: &rng) }, batchSize: 16, length: 64)
            let full = prompts.concatenated(with: responses)
            let fwdNoGrad = try medianSeconds(repeats: 5) { _ = try withoutGradients { try policy.scoreResponses(prompts: prompts, responses: responses, computeEntropies: false) } }
            let fwdEntropy = try medianSeconds(repeats: 5) { _ = try withoutGradients { try policy.scoreResponses(prompts: prompts, responses: responses, computeEntropies: true) } }
            let hiddenNoGrad = try medianSeconds(repeats: 5) { _ = try withoutGradients { try policy.hiddenStates(full) } }
            var fwd = 0.0, bwd = 0.0
            let fb = try medianSeconds(repeats: 5) {
                let t0 = now()
                let s = try policy.scoreResponses(prompts: prompts, responses: responses, valueHead: head, computeEntropies: false)
                let loss = s.logProbabilities.sum() + s.values!.sum()
                let t1 = now()
                try loss.backward()
                fwd = t1 - t0; bwd = now() - t1
                policy.zeroGradients()
            }
            let opt = try AdamW(parameters: policy.namedParameters())
            let s = try policy.scoreResponses(prompts: prompts, responses: responses, computeEntropies: false)
            try s.logProbabilities.sum().backward()
            let adam = medianSeconds(repeats: 5) { opt.step() }
            emit(["bench": "ppo_detail", "config": c.name, "threads": options.threads,
                  "score_forward_ms": fwdNoGrad * 1000, "score_forward_entropy_ms": fwdEntropy * 1000, "trunk_forward_ms": hiddenNoGrad * 1000,
                  "train_forward_ms": fwd * 1000, "train_backward_ms": bwd * 1000, "train_fb_ms": fb * 1000, "adamw_ms": adam * 1000])
        }
    }
}
