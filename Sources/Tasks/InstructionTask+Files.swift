// Writes the instruction task's splits as JSONL files in the TrainingData formats, with a README describing them.
import Foundation
import TrainingData

extension InstructionTask {
    /// The files ``writeSplits(to:)`` writes, in order, with their record formats.
    public static let splitFiles: [(name: String, format: String)] = [
        ("sft.jsonl", PromptCompletionRecord.format),
        ("comparisons.jsonl", PreferenceRecord.format),
        ("ranked.jsonl", RankedRecord.format),
        ("unpaired.jsonl", UnpairedPreferenceRecord.format),
        ("prompts.jsonl", PromptRecord.format),
        ("eval.jsonl", PromptCompletionRecord.format),
        ("eval_comparisons.jsonl", PreferenceRecord.format),
        ("eval_comparisons_heldout.jsonl", PreferenceRecord.format),
        ("pretrain.jsonl", LanguageModelingRecord.format),
        ("README.md", "Markdown"),
    ]

    /// Writes every split as JSONL, plus a README describing each file, into a directory (created if needed).
    ///
    /// Files: `sft.jsonl` (demonstrations), `comparisons.jsonl` (pairwise, training group), `ranked.jsonl`
    /// (K-wise, best first), `unpaired.jsonl` (the comparisons unpaired: chosen → `true`, rejected → `false`),
    /// `prompts.jsonl` (RL prompts), `eval.jsonl` (evaluation prompts with the reference system's completions),
    /// `eval_comparisons.jsonl` and `eval_comparisons_heldout.jsonl` (held-out pairs on evaluation prompts,
    /// labelled by the training and the held-out group), `pretrain.jsonl` (the pretraining corpus) and
    /// `README.md`.
    ///
    /// - Parameter directory: The destination directory.
    /// - Returns: The URLs written, in the order of ``splitFiles``.
    /// - Throws: ``TaskError/writeFailed(path:reason:)`` if the directory or a file cannot be written.
    @discardableResult
    public func writeSplits(to directory: URL) throws(TaskError) -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        let unpaired = comparisons.flatMap {
            [UnpairedPreferenceRecord(prompt: $0.prompt, completion: $0.chosen, label: true),
             UnpairedPreferenceRecord(prompt: $0.prompt, completion: $0.rejected, label: false)]
        }
        let corpus = pretrainingCorpus()
        let url = { (name: String) in directory.appendingPathComponent(name) }
        do throws(DatasetError) {
            try JSONLWriter.write(demonstrations, to: url("sft.jsonl"))
            try JSONLWriter.write(comparisons, to: url("comparisons.jsonl"))
            try JSONLWriter.write(rankedComparisons, to: url("ranked.jsonl"))
            try JSONLWriter.write(unpaired, to: url("unpaired.jsonl"))
            try JSONLWriter.write(rlPrompts, to: url("prompts.jsonl"))
            try JSONLWriter.write(evaluation, to: url("eval.jsonl"))
            try JSONLWriter.write(heldOutComparisons, to: url("eval_comparisons.jsonl"))
            try JSONLWriter.write(heldOutComparisonsByHeldOutGroup, to: url("eval_comparisons_heldout.jsonl"))
            try JSONLWriter.write(corpus, to: url("pretrain.jsonl"))
        } catch {
            throw .writeFailed(path: directory.path, reason: error.description)
        }
        let readme = readmeText(unpairedCount: unpaired.count, corpusCount: corpus.count,
                                corpusCharacters: corpus.reduce(0) { $0 + $1.text.count })
        do {
            try Data(readme.utf8).write(to: url("README.md"), options: .atomic)
        } catch {
            throw .writeFailed(path: url("README.md").path, reason: error.localizedDescription)
        }
        return InstructionTask.splitFiles.map { url($0.name) }
    }

    /// The README written beside the splits.
    func readmeText(unpairedCount: Int, corpusCount: Int, corpusCharacters: Int) -> String {
        let training = trainingAnnotators.name, heldOut = heldOutAnnotators.name
        let example = splits.evaluation.first
        let madeUpWords = config.madeUpWordCount == 0 ? "" : " The spelling and repetition families also use "
            + "\(config.madeUpWordCount) made-up words (such as `tomer`), so that a model must learn the operations "
            + "rather than memorise the answers for a few dozen real words."
        return """
        # Built-in instruction task (seed \(config.seed))

        An AlpacaFarm in miniature: short English instructions with checkable answers, written by
        `InstructionTask.writeSplits(to:)` of the RLFineTuning `Tasks` module. Every file is JSONL: one JSON object
        per line, keys sorted, UTF-8. Regenerating with the same seed and configuration gives identical files.

        ## Format

        A prompt is `"Q: " + instruction + "\\nA:"`; a well-formed completion is `" " + answer + "\\n"`. The stop
        marker is the newline `"\\n"`: generation should stop when it is produced, and only the text before it is
        scored. Prompts are at most 60 characters and canonical answers at most 20.\(example.map { """


        Example: prompt `\(String(reflecting: $0.prompt))`, ideal completion `\(String(reflecting: $0.referenceCompletion))`.
        """ } ?? "")

        Families: \(InstructionFamily.allCases.map(\.rawValue).joined(separator: ", ")), each in 3 to 5 phrasings.

        ## Files

        | file | format | contents |
        | --- | --- | --- |
        | `sft.jsonl` | `{"prompt", "completion"}` | \(demonstrations.count) demonstrations for supervised fine-tuning: good but imperfect (about 70 % correct, 15 % verbose or polite, 10 % partly right, 5 % wrong) |
        | `comparisons.jsonl` | `{"prompt", "chosen", "rejected"}` | \(comparisons.count) pairwise comparisons for reward modelling, labelled by the training annotator group (`\(training)`) |
        | `ranked.jsonl` | `{"prompt", "completions"}` | \(rankedComparisons.count) rankings of \(config.rankSize) completions, best first, by the `\(training)` group (for K-choose-2 batching) |
        | `unpaired.jsonl` | `{"prompt", "completion", "label"}` | \(unpairedCount) records: each comparison's chosen completion with `true` and rejected with `false` (KTO) |
        | `prompts.jsonl` | `{"prompt"}` | \(rlPrompts.count) unlabelled prompts for RL |
        | `eval.jsonl` | `{"prompt", "completion"}` | \(evaluation.count) evaluation prompts with the reference system's completion (win-rate baseline; not necessarily correct) |
        | `eval_comparisons.jsonl` | `{"prompt", "chosen", "rejected"}` | \(heldOutComparisons.count) held-out comparisons on evaluation prompts, labelled by the `\(training)` group |
        | `eval_comparisons_heldout.jsonl` | `{"prompt", "chosen", "rejected"}` | the same pairs labelled by the held-out group (`\(heldOut)`) |
        | `pretrain.jsonl` | `{"text"}` | \(corpusCount) documents (\(corpusCharacters) characters) of simple English-like text over the same vocabulary, for pretraining a base model; no `Q:`/`A:` format |

        The demonstration, comparison (pairwise and ranked), RL and evaluation prompts come from disjoint sets of
        instruction instances (an instance is a family with its arguments, however phrased).\(madeUpWords)

        ## Gold score

        `InstructionTask.score(prompt:completion:)` parses the instruction back from the prompt and returns a score
        in [0, 1]: 1.0 for exactly an accepted answer, 0.9 with final punctuation, 0.5 to 0.9 for the answer among
        extra words (minus 0.1 per extra word), at most 0.5 for a partly right answer, 0 for empty or wrong
        answers; times 0.8 if the completion never produces the stop marker.

        ## Annotators

        Labels are noisy Bradley–Terry draws, P(a ≻ b) = σ((u(a) − u(b)) / τ), with u = gold score + taste.
        The `\(training)` group prefers short answers; the `\(heldOut)` group likes polite answers and a leading
        capital. Each label comes from one member of the group drawn at random (τ = 0.12, 0.16 or 0.20).

        ## Reference system

        A deterministic answerer, correct with probability \(config.referenceAccuracy) per prompt (otherwise verbose,
        partly right or wrong), seeded by the prompt text. Win-rate counts ties (identical outputs) as ½, so the
        reference system against itself scores exactly 0.5.

        """
    }
}
