// The built-in instruction task, an AlpacaFarm in miniature: seeded splits, demonstrations, comparisons, scoring.
import Foundation
import Evaluation
import TrainingData

typealias TaskGenerator = SplitMix64

/// The configuration of the built-in instruction task. Every field has a documented default.
public struct InstructionTaskConfig: Codable, Equatable, Sendable {
    /// The seed of every random choice. Default 0.
    public var seed: UInt64 = 0
    /// The number of demonstrations (SFT examples). Default 2000.
    public var demonstrationCount = 2000
    /// The number of pairwise comparisons for reward-model training. Default 2000.
    public var comparisonCount = 2000
    /// The number of ranked (K-wise) comparisons. Default 500.
    public var rankedCount = 500
    /// K, the number of completions per ranked comparison (InstructGPT used 4 to 9). Default 4.
    public var rankSize = 4
    /// The number of unlabelled RL prompts. Default 1000.
    public var rlPromptCount = 1000
    /// The number of evaluation prompts. Default 200.
    public var evaluationCount = 200
    /// The number of held-out comparisons on evaluation prompts (for reward-model accuracy). Default 500.
    public var heldOutComparisonCount = 500
    /// The approximate size of the pretraining corpus in characters. Default 300 000.
    public var pretrainingCharacterCount = 300_000
    /// The fraction of the pretraining corpus's sentences that are skill drills on made-up letter strings and
    /// numbers ("zobak backwards is kaboz.", "the first letter of zobak is z."; see
    /// ``InstructionTask/pretrainingCorpus(draw:characters:)``): they teach the operations the instructions ask for without
    /// naming any instruction instance. Default 0.
    public var pretrainingDrillFraction = 0.0
    /// The number of made-up words ("tomer", "bivak") added to the real words as arguments of the spelling
    /// families (reverse, capitalise, count, first letter), those of at most five letters also as phrases to
    /// repeat. With only the ~240 real words, each split holds a few dozen words per family and a small reward
    /// model memorises their answers instead of learning to check them; made-up words make it learn the check.
    /// Default 0.
    public var madeUpWordCount = 0
    /// The reference system's accuracy. Default 0.6.
    public var referenceAccuracy = 0.6
    /// The cap on distinct instances sampled for each numeric family (whose space is large). Default 600.
    public var numericInstanceCap = 600
    /// The instruction families to draw from (raw names of ``InstructionFamily``). Default: all ten.
    public var families: [String] = InstructionFamily.allCases.map(\.rawValue)

    /// Creates a configuration with the defaults; set fields afterwards to change them.
    public init() {}

