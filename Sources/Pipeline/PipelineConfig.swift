// The configuration of the InstructGPT pipeline (`rlft pipeline`): every stage's size in one place, with
// defaults that finish on two cores in about ten minutes.
import Foundation
import LanguageModels
import Runs
import TrainingCore

/// Settings of the full pipeline: pretrain → SFT → reward model → PPO, PPO-ptx and best-of-n → evaluation.
public struct PipelineConfig: Codable, Equatable, Sendable, DocumentedConfiguration, LoRAFields {
    /// Seed of every random choice. Default 0.
    public var seed: UInt64 = 0
    /// Threads for the kernels (0 = all cores). Default 0.
    public var threads = 0
    /// A directory with the user's own JSONL files (`sft.jsonl`, `comparisons.jsonl`, `prompts.jsonl`,
    /// `eval.jsonl`, `pretrain.jsonl`, as `rlft task instructions` writes them, and optionally `pretrain-mix.jsonl`,
    /// fresh pretraining text for PPO-ptx); empty = the built-in task.
    public var data = ""
    /// Instruction families of the built-in task (see `InstructionFamily`). Default: the five a small byte-level
    /// model learns within the pipeline's budget (copying and transforming words, small comparisons).
    public var families = ["firstLetter", "capitalizeWord", "repeatPhrase", "reverseWord", "largerNumber"]
    /// Transformer layers. Default 4: with 2, the reward model cannot learn to check a reversal or a first letter
    /// against the prompt (seed 0, same data: held-out accuracy 0.74 at 2 layers, 0.80 at 4).
    public var layers = 4
    /// Embedding width. Default 128.
    public var width = 128
    /// Attention heads. Default 4.
    public var heads = 4
    /// Context length in tokens (bytes). Default 128.
    public var contextLength = 128
    /// Pretraining steps of the base model. Default 800 (with 500 the SFT model copies too poorly for PPO to beat it;
    /// 1000 lower the held-out loss from 0.71 to 0.68 but put the pipeline over ten minutes).
    public var pretrainSteps = 800
    /// Supervised fine-tuning steps. Default 1200 (fewer leave the model unable to copy words from the prompt; the
    /// validation loss stops falling at about 1100 at 4 layers).
    public var sftSteps = 1200
    /// γ of SFT's pretraining mix: the weight of a language-modelling loss on the pretraining corpus added to every
    /// SFT update (the PPO-ptx term of arXiv 2203.02155 eq. 2; InstructGPT's SFT has none). Without it SFT forgets
    /// the base model's language modelling (held-out LM loss 5.65 against the base model's 0.78 nats per byte,
    /// seed 0), and PPO's alignment tax cannot be measured against it. Default 2.
    public var sftPtxCoefficient = 2.0
    /// SFT's peak learning rate (warm-up, then cosine decay to a tenth). Default 5e-4: the largest of 1e-3, 7e-4 and
    /// 5e-4 whose SFT model keeps its held-out LM loss within 1.5× the base model's (seed 0, with the mix: 1.56× at
    /// 1e-3, 1.05× at 5e-4), so that PPO's alignment tax is measured against a model that still has the ability.
    /// The price is a weaker SFT model (validation loss 0.93 against 0.72 at 1e-3).
    public var sftLearningRate = 5e-4
    /// Reward-model epochs over the comparisons. Default 1 (InstructGPT's; fresh comparisons beat repeated ones).
    public var rewardEpochs = 1
    /// The reward model's peak learning rate. Default 3e-4.
    public var rewardLearningRate = 3e-4
    /// Prompts per reward-model update. Default 32.
    public var rewardBatchSize = 32
    /// Pairs of the SFT model's own samples that the training annotators label and add to the reward model's
    /// comparisons, as InstructGPT's labellers compared outputs of the models being trained (built-in task
    /// only; 0 = the task's comparisons alone). Default 2000.
    public var policyComparisons = 2000
    /// Further comparisons on the comparison split, labelled by the training annotators like the task's own
    /// (built-in task only): rankings of `rankingSize` completions
    /// (`InstructionTask.moreRankedComparisons(count:rankSize:stream:)`), or pairs when `rankingSize` is 2
    /// (`InstructionTask.moreComparisons(count:stream:)`). Simulated labels are cheap and the reward model's
    /// held-out accuracy grows with them, slowly (seed 0, 4 layers, 2000 made-up words, pairs: 0.80 with 10 000 at
    /// 2 epochs; at 1 epoch 0.79–0.83 with 30 000, 0.82–0.84 with 60 000 and 0.848 with 90 000; noise ceiling
    /// 0.886). Default 45 000 rankings of 4: the 180 000 scored completions of 90 000 pairs, with three times the
    /// pairs (about four minutes of the pipeline).
    public var moreComparisons = 45_000
    /// K, completions per further comparison: InstructGPT's labellers ranked K = 4 to 9 outputs per prompt and the
    /// reward model trains on all C(K, 2) pairs of a ranking in one batch element, each weighted 1/C(K, 2)
    /// (arXiv 2203.02155 §3.5, eq. 1). 2 = pairwise comparisons. Default 4.
    public var rankingSize = 4
    /// Made-up words added to the real ones as arguments of the spelling and repetition families
    /// (`InstructionTaskConfig.madeUpWordCount`; built-in task only). Without them each split holds a few dozen
    /// words per family and the reward model memorises answers instead of checking them. Default 2000.
    public var madeUpWords = 2000
    /// The fraction of pretraining sentences that are skill drills on made-up words
    /// (`InstructionTaskConfig.pretrainingDrillFraction`; built-in task only). Default 0.3.
    public var pretrainingDrills = 0.3
    /// Characters of the built-in task's pretraining corpus (`InstructionTaskConfig.pretrainingCharacterCount`).
    /// Default 300 000, which pretraining reads about eight times (3 000 000, read less than once, gave a base
    /// model with a worse held-out loss, 0.86 against 0.78 nats, at the same 800 steps).
    public var pretrainingCharacters = 300_000
    /// PPO iterations (each: a batch of rollouts and several epochs of updates). Default 40.
    public var ppoIterations = 40
    /// Prompts per PPO iteration. Default 64.
    public var ppoBatchSize = 64
    /// PPO learning rate. Default 5e-5.
    public var ppoLearningRate: Float = 5e-5
    /// Initial KL coefficient β. Default 1: with a reward model that ranks the policy's own samples right only
    /// 60–70 % of the time, gold peaks at a small KL (best-of-2 to best-of-8, KL ≤ 1.2). On one SFT and reward
    /// model (seed 0), β = 0.3 / 0.6 / 1 ended PPO at KL 1.3 / 0.77 / 0.68 with gold 0.439 / 0.448 / 0.465 (SFT
    /// 0.392); β = 0.05 let PPO drift to KL ≈ 3, where the gold score falls below SFT's.
    public var klCoefficient = 1.0
    /// Target sequence KL (nats) of the adaptive controller; 0 = fixed β, as InstructGPT. Default 0 (Ziegler's
    /// controller, with its horizon of 10 000 samples, moves β by only a few per cent over the pipeline's 2 560).
    public var klTarget = 0.0
    /// γ_ptx, the weight of the pretraining loss in PPO-ptx. Default 3, chosen by `Scripts/ptx_coefficient_sweep.py`
    /// on seed 0's SFT and reward models, with the fresh pretraining text of ``ptxCharacters``: of 0.1, 0.3, 1 and 3,
    /// the γ with the lowest held-out LM loss among those whose PPO-ptx keeps at least 70 % of PPO's reward-model
    /// gain over SFT on validation prompts (the last 200 RL prompts; gold and the evaluation prompts play no part).
    /// They kept 0.86, 1.04, 0.95 and 0.79 of it and recovered 0.75, 0.75, 0.78 and 1.02 of PPO's loss tax.
    public var ptxCoefficient: Float = 3
    /// Characters of fresh pretraining text that PPO-ptx reads: a second draw from the built-in corpus's generator
    /// (same templates and vocabulary, documents the base model never read), as InstructGPT's mix samples GPT-3's
    /// pretraining distribution, most of which GPT-3 read once (arXiv 2203.02155 §3.5). 0 = PPO-ptx re-reads the
    /// base model's own training split, which pretraining already read about eight times. With your own data
    /// (`data`), PPO-ptx reads `pretrain-mix.jsonl` when the directory has one. Default 300 000.
    public var ptxCharacters = 300_000
    /// Maximum new tokens per response. Default 24.
    public var maximumNewTokens = 24
    /// The n of best-of-n. Default [1, 2, 4, 8, 16].
    public var bestOfN = [1, 2, 4, 8, 16]
    /// Evaluation prompts (at most the evaluation split). Default 200.
    public var evaluationPrompts = 200
    /// Bootstrap resamples of every confidence interval. Default 1000.
    public var bootstrapResamples = 1000
    /// Caps every step count (pretraining, SFT, PPO) for smoke runs; 0 = no cap. Default 0.
    public var maximumSteps = 0
    /// Extra methods trained from the SFT model and evaluated beside PPO: any of dpo, ipo, kto, orpo (offline, on
    /// the reward model's comparisons) and rloo, grpo (online, against the reward model). Default none.
    public var methods: [String] = []
    /// Epochs of DPO, IPO, KTO and ORPO over the comparisons. Default 1.
    public var methodEpochs = 1
    /// Iterations of RLOO and GRPO (each with as many episodes as a PPO iteration). Default 5: of 5, 10, 20 and 40,
    /// the count whose models the training annotators preferred most to SFT's on held-out validation prompts
    /// (`Scripts/method_defaults_sweep.py` on seed 0's SFT and reward models; gold and the evaluation prompts play no
    /// part). Their mean validation win-rates against SFT were 0.487, 0.476, 0.471 and 0.443: no count beats SFT
    /// there, and longer runs raise the reward model's score while losing more of that preference (they
    /// over-optimise it).
    public var methodIterations = 5
    /// Learning rate of DPO, IPO, KTO and ORPO (RLOO and GRPO use `ppoLearningRate`). Default 2e-5, chosen the same
    /// way among 1e-5, 2e-5, 5e-5 and 1e-4 (mean validation win-rates 0.500, 0.504, 0.498 and 0.484: differences
    /// within the noise of 200 prompts, so a user should not expect these methods to beat SFT on this task).
    public var methodLearningRate: Float = 2e-5
    /// LoRA (Hu et al. 2021, arXiv 2106.09685) for every stage after pretraining (SFT, the reward model's trunk,
    /// PPO, PPO-ptx and the extra methods): rank (0 = off, every weight trains), α (0 = 2 × rank), dropout and
    /// comma-separated target modules. Each stage's adapters are merged into its saved model. Default off.
    public var loraRank = 0
    public var loraAlpha: Float = 0
    public var loraDropout: Float = 0
    public var loraTargets = "c_attn"

