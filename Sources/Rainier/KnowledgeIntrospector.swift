// The knowledge introspector of Rainier (Liu et al. 2022, arXiv 2210.03078): a decoder-only GPT that reads a question
// and writes a short knowledge statement. Prompt and completion formats, sampling M statements, and imitation data.
import Foundation
import LanguageModels
import PPO
import SFT
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// A GPT that writes knowledge statements for questions: prompt `q \n (A) … \nknowledge:`, completion
/// `" <statement>\n"`.
public final class KnowledgeIntrospector {
    public let model: GPT
    public let tokenizer: any Tokenizer
    /// PAD (`<|pad|>`) and the stop tokens (`"\n"` when it is one token, and `<|endoftext|>`).
    public let tokens: TokenConventions

    /// - Throws: `ConfigurationError.missing` when the tokenizer has no `<|pad|>` token.
    public init(model: GPT, tokenizer: any Tokenizer) throws {
        self.model = model
        self.tokenizer = tokenizer
        tokens = try KnowledgeIntrospector.conventions(tokenizer)
    }

    /// The pad and stop tokens of a tokenizer: `<|pad|>`; `"\n"` (when one token) and `<|endoftext|>`.
    public static func conventions(_ tokenizer: any Tokenizer) throws -> TokenConventions {
        guard let pad = tokenizer.id(forSpecialToken: "<|pad|>") else {
            throw ConfigurationError.missing(what: "the tokenizer's <|pad|> token", fix: "add it with addSpecialTokens([\"<|pad|>\"]) (PPO never pads with EOS)")
        }
        var stops: [Int32] = []
        let newline = try tokenizer.encode("\n")
        if newline.count == 1 { stops.append(newline[0]) }
        if let eos = tokenizer.id(forSpecialToken: "<|endoftext|>") { stops.append(eos) }
        return TokenConventions(padToken: pad, stopTokens: stops)
    }

    /// The introspector's prompt for a question.
    public static func prompt(for question: MultipleChoiceQuestion) -> String { question.text + "\nknowledge:" }

    /// The completion that writes a statement: `" <statement>\n"`.
    public static func completion(_ knowledge: String) -> String { " " + clean(knowledge) + "\n" }

    /// A sampled completion as a statement: surrounding spaces and newlines removed.
    public static func clean(_ completion: String) -> String { completion.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Stage-I training examples: every (question, silver statement) pair is one example (as the authors'
    /// `imitation.py`); empty statements are dropped.
    ///
    /// - Throws: `TrainingError` when an example does not fit the model's context.
    public func imitationExamples(questions: [MultipleChoiceQuestion], knowledge: [[String]]) throws -> [SFTExample] {
        precondition(questions.count == knowledge.count, "imitationExamples: \(questions.count) questions, \(knowledge.count) lists")
        var out: [SFTExample] = []
        for (q, statements) in zip(questions, knowledge) {
            let prompt = try tokenizer.encode(KnowledgeIntrospector.prompt(for: q))
            for k in statements where !KnowledgeIntrospector.clean(k).isEmpty {
                let completion = try tokenizer.encode(KnowledgeIntrospector.completion(k))
                guard prompt.count + completion.count <= model.config.contextLength else {
                    throw ConfigurationError.tooLong(what: "the example for \(q.text.debugDescription)", length: prompt.count + completion.count,
                                                     limit: model.config.contextLength, fix: "shorten the knowledge statement or use a longer context")
                }
                out.append(SFTExample(promptTokens: prompt, completionTokens: completion))
            }
        }
        return out
    }

    /// `count` statements per question, sampled independently with `options` (stop and pad tokens are set here).
    ///
    /// - Parameter rowsPerBatch: prompts per generation call.
    /// - Returns: per question, `count` cleaned statements.
    /// - Throws: `LanguageModelError` for bad options or over-long prompts.
    public func sample<G: RandomNumberGenerator>(_ questions: [MultipleChoiceQuestion], count: Int, options: GenerationOptions,
                                                 rowsPerBatch: Int = 256, using generator: inout G) throws -> [[String]] {
        var options = options
        options.stopTokens = tokens.stopTokens
        options.padToken = tokens.padToken
        let prompts = try questions.map { try tokenizer.encode(KnowledgeIntrospector.prompt(for: $0)) }
        let rows = prompts.flatMap { p in [[Int32]](repeating: p, count: count) }
        var texts: [String] = []
        texts.reserveCapacity(rows.count)
        for start in stride(from: 0, to: rows.count, by: rowsPerBatch) {
            let batch = TokenBatch(leftPadding: Array(rows[start..<min(start + rowsPerBatch, rows.count)]), padToken: tokens.padToken)
            let result = try withoutGradients { try model.generate(prompts: batch, options: options, using: &generator) }
            for b in 0..<batch.batchSize {
                texts.append(KnowledgeIntrospector.clean(try tokenizer.decode(result.responses.realTokens(row: b), skipSpecialTokens: true)))
            }
        }
        return (0..<questions.count).map { Array(texts[($0 * count)..<(($0 + 1) * count)]) }
    }
}
