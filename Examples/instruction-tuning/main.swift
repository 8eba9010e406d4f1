// instruction-tuning: InstructGPT's first steps and the best-of-n baseline on the built-in instruction task.
//
//   swift run -c release instruction-tuning                   # the full walk-through
//   swift run -c release instruction-tuning --steps=3         # a smoke run (seconds)
//   swift run -c release instruction-tuning --pretrain-steps=600 --sft-steps=300 --seed=1
//
// It builds the task (an AlpacaFarm in miniature), pretrains a small byte-level GPT on the task's pretraining
// corpus, fine-tunes it on demonstrations (SFT), trains a reward model from the SFT model on comparisons, and
// runs best-of-n with that reward model for n = 1, 2, 4, 8, 16 on the evaluation prompts. It prints the
// reward model's held-out accuracy beside the annotators' noise ceiling, then one table: base, SFT and
// best-of-n at each n — gold score and win-rate against the reference system, each with a 95 % bootstrap
// interval over the evaluation prompts — and the best-of-n KL bound log n − (n − 1)/n.
//
// Takes about 7 minutes on two quiet cores (release build; the reward model's 92 000 comparisons are more than half
// of it). It uses the pipeline's task settings: the five instruction families a small byte-level model learns,
// 2000 made-up words, pretraining drills. The run is seeded; this is its output (seed 0, 406 s, 2026-12-07):
//
//   | system                  |           gold score |             win-rate | KL bound (nats) |
//   | :---------------------- | -------------------: | -------------------: | --------------: |
//   | base                    | 0.003 [0.001, 0.008] | 0.031 [0.023, 0.041] |               — |
//   | SFT                     | 0.400 [0.341, 0.459] | 0.308 [0.258, 0.355] |               — |
//   | best-of-1               | 0.456 [0.395, 0.519] | 0.341 [0.292, 0.395] |           0.000 |
//   | best-of-2               | 0.518 [0.454, 0.581] | 0.385 [0.336, 0.433] |           0.193 |
//   | best-of-4               | 0.512 [0.450, 0.577] | 0.391 [0.338, 0.443] |           0.636 |
//   | best-of-8               | 0.483 [0.420, 0.550] | 0.376 [0.328, 0.425] |           1.204 |
//   | best-of-16              | 0.428 [0.362, 0.493] | 0.341 [0.293, 0.393] |           1.835 |
//   | best-of-2, gold reward  | 0.568 [0.505, 0.629] | 0.406 [0.358, 0.455] |           0.193 |
//   | best-of-4, gold reward  | 0.659 [0.596, 0.720] | 0.468 [0.419, 0.521] |           0.636 |
//   | best-of-8, gold reward  | 0.710 [0.653, 0.768] | 0.498 [0.451, 0.546] |           1.204 |
//   | best-of-16, gold reward | 0.758 [0.701, 0.814] | 0.529 [0.478, 0.578] |           1.835 |
//
// Reward model: held-out pairwise accuracy 0.832 [0.798, 0.864] against the annotators' noise ceiling of 0.886.
// SFT beats the base model; best-of-n with the learned reward model improves on SFT up to n = 2–4 and then turns
// down as it exploits the reward model's errors, whereas best-of-n with the gold score keeps improving. With
// `--families=all` (ten families) the same settings give a reward model of 0.734 against 0.882: this model size
// does not learn counting, adding, sorting, antonyms and categories within minutes.
//
// Options (`--key=value`): seed, steps (caps every phase, for smoke runs), pretrainSteps, sftSteps, rmEpochs,
// moreComparisons, madeUpWords, drillPercent, families (all = the ten families), layers, width, heads,
// evaluationPrompts, save (a directory to write the base and SFT models and the task's JSONL to,
// for the `rlft sft`, `rlft reward` and `rlft best-of-n` commands).
import Foundation
import BestOfN
import Evaluation
import LanguageModels
import NeuralNetworks
import RewardModeling
import Runs
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
    // --pretrain-steps and --pretrainSteps name the same option.
    options[OptionSpelling.camel(String(body[..<eq]))] = String(body[body.index(after: eq)...])
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
    // The pipeline's five families (a small byte-level model learns them within minutes); `--families=all` keeps
    // all ten (counting letters, adding, sorting, antonyms and categories too), which this model size does not learn.
    if options["families"] != "all" {
        taskConfig.families = ["firstLetter", "capitalizeWord", "repeatPhrase", "reverseWord", "largerNumber"]
    }
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
        var bootstrap = SeededGenerator(seed: seed)
        let score = try scoreCompletions(prompts: prompts, completions: completions, judge: judge, using: &bootstrap)
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
