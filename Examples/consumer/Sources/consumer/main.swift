// consumer: supervised fine-tuning of a tiny GPT on its own demonstrations through the library's public API only
// (the RLFineTuning product; the built-in task and the experiments are in RLFineTuningExperiments).
//
//   swift run -c release --package-path Examples/consumer
//
// It writes 32 demonstrations (reverse a word), tokenises them with the byte tokenizer, fine-tunes a freshly
// initialised 1-layer GPT for 20 steps and prints the metrics the trainer reports, then one sampled completion
// (still noise after 20 steps: the point is the API, not the model). About 1 s once built (the first build
// compiles the whole library, a few minutes); it prints, seed 0:
//
//   step 5: sft/grad_norm 1.5968, sft/learning_rate 0.0029, sft/loss 4.9956, sft/supervised_tokens 56.0000
//   ...
//   step 20: validation loss 3.9898
//   done: 20 steps, final training loss 3.9101
import Foundation
import RLFineTuning

/// Fine-tunes for 20 steps and prints the trainer's metrics.
func run() throws {
    let words = ["lamp", "tree", "stone", "river", "cloud", "apple", "chair", "house", "bread", "music", "light", "grass",
                 "table", "water", "plant", "horse", "sugar", "paper", "smile", "train", "glass", "dream", "green", "ocean",
                 "night", "sound", "heart", "field", "storm", "crown", "brush", "flame", "tiger"]
    func demonstration(_ word: String) -> PromptCompletionRecord {
        PromptCompletionRecord(prompt: "Q: Reverse the word \(word).\nA:", completion: " \(String(word.reversed()))\n")
    }
    let demonstrations = words.dropLast().map(demonstration)   // the last word is held out

    let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
    let pad = tokenizer.id(forSpecialToken: "<|pad|>")!
    var rng = SeededGenerator(seed: 0)
    let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 32, contextLength: 128,
                                          vocabularySize: tokenizer.vocabularySize), using: &rng)

    var config = SFTConfig()
    config.steps = 20
    config.batchSize = 8
    config.learningRate = 3e-3
    config.warmupSteps = 2
    config.evaluationInterval = 10
    let examples = try SFTExample.encode(demonstrations, tokenizer: tokenizer, contextLength: 128)
    let trainer = try SFTTrainer(model: model, config: config, padToken: pad, training: examples)
    let result = try trainer.train { event in
        switch event {
        case .step(let step, _, let metrics) where step % 5 == 0:
            print("step \(step): " + metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: ", "))
        case .evaluation(let step, let metrics):
            print("step \(step): validation loss \(String(format: "%.4f", metrics["sft/validation_loss"] ?? .nan))")
        default: break
        }
        return .continue
    }
    print(String(format: "done: %d steps, final training loss %.4f", result.steps, result.finalTrainingLoss))

    let policy = TextPolicy(model: model, tokenizer: tokenizer)
    let prompt = demonstration(words.last!).prompt
    let completion = try policy.complete([prompt], options: policy.options(temperature: 1), using: &rng)[0]
    print("prompt: \(prompt.debugDescription)\ncompletion: \(completion.debugDescription)")
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("consumer: \(error)\n".utf8))
    exit(1)
}
