// `rlft eval --model DIR --prompts FILE.jsonl`: samples a model on a prompt set and scores the samples with the
// metrics module — gold score and win-rates (instruction-task prompts with references), reward-model score,
// dist-n, diversity and length — printing one JSON object.
import Foundation
import RLFineTuning
import Tasks

/// Settings of `rlft eval`.
struct EvalConfig: DocumentedConfiguration {
    var samples = 4
    var temperature: Float = 1
    var maximumNewTokens = 24
    var limit = 0
    var seed: UInt64 = 0
    var bootstrapResamples = 1000

    static let fieldDocumentation: [(name: String, description: String)] = [
        ("samples", "completions per prompt (dist-n is computed over each prompt's completions; the other metrics over the first)"),
        ("temperature", "sampling temperature"),
        ("maximumNewTokens", "maximum new tokens per completion"),
        ("limit", "evaluate only the first N prompts (0 = all)"),
        ("seed", "seed of sampling and of the bootstrap"),
        ("bootstrapResamples", "bootstrap resamples of the confidence intervals"),
    ]

    func validate() throws {
        try require(samples >= 1, "samples", samples, "it must be at least 1")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "it must be a positive number such as 1")
        try require(maximumNewTokens >= 1, "maximumNewTokens", maximumNewTokens, "it must be at least 1")
        try require(limit >= 0, "limit", limit, "it must be 0 (all) or positive")
        try require(bootstrapResamples >= 10, "bootstrapResamples", bootstrapResamples, "it must be at least 10")
    }
}

enum EvalCommand: Command {
    static let name = "eval"
    static let summary = "score a model's samples on a JSONL prompt set (gold, win-rates, reward model, dist-n)"
    static var help: String {
        EvalConfig.helpText(command: name, summary: summary, extraOptions: [
            ("model DIR", "the model directory to sample from (required)"),
            ("prompts FILE.jsonl", "{\"prompt\"} or {\"prompt\",\"completion\"} records; completions are the references for win-rates (required)"),
            ("reward-model DIR", "also report the mean score of a reward model written by `rlft reward` (optional)"),
            ("out DIR", "also write samples.jsonl and eval.json there (optional)"),
        ])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let config = try EvalConfig.load(arguments: arguments, reserved: ["model", "prompts", "reward-model", "out"])
        let policy = try TextPolicy(directory: URL(fileURLWithPath: try arguments.required("model", "the model directory, e.g. --model runs/pipeline/models/ppo")))
        let file = URL(fileURLWithPath: try arguments.required("prompts", "a JSONL prompt file, e.g. --prompts data/instructions/eval.jsonl"))
        var records: [(prompt: String, reference: String?)]
        if let withReferences = try? JSONLReader().read(PromptCompletionRecord.self, from: file).records {
            records = withReferences.map { ($0.prompt, $0.completion) }
        } else {
            records = try JSONLReader().read(PromptRecord.self, from: file).records.map { ($0.prompt, nil) }
        }
        if config.limit > 0 { records = Array(records.prefix(config.limit)) }
        let prompts = records.map(\.prompt)

        var rng = SeededGenerator(seed: config.seed)
        let options = policy.options(temperature: config.temperature, maximumNewTokens: config.maximumNewTokens)
        var byPrompt = [[String]](repeating: [], count: prompts.count)
        for _ in 0..<config.samples {
            let completions = try policy.complete(prompts, options: options, using: &rng)
            for (i, c) in completions.enumerated() { byPrompt[i].append(c) }
        }
        let first = byPrompt.map { $0[0] }

        var result: [String: Any] = ["prompts": prompts.count, "samples_per_prompt": config.samples]
        func interval(_ ci: ConfidenceInterval) -> [String: Double] { ["estimate": ci.estimate, "lower": ci.lower, "upper": ci.upper] }
        var gold: [Double] = []
        if InstructionReferenceJudge.recognizes(prompts), records.allSatisfy({ $0.reference != nil }) {
            let references = Dictionary(records.map { ($0.prompt, $0.reference!) }, uniquingKeysWith: { a, _ in a })
            for (key, group) in [("training", AnnotatorGroup.training), ("held_out", AnnotatorGroup.heldOut)] {
                var bootstrap = SeededGenerator(seed: config.seed)
                let score = try scoreCompletions(prompts: prompts, completions: first, judge: InstructionReferenceJudge(references: references, group: group),
                                                 resamples: config.bootstrapResamples, using: &bootstrap)
                result["win_rate_\(key)"] = interval(score.winRate)
                result["gold"] = interval(score.gold)
                gold = score.goldScores
            }
        }
        var rewardScores: [Float] = []
        if let directory = arguments.options["reward-model"] {
            rewardScores = try RewardModelFunction.load(from: URL(fileURLWithPath: directory)).scores(prompts: prompts, completions: first)
            result["reward_model"] = Double(rewardScores.reduce(0, +)) / Double(max(rewardScores.count, 1))
        }
        for n in 1...3 { result["dist_\(n)"] = (try? distinctness(generationsByPrompt: byPrompt, n: n)) ?? Double.nan }
        result["diversity"] = first.map { diversity(text: $0) }.reduce(0, +) / Double(max(first.count, 1))
        result["response_length_characters"] = Double(first.map(\.count).reduce(0, +)) / Double(max(first.count, 1))
        result = result.mapValues { value in (value as? Double).map { $0.isFinite ? $0 as Any : "NaN" as Any } ?? value }

        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: json, as: UTF8.self))
        if let out = arguments.options["out"] {
            let run = try RunDirectory(URL(fileURLWithPath: out))
            try run.writeAtomically(json, to: "eval.json")
            // The directory holds this evaluation, like eval.json: an earlier one's samples go, or a rerun into the
            // same directory would read as one evaluation of every prompt several times.
            try run.removeSamples { _ in true }
            for (i, prompt) in prompts.enumerated() {
                var scores: [String: Double] = [:]
                if i < gold.count { scores["gold"] = gold[i] }
                if i < rewardScores.count { scores["reward_model"] = Double(rewardScores[i]) }
                try run.appendSample(method: "eval", prompt: prompt, completion: first[i], scores: scores)
            }
        }
    }
}
