// consumer: supervised fine-tuning of a tiny GPT on the built-in instruction task through the public API only.
//
//   swift run -c release --package-path Examples/consumer
//
// It builds a small instruction task, tokenises its demonstrations with the byte tokenizer, fine-tunes a freshly
// initialised 1-layer GPT for 20 steps and prints the metrics the trainer reports, then one sampled completion
// (still noise after 20 steps: the point is the API, not the model). About 1 s once built (the first build
// compiles the whole library, a few minutes); it prints, seed 0:
//
//   step 5: sft/grad_norm 2.2917, sft/learning_rate 0.0029, sft/loss 5.0670, sft/supervised_tokens 30.0000
//   ...
//   step 20: validation loss 4.3576
//   done: 20 steps, final training loss 4.1694
import Foundation
import RLFineTuning

/// Fine-tunes for 20 steps and prints the trainer's metrics.
func run() throws {
    var taskConfig = InstructionTaskConfig()
    (taskConfig.demonstrationCount, taskConfig.comparisonCount, taskConfig.rankedCount) = (32, 8, 1)
    (taskConfig.rlPromptCount, taskConfig.evaluationCount, taskConfig.heldOutComparisonCount) = (8, 8, 8)
    taskConfig.pretrainingCharacterCount = 2_000
    let task = try InstructionTask(config: taskConfig)

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
    let examples = try SFTExample.encode(task.demonstrations, tokenizer: tokenizer, contextLength: 128)
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
    let prompt = task.evaluation[0].prompt
    let completion = try policy.complete([prompt], options: policy.options(temperature: 1), using: &rng)[0]
    print("prompt: \(prompt.debugDescription)\ncompletion: \(completion.debugDescription)")
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("consumer: \(error)\n".utf8))
    exit(1)
}
