// instruction-tuning: InstructGPT's first steps and the best-of-n baseline on the built-in instruction task.
//
//   swift run -c release instruction-tuning                   # the full walk-through
//   swift run -c release instruction-tuning --steps=3         # a smoke run (seconds)
//   swift run -c release instruction-tuning --pretrainSteps=600 --sftSteps=300 --seed=1
//
// It builds the task (an AlpacaFarm in miniature), pretrains a small byte-level GPT on the task's pretraining
// corpus, fine-tunes it on demonstrations (SFT), trains a reward model from the SFT model on comparisons, and
// runs best-of-n with that reward model for n = 1, 2, 4, 8, 16 on the evaluation prompts. It prints the
// reward model's held-out accuracy beside the annotators' noise ceiling, then one table: base, SFT and
// best-of-n at each n — gold score and win-rate against the reference system, each with a 95 % bootstrap
// interval over the evaluation prompts — and the best-of-n KL bound log n − (n − 1)/n.
//
// Takes about 4½ minutes on two cores (release build; pretraining is half of it; 7 minutes when the cores
// are busy with other jobs). The run is
// seeded; this is its output (seed 0):
//
//   | system                  |           gold score |             win-rate | KL bound (nats) |
//   | :---------------------- | -------------------: | -------------------: | --------------: |
//   | base                    | 0.008 [0.002, 0.016] | 0.028 [0.021, 0.037] |               — |
//   | SFT                     | 0.055 [0.031, 0.086] | 0.092 [0.067, 0.118] |               — |
//   | best-of-1               | 0.039 [0.022, 0.061] | 0.089 [0.066, 0.116] |           0.000 |
//   | best-of-2               | 0.033 [0.017, 0.055] | 0.086 [0.065, 0.112] |           0.193 |
//   | best-of-4               | 0.041 [0.020, 0.065] | 0.092 [0.067, 0.121] |           0.636 |
//   | best-of-8               | 0.033 [0.015, 0.053] | 0.078 [0.059, 0.102] |           1.204 |
//   | best-of-16              | 0.029 [0.010, 0.050] | 0.075 [0.054, 0.097] |           1.835 |
//   | best-of-2, gold reward  | 0.065 [0.041, 0.094] | 0.105 [0.080, 0.134] |           0.193 |
//   | best-of-4, gold reward  | 0.116 [0.080, 0.154] | 0.138 [0.105, 0.174] |           0.636 |
//   | best-of-8, gold reward  | 0.184 [0.135, 0.233] | 0.179 [0.138, 0.218] |           1.204 |
//   | best-of-16, gold reward | 0.246 [0.193, 0.300] | 0.213 [0.168, 0.257] |           1.835 |
//
// SFT beats the base model; the learned reward model is still close to chance on held-out comparisons (0.53
// against a noise ceiling of 0.88: the task's comparisons are decided by correctness, which this small model has
// not learnt to check), so best-of-n with it does not improve, whereas best-of-n with the gold score does.
//
// Options (`--key=value`): seed, steps (caps every phase, for smoke runs), pretrainSteps, sftSteps, rmEpochs,
// moreComparisons, madeUpWords, drillPercent, layers, width, heads, evaluationPrompts, save (a directory to write the base and SFT models and the task's JSONL to,
// for the `rlft sft`, `rlft reward` and `rlft best-of-n` commands).
import Foundation
import BestOfN
import Evaluation
import LanguageModels
import NeuralNetworks
import RewardModeling
import SFT
import Tasks
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

// MARK: - Options

var options: [String: String] = [:]
for argument in CommandLine.arguments.dropFirst() {
    let body = argument.drop { $0 == "-" }
    guard let eq = body.firstIndex(of: "=") else {
        FileHandle.standardError.write(Data("instruction-tuning: options look like --key=value, got \(argument)\n".utf8))
        exit(2)
    }
    options[String(body[..<eq])] = String(body[body.index(after: eq)...])
}
func option(_ key: String, _ fallback: Int) -> Int {
    let cap = options["steps"].flatMap(Int.init)
    let value = options[key].flatMap(Int.init) ?? fallback
    return key.hasSuffix("Steps") && cap != nil ? min(value, cap!) : value
}
let seed = UInt64(option("seed", 0))
let pretrainSteps = option("pretrainSteps", 800)
let sftSteps = option("sftSteps", 1200)
let rmEpochs = option("rmEpochs", 1)
let smoke = options["steps"] != nil
let evaluationPrompts = option("evaluationPrompts", smoke ? 16 : 200)
let start = Date()
func elapsed() -> String { String(format: "%5.1fs", Date().timeIntervalSince(start)) }
func log(_ text: String) { print("[\(elapsed())] \(text)"); fflush(stdout) }

