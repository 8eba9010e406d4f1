// `rlft generate --model DIR --prompt TEXT [...]`: samples continuations of a prompt with the KV-cache sampler.
import Foundation
import LanguageModels
import Pretraining
import Runs
import TensorCore

/// The sampling options of `rlft generate`, each overridable with `--key value`.
struct GenerateSettings: DocumentedConfiguration, Equatable {
    var maximumNewTokens = 64
    var temperature: Float = 1
    var topK = 0
    var topP: Float = 1
    var greedy = false
    var seed: UInt64 = 0
    var samples = 1
    var threads = 0

    static let fieldDocumentation: [(name: String, description: String)] = [
        ("maximumNewTokens", "most tokens to generate per sample (the prompt plus these must fit in the context)"),
        ("temperature", "divide the logits by this before sampling (> 0)"),
        ("topK", "keep only the k most likely tokens (0 = off)"),
        ("topP", "keep the smallest set of tokens whose probability reaches p (1 = off)"),
        ("greedy", "take the most likely token instead of sampling"),
        ("seed", "seed of the sampler"),
        ("samples", "continuations to generate (one batch)"),
        ("threads", "kernel threads (0 = every processor)"),
    ]

    func validate() throws {
        try options(stopTokens: [], padToken: 0).validate()
        guard samples >= 1 else { throw ConfigurationError.badValue(field: "samples", value: "\(samples)", expected: "at least 1") }
        guard threads >= 0 else { throw ConfigurationError.badValue(field: "threads", value: "\(threads)", expected: "≥ 0 (0 = every processor)") }
    }

    func options(stopTokens: [Int32], padToken: Int32) -> GenerationOptions {
        GenerationOptions(maximumNewTokens: maximumNewTokens, temperature: temperature, topK: topK, topP: topP, greedy: greedy,
                          stopTokens: stopTokens, padToken: padToken)
    }
}

enum GenerateCommand: Command {
    static let name = "generate"
    static let summary = "sample continuations of a prompt from a model directory"
    static var help: String {
        GenerateSettings.helpText(
            command: "generate", summary: "samples continuations of a prompt (stops at <|endoftext|> when the tokenizer has it)",
            extraOptions: [("model DIR", "a model directory from rlft pretrain or a Hugging Face GPT-2 directory (required)"),
                           ("prompt TEXT", "the text to continue; empty starts from <|endoftext|> (required)")])
            + "\n\nOutput: the prompt and continuation of each sample; with --samples N > 1 each is preceded by a line \"--- sample i\"."
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let settings = try GenerateSettings.load(arguments: arguments, reserved: ["model", "prompt"])
        if settings.threads > 0 { Compute.threadCount = settings.threads }
        let directory = try arguments.required("model", "a model directory, e.g. --model runs/lm/model")
        guard let prompt = arguments.options["prompt"] else {
            throw ConfigurationError.missingRequired(option: "--prompt", hint: "the text to continue, e.g. --prompt \"Once upon a time\" (or --prompt \"\")")
        }
        let (model, tokenizer) = try loadModelDirectory(URL(fileURLWithPath: directory), requiresGrad: false)
        let eos = tokenizer.id(forSpecialToken: "<|endoftext|>")
        var ids = try tokenizer.encode(prompt)
        if ids.isEmpty {
            guard let eos else { throw UsageError("the prompt is empty and the tokenizer has no <|endoftext|> to start from; give a prompt") }
            ids = [eos]
        }
        let context = model.config.contextLength
        guard ids.count + settings.maximumNewTokens <= context else {
            throw LanguageModelError.promptTooLong(promptLength: ids.count, maximumNewTokens: settings.maximumNewTokens, contextLength: context)
        }
        let pad = tokenizer.id(forSpecialToken: "<|pad|>") ?? eos ?? 0
        let prompts = TokenBatch(leftPadding: Array(repeating: ids, count: settings.samples), padToken: pad)
        var generator = SeededGenerator(seed: settings.seed)
        let result = try withoutGradients {
            try model.generate(prompts: prompts, options: settings.options(stopTokens: eos.map { [$0] } ?? [], padToken: pad), using: &generator)
        }
        for row in 0..<settings.samples {
            let completion = try tokenizer.decode(result.responses.realTokens(row: row), skipSpecialTokens: true)
            if settings.samples > 1 { print("--- sample \(row + 1)") }
            print(prompt + completion)
        }
    }
}
