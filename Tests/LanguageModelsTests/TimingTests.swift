// A manual timing check, not part of the suite's assertions: run with
//   RLFT_TIMING=1 swift test -c release --skip-build --filter TimingTests
// It prints ms per train step (forward + backward + AdamW over B×T tokens), forward tokens/s, and generation
// tokens/s (batch 16, 16-token prompts, 64 new tokens, sampling with top-k 50 as transformers' default) for
// the tiny and small configurations below (the sizes the benchmarks report).
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import XCTest

final class TimingTests: XCTestCase {
    func testTiming() throws {
        guard let which = ProcessInfo.processInfo.environment["RLFT_TIMING"] else { throw XCTSkip("set RLFT_TIMING=1 (or tiny/small) to run") }
        let configs: [(String, GPTConfig, Int, Int)] = [
            ("tiny", GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 128, contextLength: 128, vocabularySize: 256), 16, 128),
            ("small", GPTConfig(layerCount: 4, headCount: 8, embeddingSize: 256, contextLength: 256, vocabularySize: 4096), 8, 256),
        ].filter { which == "1" || which == $0.0 }
        if let t = ProcessInfo.processInfo.environment["RLFT_THREADS"], let n = Int(t) { Compute.threadCount = n }
        for (name, config, B, T) in configs {
            var rng = SeededGenerator(seed: 0)
            let model = try GPT(config: config, using: &rng)
            let tokens = (0..<(B * T)).map { _ in Int32.random(in: 0..<Int32(config.vocabularySize), using: &rng) }
            let batch = TokenBatch(tokens: tokens, batchSize: B, length: T)
            let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: 1e-4)
            // Median wall time, or (RLFT_CPU=1) median process CPU time: on a shared, overloaded machine the CPU
            // time of a single-threaded run (RLFT_THREADS=1) approximates the uncontended wall time.
            let useCPU = ProcessInfo.processInfo.environment["RLFT_CPU"] != nil
            func now() -> Double {
                if !useCPU { return Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
                var usage = rusage()
                getrusage(__rusage_who_t(0), &usage)  // RUSAGE_SELF
                return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3
                    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3
            }
            func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
                var times = [Double]()
                for _ in 0..<runs {
                    let start = now()
                    try body()
                    times.append(now() - start)
                }
                return times.sorted()[runs / 2]
            }
            let trainSteps = Int(ProcessInfo.processInfo.environment["RLFT_STEPS"] ?? "7")!
            if let only = ProcessInfo.processInfo.environment["RLFT_ONLY"] {
                // Profiling aid: repeat one phase only.
                for _ in 0..<trainSteps {
                    switch only {
                    case "forward": _ = try withoutGradients { try model.languageModelLoss(batch) }
                    case "train": try model.languageModelLoss(batch).backward(); optimizer.step(); model.zeroGradients()
                    default:
                        let prompts = TokenBatch(tokens: Array(tokens.prefix(256)), batchSize: 16, length: 16)
                        _ = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 64, minimumNewTokens: 64, topK: 50), using: &rng)
                    }
                }
                continue
            }
            _ = try median(2) { try model.languageModelLoss(batch).backward(); optimizer.step(); model.zeroGradients() }
            let train = try median(trainSteps) {
                try model.languageModelLoss(batch).backward()
                optimizer.step()
                model.zeroGradients()
            }
            let forward = try median(trainSteps) { _ = try withoutGradients { try model.languageModelLoss(batch) } }
            let prompts = TokenBatch(tokens: Array(tokens.prefix(16 * 16)).map { $0 % Int32(config.vocabularySize) } + [Int32](repeating: 1, count: max(0, 256 - tokens.count)),
                                     batchSize: 16, length: 16)
            let options = GenerationOptions(maximumNewTokens: 64, minimumNewTokens: 64, topK: 50)
            _ = try model.generate(prompts: prompts, options: options, using: &rng)
            let generate = try median(5) { _ = try model.generate(prompts: prompts, options: options, using: &rng) }
            let plain = try median(5) {
                _ = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 64, minimumNewTokens: 64), using: &rng)
            }
            print(String(format: "TIMING %@ threads %d: train %.1f ms/step (%.0f tokens/s), forward %.1f ms (%.0f tokens/s), generate top-k 50 %.1f ms (%.0f tokens/s, %.2f ms/step), plain sampling %.1f ms (%.0f tokens/s)",
                         name, Compute.threadCount, train, Double(B * T) / train * 1000, forward, Double(B * T) / forward * 1000,
                         generate, 16 * 64 / generate * 1000, generate / 64, plain, 16 * 64 / plain * 1000))
        }
    }
}
