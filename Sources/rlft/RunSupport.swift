// Helpers shared by the sft, reward and best-of-n commands: reading JSONL, padding ids, evaluation with
// samples.jsonl. Ctrl-C handling is in Interrupt.swift.
import Foundation
import Evaluation
import LanguageModels
import Runs
import Tasks
import TensorCore
import Tokenizers
import TrainingData

enum RunSupport {
    /// Blocks of the pretraining text in `path` (`{"text"}` JSONL) for a pretraining mix (SFT's, PPO-ptx's): each
    /// document's first `contextLength` tokens, in a seeded order.
    static func pretrainingBlocks(_ path: String, tokenizer: any Tokenizer, contextLength: Int, padToken: Int32,
                                  seed: UInt64) throws -> PretrainingBlocks {
        let texts = try JSONLReader().read(LanguageModelingRecord.self, from: URL(fileURLWithPath: path)).records.map(\.text)
        var blocks = try texts.map { Array(try tokenizer.encode($0).prefix(contextLength)) }
        var rng = SeededGenerator(seed: seed &+ 17)
        blocks.shuffle(using: &rng)
        return try PretrainingBlocks(blocks: blocks, padToken: padToken)
    }

    /// Reads and validates a JSONL file, failing on the first invalid record.
    static func read<R: DatasetRecord>(_ type: R.Type, _ path: String) throws -> [R] {
        try JSONLReader().read(type, from: URL(fileURLWithPath: path)).records
    }

    /// The tokenizer's `<|pad|>` id, else its vocabulary size (an id the model never embeds).
    static func padToken(_ tokenizer: any Tokenizer) -> Int32 {
        tokenizer.id(forSpecialToken: "<|pad|>") ?? Int32(tokenizer.vocabularySize)
    }

    /// Samples one completion per record's prompt (τ = 1), writes them to samples.jsonl under `method`, and, for
    /// instruction-task prompts, returns gold score and win-rate against the records' completions.
    static func evaluate<G: RandomNumberGenerator>(policy: TextPolicy, records: [PromptCompletionRecord], method: String,
                                                   out: RunDirectory, using rng: inout G) throws -> PolicyScore? {
        let prompts = records.map(\.prompt)
        let completions = try policy.complete(prompts, options: policy.options(temperature: 1), using: &rng)
        var score: PolicyScore?
        if InstructionReferenceJudge.recognizes(prompts) {
            let judge = InstructionReferenceJudge(references: Dictionary(records.map { ($0.prompt, $0.completion) }) { a, _ in a })
            var bootstrap = SeededGenerator(seed: 0)
            score = try scoreCompletions(prompts: prompts, completions: completions, judge: judge, using: &bootstrap)
        }
        for i in prompts.indices {
            var scores: [String: Double] = [:]
            if let score { scores = ["gold": score.goldScores[i], "win_credit": score.winCredits[i]] }
            try out.appendSample(method: method, prompt: prompts[i], completion: completions[i], scores: scores)
        }
        return score
    }
}
