// Where the pipeline's data comes from: the built-in instruction task, or a directory of the user's JSONL files.
import Foundation
import Evaluation
import Tasks
import TrainingData

/// The splits the pipeline needs, and the judges that evaluate completions on the evaluation prompts.
struct PipelineData {
    var demonstrations: [PromptCompletionRecord]
    var comparisons: [PreferenceRecord]
    /// Ranked comparisons (best first) for the reward model, beside `comparisons`.
    var rankings: [RankedRecord] = []
    var heldOutComparisons: [PreferenceRecord]
    var rlPrompts: [String]
    var evaluation: [PromptCompletionRecord]
    var pretraining: [String]
    /// Fresh text from the pretraining distribution for PPO-ptx (empty = PPO-ptx re-reads `pretraining`'s
    /// training split).
    var pretrainingMix: [String] = []
    /// Judges by the training and the held-out annotator group; nil when the prompts are not instruction-task
    /// prompts (then only the reward-model score, KL and language-modelling loss are reported).
    var trainingJudge: (any CompletionJudge)?
    var heldOutJudge: (any CompletionJudge)?
    /// The annotators' own agreement ceiling on `heldOutComparisons`, when known.
    var noiseCeiling: Double?
    /// The built-in task (nil for the user's files): its annotators also label pairs of the SFT model's samples.
    var task: InstructionTask?

    /// The file of PPO-ptx's fresh pretraining text in a data directory (optional in the user's).
    static let mixFile = "pretrain-mix.jsonl"

    /// The built-in instruction task.
    static func builtIn(_ config: PipelineConfig, writingTo directory: URL) throws -> PipelineData {
        var taskConfig = InstructionTaskConfig()
        taskConfig.seed = config.seed
        taskConfig.evaluationCount = config.evaluationPrompts
        taskConfig.families = config.families
        taskConfig.madeUpWordCount = config.madeUpWords
        taskConfig.pretrainingDrillFraction = config.pretrainingDrills
        taskConfig.pretrainingCharacterCount = config.pretrainingCharacters
        if config.maximumSteps > 0 {
            (taskConfig.demonstrationCount, taskConfig.comparisonCount, taskConfig.rlPromptCount) = (64, 64, 64)
            (taskConfig.heldOutComparisonCount, taskConfig.pretrainingCharacterCount) = (32, 20_000)
        }
        let task = try InstructionTask(config: taskConfig)
        _ = try task.writeSplits(to: directory)
        let mix = config.ptxCharacters == 0 ? []
            : task.pretrainingCorpus(draw: 1, characters: config.maximumSteps > 0 ? 20_000 : config.ptxCharacters)
        if !mix.isEmpty { try JSONLWriter.write(mix, to: directory.appendingPathComponent(mixFile)) }
        let count = config.maximumSteps > 0 ? Swift.min(config.moreComparisons, 64) : config.moreComparisons
        let morePairs = config.rankingSize == 2 ? task.moreComparisons(count: count) : []
        let moreRankings = config.rankingSize == 2 ? [] : try task.moreRankedComparisons(count: count, rankSize: config.rankingSize)
        return PipelineData(
            demonstrations: task.demonstrations, comparisons: task.comparisons + morePairs, rankings: moreRankings,
            heldOutComparisons: task.heldOutComparisons,
            rlPrompts: task.rlPrompts.map(\.prompt), evaluation: task.evaluation,
            pretraining: task.pretrainingCorpus().map(\.text), pretrainingMix: mix.map(\.text),
            trainingJudge: InstructionTaskJudge(task: task, judgeGroup: .training),
            heldOutJudge: InstructionTaskJudge(task: task, judgeGroup: .heldOut),
            noiseCeiling: try task.noiseCeiling(of: task.heldOutComparisons), task: task)
    }

    /// The user's files in `directory`. Comparisons are split 90/10 into training and held-out sets.
    static func directory(_ directory: URL, evaluationPrompts: Int) throws -> PipelineData {
        let reader = JSONLReader()
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let demonstrations = try reader.read(PromptCompletionRecord.self, from: file("sft.jsonl")).records
        let allComparisons = try reader.read(PreferenceRecord.self, from: file("comparisons.jsonl")).records
        let prompts = try reader.read(PromptRecord.self, from: file("prompts.jsonl")).records.map(\.prompt)
        let evaluation = Array(try reader.read(PromptCompletionRecord.self, from: file("eval.jsonl")).records.prefix(evaluationPrompts))
        let pretraining = try reader.read(LanguageModelingRecord.self, from: file("pretrain.jsonl")).records.map(\.text)
        let mix = FileManager.default.fileExists(atPath: file(mixFile).path)
            ? try reader.read(LanguageModelingRecord.self, from: file(mixFile)).records.map(\.text) : []
        let split = Swift.max(1, allComparisons.count * 9 / 10)
        var data = PipelineData(
            demonstrations: demonstrations, comparisons: Array(allComparisons[..<split]),
            heldOutComparisons: Array(allComparisons[split...]), rlPrompts: prompts, evaluation: evaluation,
            pretraining: pretraining, pretrainingMix: mix, trainingJudge: nil, heldOutJudge: nil, noiseCeiling: nil, task: nil)
        let evaluationPrompts = evaluation.map(\.prompt)
        if InstructionReferenceJudge.recognizes(evaluationPrompts) {
            let references = Dictionary(evaluation.map { ($0.prompt, $0.completion) }, uniquingKeysWith: { first, _ in first })
            data.trainingJudge = InstructionReferenceJudge(references: references, group: .training)
            data.heldOutJudge = InstructionReferenceJudge(references: references, group: .heldOut)
        }
        return data
    }
}
