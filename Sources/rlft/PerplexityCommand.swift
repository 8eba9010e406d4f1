// `rlft perplexity --model DIR --text FILE`: the mean next-token negative log-likelihood of a text, as JSON.
import Foundation
import LanguageModels
import Pretraining
import Runs
import TensorCore

enum PerplexityCommand: Command {
    static let name = "perplexity"
    static let summary = "print a model's mean next-token NLL and perplexity on a text file as JSON"
    static let help = """
    rlft perplexity: prints {"mean_nll", "perplexity", "tokens", "windows", "stride", "context", "method"} for a text

    Usage: rlft perplexity --model DIR --text FILE [--stride N] [--threads N] [--config FILE.json]

    Every token after the first is predicted from the tokens before it; mean_nll is in nats per token and
    perplexity = exp(mean_nll). A text longer than the model's context W is scored with a sliding window: windows of
    W tokens; after the first, each window scores the next `stride` tokens and ends at the last of them, so
    after the first window every prediction sees at least W − stride tokens of context.

    Options:
      --model DIR
          a model directory written by rlft pretrain, or a Hugging Face GPT-2 directory (config.json,
          model.safetensors, vocab.json + merges.txt or tokenizer.json) (required)
      --text FILE
          the UTF-8 text to score (required)
      --stride N (default W/2)
          new tokens scored per window after the first, 1...W-1 (W-1: nearly disjoint chunks, fastest; 1: full context)
      --threads N (default 0 = all processors)
          kernel threads
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let arguments = try arguments.resolvingConfigFile(allowed: ["model", "text", "stride", "threads"])
        try applyThreads(arguments)
        let model = try arguments.required("model", "a model directory, e.g. --model runs/lm/model")
        let textPath = try arguments.required("text", "the text file to score, e.g. --text valid.txt")
        let stride = try arguments.options["stride"].map { text -> Int in
            guard let n = Int(text), n >= 1 else { throw ConfigurationError.badValue(field: "stride", value: text, expected: "a positive whole number") }
            return n
        }
        let (gpt, tokenizer) = try loadModelDirectory(URL(fileURLWithPath: model), requiresGrad: false)
        let ids = try tokenizer.encode(try readText(textPath))
        let result = try gpt.perplexity(of: ids, stride: stride)
        let object: [String: Any] = [
            "mean_nll": result.meanNegativeLogLikelihood, "perplexity": result.perplexity, "tokens": result.tokenCount,
            "windows": result.windowCount, "stride": result.stride, "context": gpt.config.contextLength,
            "method": result.windowCount == 1 ? "single window" : "sliding window",
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Applies `--threads N` (0 or absent: every processor).
func applyThreads(_ arguments: CommandLineArguments) throws {
    guard let text = arguments.options["threads"] else { return }
    guard let n = Int(text), n >= 0 else { throw ConfigurationError.badValue(field: "threads", value: text, expected: "a whole number ≥ 0 (0 = every processor)") }
    if n > 0 { Compute.threadCount = n }
}