    public init() {}


    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of every random choice"),
        ("threads", "threads for the kernels (0 = all cores)"),
        ("data", "directory with your own sft.jsonl, comparisons.jsonl, prompts.jsonl, eval.jsonl, pretrain.jsonl and optionally pretrain-mix.jsonl for PPO-ptx (empty = built-in instruction task)"),
        ("families", "instruction families of the built-in task, e.g. [\"firstLetter\",\"reverseWord\"] (all ten: see rlft task --help)"),
        ("layers", "transformer layers"), ("width", "embedding width"), ("heads", "attention heads"),
        ("contextLength", "context length in tokens"),
        ("pretrainSteps", "pretraining steps of the base model"),
        ("sftSteps", "supervised fine-tuning steps"),
        ("sftPtxCoefficient", "γ of SFT's pretraining mix: weight of a language-modelling loss on the pretraining corpus in every SFT update (0 = plain SFT, as InstructGPT)"),
        ("sftLearningRate", "SFT's peak learning rate"),
        ("rewardEpochs", "reward-model epochs over the comparisons"),
        ("rewardLearningRate", "the reward model's peak learning rate"),
        ("rewardBatchSize", "prompts per reward-model update"),
        ("policyComparisons", "pairs of SFT samples labelled by the training annotators and added to the reward model's comparisons (built-in task only; 0 = none)"),
        ("madeUpWords", "made-up words (\"tomer\", \"bivak\") added to the real words of the spelling and repetition families, so that the models learn the operations rather than memorise answers (built-in task only)"),
        ("pretrainingDrills", "fraction of pretraining sentences that are skill drills on made-up words (reverse, capitals, first letter, repeat, larger; built-in task only)"),
        ("moreComparisons", "further comparisons (rankings of rankingSize completions) on the comparison split labelled by the training annotators, added to the reward model's (built-in task only; 0 = none)"),
        ("rankingSize", "K, completions per further comparison: rankings of K trained on their C(K,2) pairs weighted 1/C(K,2) as InstructGPT's (2 = pairs; at most 9)"),
        ("pretrainingCharacters", "characters of the built-in task's pretraining corpus (built-in task only)"),
        ("ppoIterations", "PPO iterations"), ("ppoBatchSize", "prompts per PPO iteration"),
        ("ppoLearningRate", "PPO learning rate"),
        ("klCoefficient", "initial KL coefficient β"),
        ("klTarget", "target sequence KL of the adaptive controller (0 = fixed β)"),
        ("ptxCoefficient", "γ_ptx: weight of the pretraining loss in PPO-ptx"),
        ("ptxCharacters", "characters of fresh pretraining text (a second draw of the built-in corpus) that PPO-ptx reads; 0 = re-read the base model's training split (built-in task only)"),
        ("maximumNewTokens", "maximum new tokens per response"),
        ("bestOfN", "the n of best-of-n, e.g. [1,2,4,8,16]"),
        ("evaluationPrompts", "evaluation prompts"),
        ("bootstrapResamples", "bootstrap resamples of every confidence interval"),
        ("maximumSteps", "cap on every step count, for smoke runs (0 = no cap)"),
        ("methods", "extra methods beside PPO, e.g. [\"dpo\",\"ipo\",\"kto\",\"orpo\",\"rloo\",\"grpo\"] (default none)"),
        ("methodEpochs", "epochs of DPO/IPO/KTO/ORPO over the comparisons"),
        ("methodIterations", "iterations of RLOO and GRPO"),
        ("methodLearningRate", "learning rate of DPO/IPO/KTO/ORPO (RLOO and GRPO use ppoLearningRate)"),
    ] + loraFieldDocumentation(scope: "every stage after pretraining")

    public func validate() throws {
        try require(threads >= 0, "threads", threads, "it must be 0 (all cores) or a positive count")
        try require(layers >= 1, "layers", layers, "use at least 1 layer")
        try require(width >= 8 && heads >= 1 && width % heads == 0, "heads", heads, "it must divide width (\(width)); for example 4")
        try require(contextLength >= 32, "contextLength", contextLength, "use at least 32 tokens so prompts and answers fit")
        try require(maximumNewTokens >= 1 && maximumNewTokens < contextLength, "maximumNewTokens", maximumNewTokens, "it must be in 1..<contextLength (\(contextLength))")
        for (name, value) in [("pretrainSteps", pretrainSteps), ("sftSteps", sftSteps), ("rewardEpochs", rewardEpochs),
                              ("rewardBatchSize", rewardBatchSize),
                              ("ppoIterations", ppoIterations), ("evaluationPrompts", evaluationPrompts)] {
            try require(value >= 1, name, value, "it must be at least 1")
        }
        try require((0...20_000).contains(madeUpWords), "madeUpWords", madeUpWords, "it must be in 0...20000, such as 0 or 2000")
        try require(pretrainingDrills >= 0 && pretrainingDrills <= 1, "pretrainingDrills", pretrainingDrills, "it must be in [0, 1], such as 0 or 0.3")
        try require(pretrainingCharacters >= 10_000, "pretrainingCharacters", pretrainingCharacters, "use at least 10000 characters, such as 3000000")
        try require(moreComparisons >= 0, "moreComparisons", moreComparisons, "it must be 0 (none) or a positive count such as 90000")
        try require((2...9).contains(rankingSize), "rankingSize", rankingSize, "it must be in 2...9 (InstructGPT ranked 4 to 9; 2 = pairs)")
        try require(policyComparisons >= 0, "policyComparisons", policyComparisons, "it must be 0 (none) or a positive count such as 2000")
        try require(ppoBatchSize >= 8, "ppoBatchSize", ppoBatchSize, "use at least 8 prompts (reward whitening needs 8 samples)")
        try require(rewardLearningRate > 0 && rewardLearningRate.isFinite, "rewardLearningRate", rewardLearningRate, "it must be a positive number such as 1e-3")
        try require(ppoLearningRate > 0 && ppoLearningRate.isFinite, "ppoLearningRate", ppoLearningRate, "it must be a positive number such as 5e-5")
        try require(klCoefficient >= 0, "klCoefficient", klCoefficient, "it must be ≥ 0")
        try require(klTarget >= 0, "klTarget", klTarget, "it must be ≥ 0 (0 keeps β fixed)")
        try require(sftLearningRate > 0 && sftLearningRate.isFinite, "sftLearningRate", sftLearningRate, "it must be a positive number such as 1e-3")
        try require(sftPtxCoefficient >= 0 && sftPtxCoefficient.isFinite, "sftPtxCoefficient", sftPtxCoefficient, "it must be ≥ 0 (0 = plain SFT), such as 1")
        try require(ptxCoefficient > 0, "ptxCoefficient", ptxCoefficient, "PPO-ptx needs γ_ptx > 0, e.g. 1")
        try require(ptxCharacters == 0 || ptxCharacters >= 10_000, "ptxCharacters", ptxCharacters, "it must be 0 (re-read the pretraining corpus) or at least 10000, such as 300000")
        try require(!bestOfN.isEmpty && bestOfN.allSatisfy { $0 >= 1 }, "bestOfN", bestOfN, "give positive sample counts such as [1,2,4,8,16]")
        try require(bootstrapResamples >= 10, "bootstrapResamples", bootstrapResamples, "use at least 10 (1000 is usual)")
        try require(maximumSteps >= 0, "maximumSteps", maximumSteps, "it must be 0 (no cap) or positive")
        try validateAdditionalMethods()
        _ = try loraConfiguration()
    }

    /// `steps`, capped by `maximumSteps` when set.
    func capped(_ steps: Int) -> Int { maximumSteps > 0 ? Swift.min(steps, maximumSteps) : steps }
}
