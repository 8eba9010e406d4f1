// GPT benchmarks at the configurations of Benchmarks/README.md: a training step (forward, backward, AdamW), a
// forward pass, and KV-cache sampling, each reported as tokens/s, ms per step, peak RSS and (for the first two) MFU.
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore

enum ModelBenchmarks {
    /// A model shape and the batch it is measured at.
    struct Configuration {
        let name: String
        let layers: Int, embedding: Int, heads: Int, vocabulary: Int, context: Int, batch: Int

        var gpt: GPTConfig {
            GPTConfig(layerCount: layers, headCount: heads, embeddingSize: embedding, contextLength: context,
                      vocabularySize: vocabulary, dropout: 0)
        }

        /// Non-position parameters (the tied token embedding counts: it is the vocabulary projection's matmul).
        var flopParameters: Double {
            let perLayer = 12 * embedding * embedding + 13 * embedding
            return Double(vocabulary * embedding + layers * perLayer + 2 * embedding)
        }
        /// nanoGPT / PaLM estimates, with attention counted un-masked (as Benchmarks/pytorch_gpt.py does).
        var trainFlopsPerToken: Double { 6 * flopParameters + 12 * Double(layers * embedding * context) }
        var forwardFlopsPerToken: Double { 2 * flopParameters + 4 * Double(layers * embedding * context) }
    }

    static let configurations = [
        Configuration(name: "tiny", layers: 2, embedding: 128, heads: 4, vocabulary: 256, context: 128, batch: 16),
        Configuration(name: "small", layers: 4, embedding: 256, heads: 8, vocabulary: 4096, context: 256, batch: 8),
        Configuration(name: "gpt2-mini", layers: 6, embedding: 384, heads: 6, vocabulary: 50257, context: 256, batch: 4),
    ]

    /// The sgemm peak MFU is quoted against (OpenBLAS sgemm on a Zen 4 core: ~105 GFLOP/s per thread, 210 for two).
    static func peakGFLOPs(threads: Int) -> Double { 105 * Double(min(threads, 2)) }

    static func selected(_ options: BenchOptions) -> [Configuration] {
        configurations.filter { options.config == nil || options.config == $0.name }
    }

    /// Resets the peak resident set size (VmHWM) to the current RSS, so the next reading covers only what follows.
    static func resetPeakResident() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func model(_ c: Configuration) throws -> GPT {
        var rng = SeededGenerator(seed: 7)
        return try GPT(config: c.gpt, using: &rng)
    }

    static func randomTokens(batch: Int, length: Int, vocabulary: Int, seed: UInt64) -> TokenBatch {
        var rng = SeededGenerator(seed: seed)
        let ids = (0..<(batch * length)).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        return TokenBatch(tokens: ids, batchSize: batch, length: length)
    }

    /// Repetitions so that big configurations do not take minutes.
    static func repeats(_ options: BenchOptions, _ c: Configuration) -> Int {
        c.name == "gpt2-mini" ? max(3, options.repeats / 2) : options.repeats
    }

    // MARK: - Benchmarks

    /// Forward, backward of the mean next-token loss, AdamW step and gradient reset over B×T tokens.
    static func train(_ options: BenchOptions) throws {
        for c in selected(options) {
            let gpt = try model(c)
            let optimizer = try AdamW(parameters: gpt.namedParameters(), learningRate: 1e-4, weightDecay: 0)
            let batch = randomTokens(batch: c.batch, length: c.context, vocabulary: c.vocabulary, seed: 1)
            resetPeakResident()
            let seconds = try medianSeconds(repeats: repeats(options, c)) {
                let loss = try gpt.languageModelLoss(batch)
                try loss.backward()
                optimizer.step()
                optimizer.zeroGradients()
            }
            report("train", c, options, tokens: Double(c.batch * c.context), seconds: seconds, flopsPerToken: c.trainFlopsPerToken)
        }
    }

    /// Logits of B×T tokens without a graph.
    static func forward(_ options: BenchOptions) throws {
        for c in selected(options) {
            let gpt = try model(c)
            let batch = randomTokens(batch: c.batch, length: c.context, vocabulary: c.vocabulary, seed: 2)
            resetPeakResident()
            let seconds = try medianSeconds(repeats: repeats(options, c)) {
                _ = try withoutGradients { try gpt.forward(batch).logits }
            }
            report("forward", c, options, tokens: Double(c.batch * c.context), seconds: seconds, flopsPerToken: c.forwardFlopsPerToken)
        }
    }

    /// Batch 16, 16-token prompts, exactly 64 sampled tokens at temperature 1 with the KV cache.
    static func generate(_ options: BenchOptions) throws {
        let batchSize = 16, promptLength = 16, newTokens = 64
        for c in selected(options) {
            let gpt = try model(c)
            let prompts = randomTokens(batch: batchSize, length: promptLength, vocabulary: c.vocabulary, seed: 3)
            let sampling = GenerationOptions(maximumNewTokens: newTokens, minimumNewTokens: newTokens, temperature: 1)
            var rng = SeededGenerator(seed: 4)
            resetPeakResident()
            let seconds = try medianSeconds(warmup: 1, repeats: max(3, repeats(options, c) / 2)) {
                let result = try withoutGradients { try gpt.generate(prompts: prompts, options: sampling, using: &rng) }
                precondition(result.responses.length == newTokens, "generation stopped early")
            }
            emit(["bench": "generate", "config": c.name, "threads": options.threads,
                  "tokens_per_second": Double(batchSize * newTokens) / seconds,
                  "ms_per_step": seconds / Double(newTokens) * 1000, "peak_rss_bytes": peakResidentBytes()])
        }
    }

    static func report(_ bench: String, _ c: Configuration, _ options: BenchOptions, tokens: Double, seconds: Double,
                       flopsPerToken: Double) {
        let gflops = flopsPerToken * tokens / seconds / 1e9
        emit(["bench": bench, "config": c.name, "threads": options.threads, "tokens_per_second": tokens / seconds,
              "ms_per_step": seconds * 1000, "peak_rss_bytes": peakResidentBytes(), "mfu": gflops / peakGFLOPs(threads: options.threads)])
    }
}