    /// Checks every field.
    ///
    /// - Throws: ``TaskError/invalid(_:)`` naming the first bad field.
    public func validate() throws(TaskError) {
        let counts: [(String, Int)] = [
            ("demonstrationCount", demonstrationCount), ("comparisonCount", comparisonCount),
            ("rankedCount", rankedCount), ("rlPromptCount", rlPromptCount), ("evaluationCount", evaluationCount),
            ("heldOutComparisonCount", heldOutComparisonCount), ("pretrainingCharacterCount", pretrainingCharacterCount),
        ]
        for (field, value) in counts where value < 1 {
            throw .invalid(.invalidValue(field: field, value: "\(value)", requirement: "it must be at least 1"))
        }
        guard (2...9).contains(rankSize) else {
            throw .invalid(.invalidValue(field: "rankSize", value: "\(rankSize)",
                                         requirement: "it must be in 2...9 (InstructGPT ranked 4 to 9 outputs)"))
        }
        guard referenceAccuracy >= 0, referenceAccuracy <= 1 else {
            throw .invalid(.invalidValue(field: "referenceAccuracy", value: "\(referenceAccuracy)",
                                         requirement: "it must be in [0, 1], such as 0.6"))
        }
        let known = Set(InstructionFamily.allCases.map(\.rawValue))
        if families.isEmpty || !families.allSatisfy(known.contains) {
            throw .invalid(.invalidValue(field: "families", value: "\(families)",
                                         requirement: "it must be a non-empty list drawn from \(InstructionFamily.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        guard pretrainingDrillFraction >= 0, pretrainingDrillFraction <= 1 else {
            throw .invalid(.invalidValue(field: "pretrainingDrillFraction", value: "\(pretrainingDrillFraction)",
                                         requirement: "it must be in [0, 1], such as 0 or 0.3"))
        }
        guard (0...20_000).contains(madeUpWordCount) else {
            throw .invalid(.invalidValue(field: "madeUpWordCount", value: "\(madeUpWordCount)",
                                         requirement: "it must be in 0...20000, such as 0 or 2000"))
        }
        guard numericInstanceCap >= 40 else {
            throw .invalid(.invalidValue(field: "numericInstanceCap", value: "\(numericInstanceCap)",
                                         requirement: "it must be at least 40 so every split gets instances"))
        }
    }
}

/// The instruction instances of each split; no instance (family and arguments) appears in two splits.
public struct InstructionSplits: Codable, Equatable, Sendable {
    /// Demonstration prompts (SFT).
    public var demonstration: [Instruction]
    /// Comparison prompts (reward model; pairwise and ranked).
    public var comparison: [Instruction]
    /// Unlabelled prompts (RL).
    public var reinforcement: [Instruction]
    /// Evaluation prompts (also used for held-out comparisons).
    public var evaluation: [Instruction]
}

/// The built-in instruction task: an AlpacaFarm in miniature, with short English instructions whose answers can
/// be checked (see ``InstructionFamily`` and ``InstructionFormat``).
///
/// Construction generates everything from ``InstructionTaskConfig/seed``:
/// - **splits** disjoint by instruction instance: each family's instances are shuffled and divided 35 % / 30 % /
///   20 % / 15 % among demonstrations, comparisons, RL prompts and evaluation. Examples of a split pick a family
///   uniformly, then that family's next instance in the split (cycling once exhausted) in a random phrasing;
/// - **demonstrations**, good but imperfect: 70 % correct, 10 % verbose, 5 % polite, 10 % partial, 5 % wrong;
/// - **comparisons**: two distinct candidates per prompt drawn from a mix of correct 25 %, verbose 15 %,
///   polite 15 %, partial 20 %, wrong 15 %, garbage 5 %, unstopped 5 %, labelled by the training annotator group
///   (``AnnotatorGroup/training``); **ranked** comparisons of ``InstructionTaskConfig/rankSize`` candidates ranked
///   by Plackett–Luce draws of the same group; and **held-out comparisons** on evaluation prompts labelled by
///   both the training and the held-out group;
/// - a **reference system** (``ReferenceSystem``) whose outputs are the evaluation references;
/// - a **pretraining corpus** of simple English-like text over the same vocabulary.
///
/// ```swift
/// let task = try InstructionTask(config: InstructionTaskConfig())
/// let prompt = task.evaluation[0].prompt                 // "Q: Reverse the word lamp.\nA:"
/// let score = try task.score(prompt: prompt, completion: " pmal\n")   // 1.0
/// try task.writeSplits(to: URL(fileURLWithPath: "data/instructions"))
/// ```
public struct InstructionTask: Sendable {
    /// The configuration used.
    public let config: InstructionTaskConfig
    /// The instructions of each split.
    public let splits: InstructionSplits
    /// The reference system.
    public let referenceSystem: ReferenceSystem
    /// The group that labelled the training comparisons.
    public let trainingAnnotators: AnnotatorGroup
    /// The held-out group.
    public let heldOutAnnotators: AnnotatorGroup

    /// Demonstrations (SFT data): prompt and a good but imperfect completion.
    public let demonstrations: [PromptCompletionRecord]
    /// Pairwise comparisons labelled by the training group.
    public let comparisons: [PreferenceRecord]
    /// Ranked comparisons (best first) labelled by the training group.
    public let rankedComparisons: [RankedRecord]
    /// Unlabelled RL prompts.
    public let rlPrompts: [PromptRecord]
    /// Evaluation prompts with the reference system's completions.
    public let evaluation: [PromptCompletionRecord]
    /// Held-out comparisons on evaluation prompts labelled by the training group.
    public let heldOutComparisons: [PreferenceRecord]
    /// The same pairs as ``heldOutComparisons`` labelled by the held-out group.
    public let heldOutComparisonsByHeldOutGroup: [PreferenceRecord]

    /// Generates the task.
    ///
    /// - Parameters:
    ///   - config: The configuration. Default: all defaults.
    ///   - trainingAnnotators: The group labelling training data. Default ``AnnotatorGroup/training``.
    ///   - heldOutAnnotators: The held-out group. Default ``AnnotatorGroup/heldOut``.
    /// - Throws: ``TaskError/invalid(_:)`` for a bad configuration.
    public init(config: InstructionTaskConfig = InstructionTaskConfig(),
                trainingAnnotators: AnnotatorGroup = .training,
                heldOutAnnotators: AnnotatorGroup = .heldOut) throws(TaskError) {
        try config.validate()
        self.config = config
        self.trainingAnnotators = trainingAnnotators
        self.heldOutAnnotators = heldOutAnnotators
        referenceSystem = try ReferenceSystem(seed: config.seed, accuracy: config.referenceAccuracy)

        // Independent streams per purpose, so changing one count does not reshuffle everything else.
        var master = TaskGenerator(seed: config.seed)
        var splitRNG = TaskGenerator(seed: master.next())
        var demoRNG = TaskGenerator(seed: master.next())
        var pairRNG = TaskGenerator(seed: master.next())
        var rankRNG = TaskGenerator(seed: master.next())
        var heldOutRNG = TaskGenerator(seed: master.next())

        // 1. Partition each family's instances among the four splits.
        var portions: [[InstructionFamily: [[String]]]] = Array(repeating: [:], count: 4)
        let fractions = [0.35, 0.30, 0.20, 0.15]
        let selected = Set(config.families.compactMap(InstructionFamily.init(rawValue:)))
        let madeUpWords = Vocabulary.madeUpWords(count: config.madeUpWordCount, seed: config.seed)
        for family in InstructionFamily.allCases where selected.contains(family) {
            let arguments = family.instanceArguments(cap: config.numericInstanceCap, madeUpWords: madeUpWords,
                                                     using: &splitRNG)
            let all = splitRNG.taskShuffled(arguments)
            var start = 0
            for (s, fraction) in fractions.enumerated() {
                let end = s == 3 ? all.count : min(all.count, start + max(1, Int((Double(all.count) * fraction).rounded())))
                portions[s][family] = Array(all[start..<end])
                start = end
            }
        }
        let counts = [config.demonstrationCount, config.comparisonCount + config.rankedCount,
                      config.rlPromptCount, config.evaluationCount]
        var drawn: [[Instruction]] = []
        for s in 0..<4 {
            drawn.append(InstructionTask.draw(count: counts[s], from: portions[s], using: &splitRNG))
        }
        splits = InstructionSplits(demonstration: drawn[0], comparison: drawn[1], reinforcement: drawn[2],
                                   evaluation: drawn[3])

        // 2. Demonstrations: good but imperfect.
        let demoKinds: [CandidateKind] = [.correct, .verbose, .polite, .partial, .wrong]
        let demoWeights = [0.70, 0.10, 0.05, 0.10, 0.05]
        demonstrations = splits.demonstration.map { instruction in
            let kind = demoKinds[demoRNG.taskWeightedIndex(demoWeights)]
            return PromptCompletionRecord(prompt: instruction.prompt,
                                          completion: instruction.candidateCompletion(kind, using: &demoRNG))
        }

        // 3. Pairwise and ranked comparisons, labelled by the training group.
        let pairInstructions = Array(splits.comparison.prefix(config.comparisonCount))
        comparisons = pairInstructions.map { instruction in
            let pair = InstructionTask.distinctCandidates(for: instruction, count: 2, using: &pairRNG)
            let firstWins = trainingAnnotators.prefersFirst(instruction, pair[0], pair[1], using: &pairRNG)
            return PreferenceRecord(prompt: instruction.prompt, chosen: firstWins ? pair[0] : pair[1],
                                    rejected: firstWins ? pair[1] : pair[0])
        }
        let rankInstructions = Array(splits.comparison.dropFirst(config.comparisonCount))
        rankedComparisons = rankInstructions.map { instruction in
            let candidates = InstructionTask.distinctCandidates(for: instruction, count: config.rankSize, using: &rankRNG)
            let order = trainingAnnotators.rank(instruction, candidates, using: &rankRNG)
            return RankedRecord(prompt: instruction.prompt, completions: order.map { candidates[$0] })
        }

        // 4. RL prompts and evaluation references.
        rlPrompts = splits.reinforcement.map { PromptRecord(prompt: $0.prompt) }
        let reference = referenceSystem
        evaluation = splits.evaluation.map {
            PromptCompletionRecord(prompt: $0.prompt, completion: reference.completion(for: $0))
        }

        // 5. Held-out comparisons on evaluation prompts, labelled by both groups.
        var byTraining: [PreferenceRecord] = []
        var byHeldOut: [PreferenceRecord] = []
        for i in 0..<config.heldOutComparisonCount {
            let instruction = splits.evaluation[i % splits.evaluation.count]
            let pair = InstructionTask.distinctCandidates(for: instruction, count: 2, using: &heldOutRNG)
            let a = trainingAnnotators.prefersFirst(instruction, pair[0], pair[1], using: &heldOutRNG)
            let b = heldOutAnnotators.prefersFirst(instruction, pair[0], pair[1], using: &heldOutRNG)
            byTraining.append(PreferenceRecord(prompt: instruction.prompt, chosen: a ? pair[0] : pair[1],
                                               rejected: a ? pair[1] : pair[0]))
            byHeldOut.append(PreferenceRecord(prompt: instruction.prompt, chosen: b ? pair[0] : pair[1],
                                              rejected: b ? pair[1] : pair[0]))
        }
        heldOutComparisons = byTraining
        heldOutComparisonsByHeldOutGroup = byHeldOut
    }

    // MARK: - Generation helpers

    /// The candidate mix used for comparisons.
    static let comparisonKinds: [CandidateKind] = [.correct, .verbose, .polite, .partial, .wrong, .garbage, .unstopped]
    static let comparisonWeights = [0.25, 0.15, 0.15, 0.20, 0.15, 0.05, 0.05]

    /// `count` distinct candidate completions of mixed quality (distinctness is attempted up to 50 draws each).
    static func distinctCandidates<G: RandomNumberGenerator>(for instruction: Instruction, count: Int,
                                                             using rng: inout G) -> [String] {
        var out: [String] = []
        var attempts = 0
        while out.count < count {
            let kind = comparisonKinds[rng.taskWeightedIndex(comparisonWeights)]
            let candidate = instruction.candidateCompletion(kind, using: &rng)
            attempts += 1
            if !out.contains(candidate) || attempts > 50 * count { out.append(candidate) }
        }
        return out
    }

    /// Draws `count` instructions: a uniformly chosen family, then that family's next instance in this split's
    /// portion (cycling through a reshuffled order once exhausted) with a uniformly chosen phrasing.
    static func draw<G: RandomNumberGenerator>(count: Int, from portion: [InstructionFamily: [[String]]],
                                               using rng: inout G) -> [Instruction] {
        let families = InstructionFamily.allCases.filter { !(portion[$0] ?? []).isEmpty }
        var order: [InstructionFamily: [[String]]] = [:]
        var cursor: [InstructionFamily: Int] = [:]
        for family in families {
            order[family] = portion[family]
            cursor[family] = 0
        }
        var out: [Instruction] = []
        out.reserveCapacity(count)
        while out.count < count {
            let family = rng.taskPick(families)
            if cursor[family]! == order[family]!.count {
                order[family] = rng.taskShuffled(order[family]!)
                cursor[family] = 0
            }
            let arguments = order[family]![cursor[family]!]
            cursor[family]! += 1
            let usable = family.phrasingIndices(argumentCount: arguments.count)
            let phrasing = usable[rng.taskBelow(usable.count)]
            // The arguments come from the family's own instance space, so construction cannot fail.
            if let instruction = try? Instruction(family: family, arguments: arguments, phrasing: phrasing) {
                out.append(instruction)
            }
        }
        return out
    }

    // MARK: - Scoring and evaluation

    /// The gold score of a completion for a task prompt (``Instruction/goldScore(completion:)``).
    ///
    /// The prompt is parsed back into its instruction, so this works on prompts read from the JSONL files.
    ///
    /// - Parameters:
    ///   - prompt: A task prompt.
    ///   - completion: The text generated after it.
    /// - Returns: The gold score in [0, 1].
    /// - Throws: ``TaskError/unrecognizedPrompt(_:)`` for a prompt that is not the task's.
    public func score(prompt: String, completion: String) throws(TaskError) -> Double {
        try Instruction(prompt: prompt).goldScore(completion: completion)
    }

    /// Gold scores for a batch, in the shape of a reward function (`scores(prompts:completions:)`).
    ///
    /// - Parameters:
    ///   - prompts: Task prompts.
    ///   - completions: One completion per prompt.
    /// - Returns: One gold score per prompt.
    /// - Throws: ``TaskError/lengthMismatch(expected:found:)`` or ``TaskError/unrecognizedPrompt(_:)``.
    public func scores(prompts: [String], completions: [String]) throws(TaskError) -> [Float] {
        guard prompts.count == completions.count else {
            throw .lengthMismatch(expected: prompts.count, found: completions.count)
        }
        var out: [Float] = []
        out.reserveCapacity(prompts.count)
        for (p, c) in zip(prompts, completions) { out.append(Float(try score(prompt: p, completion: c))) }
        return out
    }

    /// Judges outputs against the reference system's outputs with a simulated annotator group.
    ///
    /// Identical outputs tie (credit ½); otherwise one label is drawn per prompt. Use
    /// `Evaluation.winRate(_:)` on the result, and the outcomes' credits with
    /// `bootstrapConfidenceInterval(values:…)` for an interval.
    ///
    /// - Parameters:
    ///   - prompts: Task prompts.
    ///   - outputs: The evaluated system's completion per prompt.
    ///   - judge: The annotator group. Default: the task's training group.
    ///   - rng: The random source for the labels.
    /// - Returns: One outcome per prompt, from the evaluated system's side.
    /// - Throws: ``TaskError/lengthMismatch(expected:found:)`` or ``TaskError/unrecognizedPrompt(_:)``.
    public func judgeAgainstReference<G: RandomNumberGenerator>(prompts: [String], outputs: [String],
                                                                judge: AnnotatorGroup? = nil,
                                                                using rng: inout G) throws(TaskError)
        -> [PairwiseOutcome] {
        guard prompts.count == outputs.count else { throw .lengthMismatch(expected: prompts.count, found: outputs.count) }
        let group = judge ?? trainingAnnotators
        var out: [PairwiseOutcome] = []
        for (prompt, output) in zip(prompts, outputs) {
            let instruction = try Instruction(prompt: prompt)
            out.append(group.judge(instruction, output: output, reference: referenceSystem.completion(for: instruction),
                                   using: &rng))
        }
        return out
    }

    /// The win-rate against the reference system, judged by a simulated annotator group, ties counting ½.
    ///
    /// - Parameters:
    ///   - prompts: Task prompts.
    ///   - outputs: The evaluated system's completion per prompt.
    ///   - judge: The annotator group. Default: the task's training group.
    ///   - rng: The random source for the labels.
    /// - Returns: The win-rate in [0, 1] (0.5 for the reference system itself).
    /// - Throws: As ``judgeAgainstReference(prompts:outputs:judge:using:)``, or ``TaskError/lengthMismatch(expected:found:)``
    ///   for empty input.
    public func winRate<G: RandomNumberGenerator>(prompts: [String], outputs: [String], judge: AnnotatorGroup? = nil,
                                                  using rng: inout G) throws(TaskError) -> Double {
        let outcomes = try judgeAgainstReference(prompts: prompts, outputs: outputs, judge: judge, using: &rng)
        guard let rate = try? Evaluation.winRate(outcomes) else { throw .lengthMismatch(expected: 1, found: 0) }
        return rate
    }

    /// The expected win-rate against the reference system: the mean over prompts of the judge group's preference
    /// probability (½ for identical outputs). Noise-free, so it is the better number for small evaluation sets.
    ///
    /// - Parameters:
    ///   - prompts: Task prompts.
    ///   - outputs: The evaluated system's completion per prompt.
    ///   - judge: The annotator group. Default: the task's training group.
    /// - Returns: The per-prompt expected credits; their mean is the expected win-rate.
    /// - Throws: ``TaskError/lengthMismatch(expected:found:)`` or ``TaskError/unrecognizedPrompt(_:)``.
    public func expectedWinCredits(prompts: [String], outputs: [String], judge: AnnotatorGroup? = nil)
        throws(TaskError) -> [Double] {
        guard prompts.count == outputs.count else { throw .lengthMismatch(expected: prompts.count, found: outputs.count) }
        let group = judge ?? trainingAnnotators
        var out: [Double] = []
        for (prompt, output) in zip(prompts, outputs) {
            let instruction = try Instruction(prompt: prompt)
            out.append(group.expectedCredit(instruction, output: output,
                                            reference: referenceSystem.completion(for: instruction)))
        }
        return out
    }

    /// The noise ceiling of a group on preference records: the best achievable expected pairwise accuracy.
    ///
    /// - Parameters:
    ///   - comparisons: Preference records with task prompts.
    ///   - group: The group whose labels are predicted. Default: the training group.
    /// - Returns: `mean max(p, 1 − p)` (``AnnotatorGroup/noiseCeiling(_:)``).
    /// - Throws: ``TaskError/unrecognizedPrompt(_:)``.
    public func noiseCeiling(of comparisons: [PreferenceRecord], group: AnnotatorGroup? = nil) throws(TaskError)
        -> Double {
        var pairs: [(instruction: Instruction, a: String, b: String)] = []
        for record in comparisons {
            pairs.append((try Instruction(prompt: record.prompt), record.chosen, record.rejected))
        }
        return (group ?? trainingAnnotators).noiseCeiling(pairs)
    }
}