func run() throws {
    // MARK: - 1. The task and the tokenizer

    var taskConfig = InstructionTaskConfig()
    taskConfig.seed = seed
    taskConfig.evaluationCount = evaluationPrompts
    taskConfig.heldOutComparisonCount = smoke ? 32 : 500
    // Made-up words ("tomer", "bivak") as arguments of the spelling and repetition families, and skill drills on
    // them in the pretraining corpus, so that the reward model learns to check answers instead of memorising them.
    taskConfig.madeUpWordCount = option("madeUpWords", 2000)
    taskConfig.pretrainingDrillFraction = Double(option("drillPercent", 30)) / 100
    if smoke { (taskConfig.demonstrationCount, taskConfig.comparisonCount, taskConfig.pretrainingCharacterCount) = (64, 64, 20_000) }
    let task = try InstructionTask(config: taskConfig)
    let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
    let eos = tokenizer.id(forSpecialToken: "<|endoftext|>")!, pad = tokenizer.id(forSpecialToken: "<|pad|>")!
    log("task: \(task.demonstrations.count) demonstrations, \(task.comparisons.count) comparisons, \(task.evaluation.count) evaluation prompts")

    // MARK: - 2. Pretraining a small byte-level base model

    let modelConfig = GPTConfig(layerCount: option("layers", 4), headCount: option("heads", 4), embeddingSize: option("width", 128),
                                contextLength: 128, vocabularySize: tokenizer.vocabularySize)
    var rng = SeededGenerator(seed: seed)
    let base = try GPT(config: modelConfig, using: &rng)
    // One stream of documents separated by EOS; each batch row is a random window of 96 tokens (the context is
    // 128 so that long comparisons fit; task sequences rarely pass 96).
    let window = 96
    let stream = try task.pretrainingCorpus().flatMap { try tokenizer.encode($0.text) + [eos] }
    let pretrainOptimizer = try AdamW(parameters: base.namedParameters(), learningRate: 3e-3, betas: (0.9, 0.95), weightDecay: 0.1)
    let pretrainSchedule = LearningRateSchedule.warmupCosine(peak: 3e-3, warmupSteps: min(50, pretrainSteps), totalSteps: pretrainSteps, minimumRatio: 0.1)
    log("pretraining \(base.parameterCount) parameters for \(pretrainSteps) steps on \(stream.count) tokens")
    for step in 0..<pretrainSteps {
        let rows = (0..<32).map { _ -> [Int32] in
            let offset = Int(rng.next(upperBound: UInt64(stream.count - window)))
            return Array(stream[offset..<(offset + window)])
        }
        pretrainOptimizer.zeroGradients()
        let loss = try base.languageModelLoss(TokenBatch(rightPadding: rows, padToken: pad))
        try loss.backward()
        _ = clipGradientNorm(base.parameters(), maxNorm: 1)
        pretrainOptimizer.learningRate = pretrainSchedule(step)
        pretrainOptimizer.step()
        if (step + 1) % 100 == 0 || step + 1 == pretrainSteps { log("pretrain step \(step + 1): loss \(String(format: "%.3f", loss.value.scalars[0]))") }
    }

    if let directory = options["save"] {
        // A model directory that `rlft sft --model` reads (GPT-2 files and the tokenizer).
        try base.save(to: URL(fileURLWithPath: directory).appendingPathComponent("base")) { try tokenizer.save(to: $0) }
        try task.writeSplits(to: URL(fileURLWithPath: directory).appendingPathComponent("data"))
    }

    // MARK: - 3. Supervised fine-tuning

    var sftConfig = SFTConfig()
    sftConfig.steps = sftSteps
    sftConfig.seed = seed
    sftConfig.warmupSteps = min(sftConfig.warmupSteps, sftSteps)
    sftConfig.evaluationInterval = max(1, min(100, sftSteps))
    let sftModel = base.copy()
    let demonstrations = try SFTExample.encode(task.demonstrations, tokenizer: tokenizer, contextLength: modelConfig.contextLength)
    let sft = try SFTTrainer(model: sftModel, config: sftConfig, padToken: pad, training: demonstrations)
    let sftResult = try sft.train { event in
        if case .evaluation(let step, let metrics) = event {
            log("sft step \(step): validation loss \(String(format: "%.3f", metrics["sft/validation_loss"]!))")
        }
        return .continue
    }
    if let directory = options["save"] {
        try sftModel.save(to: URL(fileURLWithPath: directory).appendingPathComponent("sft")) { try tokenizer.save(to: $0) }
    }
    log("sft done: best validation loss \(String(format: "%.3f", sftResult.bestValidationLoss ?? .nan)) at step \(sftResult.bestStep ?? 0)")

    // MARK: - 4. Reward model

    var rmConfig = RewardModelConfig()
    rmConfig.epochs = rmEpochs
    rmConfig.seed = seed
    rmConfig.evaluationInterval = 250
    var rmRNG = SeededGenerator(seed: seed &+ 1)
    let rewardModel = RewardModel(trunk: sftModel.copy(), using: &rmRNG)
    // Simulated labels are cheap: more comparisons on the comparison split's prompts (the held-out ones stay as they are).
    let more = task.moreComparisons(count: option("moreComparisons", smoke ? 64 : 90_000))
    let comparisons = try ComparisonGroup.encode(task.comparisons + more, tokenizer: tokenizer, contextLength: modelConfig.contextLength)
    let heldOut = try ComparisonGroup.encode(task.heldOutComparisons, tokenizer: tokenizer, contextLength: modelConfig.contextLength)
    let rm = try RewardModelTrainer(model: rewardModel, config: rmConfig, padToken: pad, training: comparisons, validation: heldOut)
    log("reward model: \(rm.totalSteps) steps over \(comparisons.count) comparisons")
    let rmResult = try rm.train()
    let ceiling = try task.noiseCeiling(of: task.heldOutComparisons)
    let accuracy = rmResult.evaluation!.accuracy
    log(String(format: "reward model held-out accuracy %.3f [%.3f, %.3f]; annotators' noise ceiling %.3f (gap %.1f points)",
               accuracy.estimate, accuracy.lower, accuracy.upper, ceiling, 100 * (ceiling - accuracy.estimate)))
    let references = demonstrations.map { $0.promptTokens + $0.completionTokens }
    let normalizer = try rm.fitNormalizer(references: references)
    let reward = RewardModelFunction(model: rewardModel, tokenizer: tokenizer, normalizer: normalizer)

    // MARK: - 5. Evaluation: base, SFT, best-of-n

    let prompts = task.evaluation.map(\.prompt)
    let judge = InstructionTaskJudge(task: task)
    var table = ResultTable(columns: ["system", "gold score", "win-rate", "KL bound (nats)"])
    var sampling = SeededGenerator(seed: seed &+ 2)
    for (name, model) in [("base", base), ("SFT", sftModel)] {
        let policy = TextPolicy(model: model, tokenizer: tokenizer)
        let completions = try policy.complete(prompts, options: policy.options(temperature: 1), using: &sampling)
        let score = try scoreCompletions(prompts: prompts, completions: completions, judge: judge, seed: seed)
        try table.addRow([.text(name), .interval(score.gold), .interval(score.winRate), .missing])
        log("\(name) evaluated")
    }
    var bonConfig = BestOfNConfig()
    bonConfig.seed = seed &+ 3
    let bestOfN = try BestOfNSampler(policy: TextPolicy(model: sftModel, tokenizer: tokenizer), reward: reward, config: bonConfig)
    let samples = try bestOfN.sample(prompts: prompts)
    for row in try bestOfN.report(samples, judge: judge) {
        try table.addRow([.text("best-of-\(row.n)"), .interval(row.score.gold), .interval(row.score.winRate), .number(row.klBound)])
    }
    // The same samples ranked by the gold score itself (an oracle reward): the ceiling best-of-n can reach.
    let oracle = BestOfNSamples(prompts: samples.prompts, completions: samples.completions,
                                rewards: try samples.prompts.indices.map { p in
                                    try task.scores(prompts: Array(repeating: samples.prompts[p], count: samples.completions[p].count),
                                                    completions: samples.completions[p])
                                })
    for row in try bestOfN.report(oracle, judge: judge) where row.n > 1 {
        try table.addRow([.text("best-of-\(row.n), gold reward"), .interval(row.score.gold), .interval(row.score.winRate), .number(row.klBound)])
    }
    log("best-of-n evaluated")
    print("")
    print(table.markdown())
    print(String(format: "Reward model: held-out pairwise accuracy %.3f [%.3f, %.3f], noise ceiling %.3f. Total time %@.",
                 accuracy.estimate, accuracy.lower, accuracy.upper, ceiling, elapsed()))
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("instruction-tuning: error: \(error)\n".utf8))
    exit(1)
}
