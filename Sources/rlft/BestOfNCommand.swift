// `rlft best-of-n`: sample n completions from a policy, keep the reward model's favourite, report n = 1 … 16.
import Foundation
import BestOfN
import Evaluation
import LanguageModels
import RewardModeling
import Runs
import Tasks
import TensorCore
import TrainingData

extension BestOfNConfig: DocumentedConfiguration {
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("ns", "values of n to report, e.g. [1,2,4,8,16]; max(ns) samples are drawn per prompt and shared"),
        ("temperature", "sampling temperature"),
        ("topK", "top-k filter (0 = off)"),
        ("topP", "top-p filter (1 = off)"),
        ("maximumNewTokens", "most tokens per completion"),
        ("batchSize", "rows per generation call"),
        ("bootstrapResamples", "bootstrap resamples for confidence intervals"),
        ("seed", "seed of sampling and bootstrap"),
    ]
}

enum BestOfNCommand: Command {
    static let name = "best-of-n"
    static let summary = "best-of-n sampling with a reward model: gold score, win-rate and KL bound per n"
    static let extraOptions: [(String, String)] = [
        ("model DIR", "the policy model directory, e.g. runs/sft/model (required)"),
        ("reward DIR", "the reward model directory written by rlft reward, e.g. runs/rm/model (required)"),
        ("prompts FILE", "prompt–completion JSONL of evaluation prompts with reference completions, e.g. data/eval.jsonl (required)"),
        ("out DIR", "the run directory to write (required)"),
        ("limit N", "use at most N prompts (default all)"),
    ]
    static var help: String { BestOfNConfig.helpText(command: name, summary: summary, extraOptions: extraOptions) }

    static func run(_ given: CommandLineArguments) throws {
        let arguments = given.renamingOption("policy", to: "model")
        let reserved: Set<String> = ["model", "reward", "prompts", "out", "limit", "quiet"]
        let policyPath = try arguments.required("model", "the policy's model directory, e.g. --model runs/sft/model")
        let rewardPath = try arguments.required("reward", "the reward model directory, e.g. --reward runs/rm/model")
        let promptsPath = try arguments.required("prompts", "evaluation prompts with references, e.g. --prompts data/eval.jsonl")
        let out = try RunDirectory(URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/bon")))
        let config = try BestOfNConfig.load(arguments: arguments, reserved: reserved)
        try out.writeAtomically(try config.jsonData(), to: "config.json")

        var records = try RunSupport.read(PromptCompletionRecord.self, promptsPath)
        if let limit = arguments.options["limit"].flatMap(Int.init) { records = Array(records.prefix(max(1, limit))) }
        let prompts = records.map(\.prompt)
        let policy = try TextPolicy(directory: URL(fileURLWithPath: policyPath))
        let reward = try RewardModelFunction.load(from: URL(fileURLWithPath: rewardPath))
        let sampler = try BestOfNSampler(policy: policy, reward: reward, config: config)
        print("rlft best-of-n: \(config.ns.max()!) samples for each of \(prompts.count) prompts")
        let start = Date()
        let samples = try sampler.sample(prompts: prompts)
        print(String(format: "sampled and scored in %.1fs", Date().timeIntervalSince(start)))

        let judged = InstructionReferenceJudge.recognizes(prompts)
        let judge = InstructionReferenceJudge(references: Dictionary(records.map { ($0.prompt, $0.completion) }) { a, _ in a })
        var table = ResultTable(columns: ["n", "mean reward", "gold score", "win-rate", "KL bound (nats)"])
        for n in config.ns {
            let picked = samples.best(n: n)
            var bootstrap = SeededGenerator(seed: config.seed &+ UInt64(n))
            let score = judged ? try scoreCompletions(prompts: prompts, completions: picked, judge: judge,
                                                      resamples: config.bootstrapResamples, using: &bootstrap) : nil
            for (i, prompt) in prompts.enumerated() {
                var scores = ["reward": Double(samples.rewards[i][samples.completions[i].firstIndex(of: picked[i])!])]
                if let score { scores["gold"] = score.goldScores[i]; scores["win_credit"] = score.winCredits[i] }
                try out.appendSample(method: "best-of-\(n)", prompt: prompt, completion: picked[i], scores: scores)
            }
            var metrics = ["best_of_n/mean_reward": samples.meanSelectedReward(n: n), "best_of_n/kl_bound": bestOfNKLBound(n)]
            if let score { metrics["best_of_n/gold"] = score.gold.estimate; metrics["best_of_n/win_rate"] = score.winRate.estimate }
            try out.appendMetrics(step: n, phase: "best-of-n", metrics)
            try table.addRow([.text("\(n)"), .number(samples.meanSelectedReward(n: n)),
                              score.map { .interval($0.gold) } ?? .missing, score.map { .interval($0.winRate) } ?? .missing,
                              .number(bestOfNKLBound(n))])
        }
        try out.writeAtomically(Data(table.markdown().utf8), to: "report.md")
        print("")
        print(table.markdown())
    }
}
