// `rlft task instructions --out DIR`: writes the built-in instruction task's JSONL splits.
import Foundation
import Runs
import Tasks

extension InstructionTaskConfig: DocumentedConfiguration {
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of every random choice"),
        ("demonstrationCount", "demonstrations for supervised fine-tuning (sft.jsonl)"),
        ("comparisonCount", "pairwise comparisons for the reward model (comparisons.jsonl)"),
        ("rankedCount", "ranked K-wise comparisons (ranked.jsonl)"),
        ("rankSize", "K, completions per ranked comparison (2...9)"),
        ("rlPromptCount", "unlabelled prompts for RL (prompts.jsonl)"),
        ("evaluationCount", "evaluation prompts with reference completions (eval.jsonl)"),
        ("heldOutComparisonCount", "held-out comparisons on evaluation prompts"),
        ("pretrainingCharacterCount", "approximate size of the pretraining corpus (pretrain.jsonl), in characters"),
        ("pretrainingDrillFraction", "fraction of pretraining sentences that are skill drills on made-up words (reverse, capitals, first letter, repeat, larger)"),
        ("madeUpWordCount", "made-up words (\"tomer\", \"bivak\") added to the real words of the spelling and repetition families, so that models learn the operations rather than memorise answers"),
        ("referenceAccuracy", "accuracy of the fixed reference system that evaluation compares against"),
        ("numericInstanceCap", "cap on distinct instances per numeric family"),
        ("families", "instruction families to draw from, e.g. [\"firstLetter\",\"capitalizeWord\"]"),
    ]
}

enum TaskCommand: Command {
    static let name = "task"
    static let summary = "write a built-in task's JSONL splits (rlft task instructions --out DIR)"
    static var help: String {
        InstructionTaskConfig.helpText(
            command: "task instructions", summary: "writes the built-in instruction task (an AlpacaFarm in miniature) as JSONL",
            extraOptions: [("out DIR", "directory to write sft.jsonl, comparisons.jsonl, ranked.jsonl, unpaired.jsonl, prompts.jsonl, eval.jsonl, eval_comparisons*.jsonl, pretrain.jsonl and README.md (required)")])
    }

    static func run(_ arguments: CommandLineArguments) throws {
        guard let task = arguments.positional.first else {
            throw UsageError("name the task: rlft task instructions --out DIR (available: instructions)")
        }
        guard task == "instructions" else {
            throw UsageError("unknown task '\(task)'; available: instructions")
        }
        let out = URL(fileURLWithPath: try arguments.required("out", "the directory to write the splits to, e.g. --out data/instructions"))
        let config = try InstructionTaskConfig.load(arguments: arguments, reserved: ["out"])
        let written = try InstructionTask(config: config).writeSplits(to: out)
        for url in written { print(url.path) }
    }
}
