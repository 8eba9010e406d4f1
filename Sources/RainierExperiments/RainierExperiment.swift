// The Rainier experiment on the commonsense world (`rlft rainier`, the `rainier` example): train the QA model,
// then the introspector in two stages, and compare QA alone, QA + silver knowledge, QA + stage I and QA + Rainier
// per family, seen and unseen, with bootstrap intervals; write metrics, samples and report.md.
import CommonsenseWorld
import Evaluation
import Foundation
import LanguageModels
import Pretraining
import Rainier
import Runs
import SFT
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// What the experiment found.
public struct RainierExperimentResult {
    /// The accuracy table (Markdown).
    public var accuracyTable: String
    /// Each method's paired difference from QA alone, and Rainier's from stage I (Markdown).
    public var differenceTable: String
    /// The paper's claims checked on this run.
    public var claims: [PaperClaim]
    /// Every test question with each method's correctness (for pooling seeds).
    public var items: [RainierItem]
    /// The knowledge-quality table (Markdown).
    public var knowledgeTable: String
    /// Seen and unseen average accuracy of QA + stage I and QA + Rainier under each aggregation (Markdown).
    public var aggregationTable: String
    /// Accuracy per method and group ("seen average", "unseen average", or a family name).
    public var accuracy: [String: [String: ConfidenceInterval]]
    /// Fraction of statements that are true and relevant, per method and group ("seen", "unseen").
    public var trueAndRelevant: [String: [String: Double]]
    /// How often the introspector's pretrained base model ranks a fact's true statement first among its relation's
    /// values, per group ("training entities", "test entities", "unasked relation").
    public var baseRecall: [String: Double]
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
}

/// The four ways of answering that the experiment compares, in table order.
public let rainierMethods = ["QA alone", "QA + silver", "QA + stage I", "QA + Rainier"]

/// Runs the whole experiment, reporting progress lines to `log` (the library never prints).
public final class RainierExperiment {
    public let config: RainierExperimentConfig
    public let run: RunDirectory?
    let log: (String) -> Void
    let start = Date()
    let clock: StageClock

    /// Polled after every training step and between stages; true stops the run after the current step (with a
    /// checkpoint where the stage has one) with `RunInterrupted`. Set it to read a Ctrl-C flag.
    public var shouldStop: () -> Bool {
        get { clock.shouldStop }
        set { clock.shouldStop = newValue }
    }

    /// - Parameters:
    ///   - config: the settings (validated here).
    ///   - output: the run directory (nil = write nothing).
    ///   - resuming: continue the interrupted run in `output` (with its own configuration): the QA model and the
    ///     introspector after each stage are loaded from `models/`, a stopped QA or stage-II training continues
    ///     from its checkpoint, and the tables match an uninterrupted run's (same thread count).
    ///   - log: receives one line per phase.
    public init(config: RainierExperimentConfig, output: URL?, resuming: Bool = false,
                log: @escaping (String) -> Void = { _ in }) throws {
        try config.validate()
        self.config = config
        run = try output.map { try RunDirectory($0) }
        self.log = log
        if config.threads > 0 { Compute.threadCount = config.threads }
        clock = StageClock(log: log)
        guard let run else {
            if resuming { throw RunResumeError.notResumable(directory: "(no output directory)", reason: "a run without an output directory saves nothing") }
            return
        }
        clock.ledger = try StageLedger(run: run, resuming: resuming, configuration: config)
        clock.directory = run.url.path
    }

    /// A stage that trains `model` in place, saved in `models/<file>` (when there is a run directory): in a resumed
    /// run that finished it, the weights are loaded from there instead.
    func modelStage(_ name: String, model: GPT, file: String, _ body: () throws -> Void) throws {
        let url = run?.file("models/\(file)")
        try clock.resumable(name, restore: { _ in try model.load(stateDictionary: try GPT.load(from: url!).model.stateDictionary()) }) {
            try body()
            try clock.stopIfRequested(during: name)
            if let url { try model.save(to: url) }
        }
    }

    /// Checkpoints of a trainer stage, when there is a run directory.
    func checkpoints(_ stage: String) -> URL? { run?.file("checkpoints/\(stage)") }

    func percent(_ value: Double?) -> String { value.map { String(format: "%.0f %%", 100 * $0) } ?? "—" }

    func say(_ line: String) { log(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line) }

    func modelConfig(vocabulary: Int) -> GPTConfig {
        GPTConfig(layerCount: config.layers, headCount: config.heads, embeddingSize: config.width,
                  contextLength: config.contextLength, vocabularySize: vocabulary)
    }

    /// World → tokenizer → QA model → stage I → calibration → stage II → evaluation → report.
    public func runAll() throws -> RainierExperimentResult {
        if let run { try run.writeAtomically(config.jsonData(), to: "config.json") }
        let world = try CommonsenseWorld(config: config.world)
        let training = world.questions(.training), test = world.questions(.test)
        say("world: \(world.entities.count) entities (\(world.testEntities.count) held out for testing), \(world.facts.count) facts (\(world.knownFacts.count) known to the QA model), \(training.count) training and \(test.count) test questions in \(world.families.count) families")

        // Tokenizer: byte-level BPE on the world's texts.
        let corpus = world.corpus + training.map { QuestionAnsweringFormat.input($0, knowledge: world.trueStatement(for: $0)) + " " + $0.choices[$0.answer] + "\nknowledge:" }
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: config.vocabularySize,
                                                            specialTokens: ["<|endoftext|>", "<|pad|>"])).train(on: corpus)
        let vocabulary = tokenizer.vocabularySize
        try checkContext(questions: training + test, tokenizer: tokenizer)

        // The QA model: reading lessons on the seen families' training questions.
        var rng = SeededGenerator(seed: config.seed &+ 1)
        let qaModel = try GPT(config: modelConfig(vocabulary: vocabulary), using: &rng)
        var lessonRNG = SplitMix64(seed: config.seed &+ 2)
        // Reading on the training entities; its own memory of the known facts of the test entities (the QA model is
        // fixed and shared by every method, like UnifiedQA, which knows some answers without knowledge).
        let lessons = (0..<config.readingRounds).flatMap { _ in world.readingExamples(for: training, scrambledStemFraction: config.scrambledStemFraction, using: &lessonRNG) }
            + (0..<config.readingRounds).flatMap { _ in world.memoryLessons(variants: config.trainingVariants, using: &lessonRNG) }
        let qaExamples = try SFTExample.encode(lessons.map(QuestionAnsweringFormat.record), tokenizer: tokenizer,
                                               contextLength: config.contextLength)
        var qaConfig = SFTConfig()
        qaConfig.steps = config.qaSteps
        qaConfig.batchSize = config.qaBatchSize
        qaConfig.learningRate = config.qaLearningRate
        qaConfig.warmupSteps = min(20, config.qaSteps)
        qaConfig.validationFraction = 0
        qaConfig.keepBestCheckpoint = false
        qaConfig.evaluationInterval = config.qaSteps
        qaConfig.seed = config.seed &+ 3
        let pad = tokenizer.id(forSpecialToken: "<|pad|>")!
        say("QA model: \(qaModel.parameterCount) parameters, \(qaExamples.count) reading lessons, \(config.qaSteps) steps")
        let qaTrainer = try SFTTrainer(model: qaModel, config: qaConfig, padToken: pad, training: qaExamples, validation: [])
        try modelStage("QA model", model: qaModel, file: "qa") {
            if let run, let directory = checkpoints("qa") {
                try clock.continueTrainer(run: run, phase: "qa", checkpoints: directory) { try qaTrainer.loadCheckpoint(from: $0); return qaTrainer.step }
            }
            try qaTrainer.train(checkpointDirectory: checkpoints("qa"), checkpointEvery: 100, keepCheckpoints: 1,
                                progress: metricsLogger(phase: "qa", every: 100))
            try clock.stopUnlessComplete("QA model", done: qaTrainer.step, of: qaConfig.steps)
        }
        let qa = GPTQuestionAnswering(model: qaModel.frozenCopy(), tokenizer: tokenizer)
        try reportReading(world: world, test: test, qa: qa)

        // Stage I: imitation of silver knowledge.
        var silverRNG = SplitMix64(seed: config.seed &+ 4)
        let silver = training.map { world.silverKnowledge(for: $0, count: config.silverPerQuestion, using: &silverRNG) }
        // The introspector's base model: pretrained on the world's statements (every fact, no question), the way
        // T5 read the web before Rainier's stage I.
        var introspectorRNG = SeededGenerator(seed: config.seed &+ 5)
        let base = try GPT(config: modelConfig(vocabulary: vocabulary), using: &introspectorRNG)
        var corpusRNG = SplitMix64(seed: config.seed &+ 8)
        let documents = world.pretrainingDocuments(repeats: config.pretrainingRepeats, using: &corpusRNG)
        if config.pretrainingSteps > 0 {
            var c = PretrainingConfig()
            c.steps = config.pretrainingSteps
            c.batchSize = config.pretrainingBatchSize
            c.blockLength = min(64, config.contextLength)
            c.contextLength = config.contextLength
            c.learningRate = config.pretrainingLearningRate
            c.warmupSteps = min(50, config.pretrainingSteps)
            c.validationFraction = 0
            c.sampleInterval = 0
            c.sampleLength = 16
            c.seed = config.seed &+ 9
            say("introspector pretraining: \(config.pretrainingSteps) steps on \(documents.count) documents (every fact stated \(config.pretrainingRepeats) times)")
            try modelStage("introspector pretraining", model: base, file: "base") {
                try run?.removeMetrics { $0["phase"] as? String == "pretrain" }   // the stage starts over when stopped
                let pretrainer = try PretrainingTrainer(config: c, model: base, tokenizer: tokenizer, documents: documents, outputDirectory: nil)
                try pretrainer.train(progress: metricsLogger(phase: "pretrain", every: 250, keys: ["loss/train"]))
                try clock.stopUnlessComplete("introspector pretraining", done: pretrainer.step, of: c.steps)
            }
        }
        let baseRecall = try recall(of: base, world: world, tokenizer: tokenizer)
        try run?.removeMetrics { $0["base/recall_test"] != nil }
        try run?.appendMetrics(step: config.pretrainingSteps, phase: "pretrain", [
            "base/recall_training": baseRecall["training entities"]!, "base/recall_test": baseRecall["test entities"]!,
            "base/recall_unasked": baseRecall["unasked relation"]!])
        say(String(format: "base model recalls %.2f of the training entities' facts, %.2f of the test entities', %.2f of the unasked relation's (chance 0.20)",
                   baseRecall["training entities"]!, baseRecall["test entities"]!, baseRecall["unasked relation"]!))
        let introspector = try KnowledgeIntrospector(model: base, tokenizer: tokenizer)
        let rainierConfig = config.rainier
        let trainer = try RainierTrainer(config: rainierConfig, introspector: introspector, questionAnswering: qa, questions: training)
        if config.imitationPtxCoefficient > 0 || config.ppoPtxCoefficient > 0 {
            let eos = tokenizer.id(forSpecialToken: "<|endoftext|>")!
            let blocks = try documents.map { Array(([eos] + (try tokenizer.encode($0))).prefix(config.contextLength)) }
            trainer.pretraining = try PretrainingBlocks(blocks: blocks, padToken: pad)
        }
        say("stage I: \(config.imitationSteps) imitation steps on \(training.count * config.silverPerQuestion) (question, silver statement) pairs")
        try modelStage("stage I", model: introspector.model, file: "stage1") {
            try run?.removeMetrics { $0["phase"] as? String == "stage1" }   // stage I starts over when stopped
            try trainer.imitate(silver: silver, progress: metricsLogger(phase: "stage1", every: 50))
        }
        let stageI = try KnowledgeIntrospector(model: introspector.model.frozenCopy(), tokenizer: tokenizer)
        try clock.stopIfRequested(during: "reward calibration")
        try run?.removeMetrics { $0["phase"] as? String == "calibration" }
        let normalizer = try trainer.calibrateReward()
        let raw = trainer.calibrationRewards
        let rawMean = raw.reduce(0, +) / Double(raw.count)
        say(String(format: "reward calibration on %d stage-I samples: raw mean %.3f → gain %.3f, bias %.3f", raw.count, rawMean, normalizer.gain, normalizer.bias))
        try run?.appendMetrics(step: 0, phase: "calibration", ["reward/gain": normalizer.gain, "reward/bias": normalizer.bias, "reward/raw_mean": rawMean])

        // Stage II: PPO.
        say("stage II: \(config.ppoIterations) PPO iterations of \(config.ppoBatchSize) questions, β = \(config.klCoefficient)")
        try modelStage("stage II", model: introspector.model, file: "stage2") {
            let ppo = try trainer.stageII()
            if let run, let directory = checkpoints("stage2") {
                try clock.continueTrainer(run: run, phase: "stage2", checkpoints: directory) { try ppo.loadCheckpoint(from: $0); return ppo.iteration }
            }
            try ppo.train(prompts: trainer.stageIIPrompts, checkpointDirectory: checkpoints("stage2"), checkpointEvery: 10, keepCheckpoints: 1,
                          progress: metricsLogger(phase: "stage2", every: 5, keys: ["objective/raw_score", "objective/reward", "objective/kl"]))
            try clock.stopUnlessComplete("stage II", done: ppo.iteration, of: rainierConfig.ppo.iterations)
        }
        try clock.stopIfRequested(during: "evaluation")
        try run?.removeSamples { _ in true }   // the evaluation writes every sample; an interrupted one starts over

        // Evaluation.
        let m = config.knowledgeSamples
        say("evaluation: \(test.count) test questions, M = \(m) statements each, \(rainierConfig.aggregation.rawValue) aggregation")
        var sampleRNG = SeededGenerator(seed: config.seed &+ 6)
        var silverTestRNG = SplitMix64(seed: config.seed &+ 7)
        var knowledge: [String: [[String]]] = [:]
        knowledge["QA alone"] = test.map { _ in [] }
        knowledge["QA + silver"] = test.map { world.silverKnowledge(for: $0, count: m, using: &silverTestRNG) }
        knowledge["QA + stage I"] = try stageI.sample(test, count: m, options: trainer.inferenceOptions, using: &sampleRNG)
        knowledge["QA + Rainier"] = try trainer.introspector.sample(test, count: m, options: trainer.inferenceOptions, using: &sampleRNG)
        var correct: [String: [Double]] = [:]
        var trueAndRelevant: [String: [String: Double]] = [:]
        for method in rainierMethods {
            let answers = try answerWithKnowledge(test, knowledge: knowledge[method]!, questionAnswering: qa, aggregation: rainierConfig.aggregation)
            correct[method] = zip(answers, test).map { $0.prediction == $1.answer ? 1 : 0 }
            var counts: [String: (good: Int, all: Int)] = [:]
            for (i, q) in test.enumerated() {
                let group = world.family(q.family)!.isSeen ? "seen" : "unseen"
                for (j, k) in knowledge[method]![i].enumerated() {
                    let judged = world.judge(k, for: q)
                    counts[group, default: (0, 0)].all += 1
                    if judged.isTrue && judged.isRelevant { counts[group, default: (0, 0)].good += 1 }
                    try run?.appendSample(method: method, prompt: KnowledgeIntrospector.prompt(for: q), completion: k, scores: [
                        "true": judged.isTrue ? 1 : 0, "relevant": judged.isRelevant ? 1 : 0, "seen": group == "seen" ? 1 : 0,
                        "answer_correct": correct[method]![i], "selected": answers[i].mostConfidentVector == j + 1 ? 1 : 0,
                    ])
                }
            }
            trueAndRelevant[method] = counts.mapValues { Double($0.good) / Double(max($0.all, 1)) }
        }
        var result = try tabulate(world: world, test: test, correct: correct, trueAndRelevant: trueAndRelevant)
        result.baseRecall = baseRecall
        // The same statements under every aggregation (QA scores are cached, so this is cheap).
        var aggregationTable = ResultTable(columns: ["method", "aggregation", "seen average", "unseen average"])
        for method in ["QA + stage I", "QA + Rainier"] {
            for aggregation in KnowledgeAggregation.allCases {
                let answers = try answerWithKnowledge(test, knowledge: knowledge[method]!, questionAnswering: qa, aggregation: aggregation)
                let hits = zip(answers, test).map { $0.prediction == $1.answer ? 1.0 : 0 }
                func average(_ seen: Bool) -> Double {
                    let families = world.families.filter { $0.isSeen == seen }.map(\.name)
                    let perFamily = families.map { f -> Double in
                        let items = test.indices.filter { test[$0].family == f }
                        return items.reduce(0) { $0 + hits[$1] } / Double(max(items.count, 1))
                    }
                    return perFamily.reduce(0, +) / Double(max(perFamily.count, 1))
                }
                try aggregationTable.addRow([.text(method), .text(aggregation.rawValue), .number(average(true), decimals: 2), .number(average(false), decimals: 2)])
            }
        }
        result.aggregationTable = aggregationTable.markdown()
        try writeReport(result, world: world, normalizer: normalizer)
        say("done")
        return result
    }

    /// Checks, before any training, that every sequence the run will build fits the context: the introspector's
    /// prompt with a statement of `maximumKnowledgeTokens`, and the QA model's input with such a statement and each
    /// choice. The count is an upper bound (the parts are tokenised apart), so a run that passes never fails later
    /// with a sequence too long; a smaller vocabulary makes words longer in tokens.
    ///
    /// - Throws: `ConfigurationError` naming the longest question, the tokens it needs and the fixes.
    func checkContext(questions: [MultipleChoiceQuestion], tokenizer: any Tokenizer) throws {
        let statement = config.maximumKnowledgeTokens
        var longest = (tokens: 0, question: "")
        for question in questions {
            let prompt = try tokenizer.encode(KnowledgeIntrospector.prompt(for: question)).count + statement
            let stem = try tokenizer.encode(question.text + " \\n ").count + statement
            let answers = try question.choices.map { try tokenizer.encode("\nanswer:" + QuestionAnsweringFormat.completion($0)).count }
            let needed = max(prompt, stem + (answers.max() ?? 0))
            if needed > longest.tokens { longest = (needed, question.text) }
        }
        guard longest.tokens <= config.contextLength else {
            throw ConfigurationError.invalidValue(field: "contextLength", value: "\(config.contextLength)",
                                                  requirement: "the question \"\(longest.question)\" with a knowledge statement of maximumKnowledgeTokens "
                                + "(\(statement)) and its longest choice needs up to \(longest.tokens) tokens with this vocabulary "
                                + "(vocabularySize \(config.vocabularySize)); raise contextLength to \(longest.tokens), or vocabularySize "
                                + "(fewer tokens per word), or lower maximumKnowledgeTokens")
        }
    }

    /// A progress callback that appends every event's metrics under `phase` and logs every `every` steps.
    func metricsLogger(phase: String, every: Int, keys: [String]? = nil) -> TrainingProgress {
        { [weak self] event in
            guard let self else { return .continue }
            let step: Int, metrics: [String: Double]
            switch event {
            case .step(let s, _, let m): step = s; metrics = m
            case .evaluation(let s, let m): step = s; metrics = m
            default: return self.clock.shouldStop() ? .stop : .continue
            }
            try? self.run?.appendMetrics(step: step, phase: phase, metrics)
            if step % every == 0 {
                let shown = (keys ?? metrics.keys.sorted().filter { $0.hasSuffix("loss") }).compactMap { k in metrics[k].map { "\(k) " + String(format: "%.3f", $0) } }
                self.say("\(phase) step \(step): " + shown.joined(separator: ", "))
            }
            return self.clock.shouldStop() ? .stop : .continue
        }
    }

    /// Logs the QA model's test accuracy alone (known and unknown facts) and with the true statement.
    func reportReading(world: CommonsenseWorld, test: [MultipleChoiceQuestion], qa: GPTQuestionAnswering) throws {
        let alone = try qa.choiceScores(test, knowledge: test.map { _ in nil })
        let told = try qa.choiceScores(test, knowledge: test.map { Optional(world.trueStatement(for: $0)) })
        func accuracy(_ scores: [[Float]], _ keep: (MultipleChoiceQuestion) -> Bool) -> Double {
            let rows = zip(scores, test).filter { keep($0.1) }
            return Double(rows.filter { KnowledgeAggregation.argmax($0.0.map(Double.init)) == $0.1.answer }.count) / Double(max(rows.count, 1))
        }
        let metrics = [
            "qa/alone_known": accuracy(alone) { world.isKnown($0) }, "qa/alone_unknown": accuracy(alone) { !world.isKnown($0) },
            "qa/true_knowledge_seen": accuracy(told) { world.family($0.family)!.isSeen },
            "qa/true_knowledge_unseen": accuracy(told) { !world.family($0.family)!.isSeen },
        ]
        try run?.removeMetrics { $0["qa/alone_known"] != nil }   // logged again by a resumed run
        try run?.appendMetrics(step: config.qaSteps, phase: "qa", metrics)
        say(String(format: "QA model on test questions: alone %.2f on known facts, %.2f on unknown; with the true statement %.2f (seen families), %.2f (unseen)",
                   metrics["qa/alone_known"]!, metrics["qa/alone_unknown"]!, metrics["qa/true_knowledge_seen"]!, metrics["qa/true_knowledge_unseen"]!))
    }

    func tabulate(world: CommonsenseWorld, test: [MultipleChoiceQuestion], correct: [String: [Double]],
                  trueAndRelevant: [String: [String: Double]]) throws -> RainierExperimentResult {
        let items = test.enumerated().map { i, q in
            RainierItem(seed: config.seed, family: q.family, isSeen: world.family(q.family)!.isSeen, entity: q.entity,
                        correct: Dictionary(uniqueKeysWithValues: rainierMethods.map { ($0, correct[$0]![i] > 0) }))
        }
        let comparison = try RainierComparison(items: items, families: world.families.map { ($0.name, $0.isSeen) },
                                               resamples: config.bootstrapResamples, seed: config.seed)
        return RainierExperimentResult(accuracyTable: comparison.accuracyTable, differenceTable: comparison.differenceTable,
                                       claims: comparison.claims, items: items,
                                       knowledgeTable: try RainierExperiment.knowledgeTable([trueAndRelevant]), aggregationTable: "",
                                       accuracy: comparison.accuracy, trueAndRelevant: trueAndRelevant, baseRecall: [:],
                                       seconds: Date().timeIntervalSince(start))
    }

    /// How often `model` ranks each fact's true statement first among the statements of its relation's values
    /// (the sum of the value's and the full stop's log-probabilities after the statement's opening words), per
    /// group: the training entities' facts of asked relations, the test entities' facts of asked relations, and
    /// every fact of the relation no seen family asks.
    func recall(of model: GPT, world: CommonsenseWorld, tokenizer: any Tokenizer) throws -> [String: Double] {
        let asked = Set(world.families.filter(\.isSeen).map(\.relation))
        let eos = tokenizer.id(forSpecialToken: "<|endoftext|>")!, pad = tokenizer.id(forSpecialToken: "<|pad|>")!
        var prompts: [[Int32]] = [], completions: [[Int32]] = [], owners: [(group: String, truth: Bool)] = []
        for fact in world.facts {
            let relation = world.relation(fact.relation)!
            let group = !asked.contains(fact.relation) ? "unasked relation" : (world.isTestEntity(fact.entity) ? "test entities" : "training entities")
            let opening = relation.statementTemplate.components(separatedBy: "{value}")[0].replacingOccurrences(of: "{entity}", with: fact.entity)
            let prompt = [eos] + (try tokenizer.encode(opening.trimmingCharacters(in: .whitespaces)))
            for value in relation.values {
                let full = try tokenizer.encode(relation.statement(entity: fact.entity, value: value))
                let openingTokens = Array(prompt.dropFirst())
                // The completion is what follows the opening in the statement's own tokenisation.
                let completion = full.starts(with: openingTokens) ? Array(full.dropFirst(openingTokens.count))
                    : (try tokenizer.encode(" " + value + "."))
                prompts.append(prompt)
                completions.append(completion)
                owners.append((group, value == fact.value))
            }
        }
        let scores = try sequenceLogProbabilityValues(model, prompts: prompts, completions: completions, padToken: pad)
        var hits: [String: (Double, Double)] = [:]
        var start = 0
        for fact in world.facts {
            let n = world.relation(fact.relation)!.values.count
            let best = (start..<(start + n)).max { scores[$0] < scores[$1] }!
            let group = owners[start].group
            hits[group, default: (0, 0)].0 += owners[best].truth ? 1 : 0
            hits[group, default: (0, 0)].1 += 1
            start += n
        }
        return ["training entities", "test entities", "unasked relation"].reduce(into: [:]) { out, g in
            out[g] = hits[g].map { $0.0 / max($0.1, 1) } ?? .nan
        }
    }

    /// The knowledge-quality table: the fraction of true and relevant statements per source and group, averaged
    /// over the given runs.
    static func knowledgeTable(_ runs: [[String: [String: Double]]]) throws -> String {
        var table = ResultTable(columns: ["knowledge source", "true & relevant (seen)", "true & relevant (unseen)"])
        func mean(_ method: String, _ group: String) -> Double {
            let values = runs.compactMap { $0[method]?[group] }
            return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        }
        for method in rainierMethods.dropFirst() {
            try table.addRow([.text(method.replacingOccurrences(of: "QA + ", with: "")),
                              .number(mean(method, "seen"), decimals: 3), .number(mean(method, "unseen"), decimals: 3)])
        }
        return table.markdown()
    }

    func writeReport(_ result: RainierExperimentResult, world: CommonsenseWorld, normalizer: RewardNormalizer) throws {
        guard let run else { return }
        let records = try run.readMetrics()
        func series(_ key: String, _ name: String) -> PlotSeries {
            PlotSeries(name: name, points: records.compactMap { r in
                guard r["phase"] as? String == "stage2", let step = r["step"] as? Int, let value = r[key] as? Double else { return nil }
                return (Double(step), value)
            })
        }
        try run.writeAtomically(Data(svgLineChart(title: "Rainier stage II", xLabel: "PPO iteration", yLabel: "reward",
                                                  series: [series("objective/raw_score", "normalised knowledge reward"),
                                                           series("objective/kl", "KL to stage I (nats)")]).utf8), to: "reward.svg")
        let report = """
        # Rainier on the commonsense world

        Seed \(config.seed); \(world.facts.count) facts; \(world.testEntities.count) of \(world.entities.count) entities held out: \
        test questions ask only about them, and no training question, silver statement or reading lesson names them. \
        The introspector's base model read every fact in its pretraining corpus (\(config.pretrainingSteps) steps); it \
        ranks the true value first for \(percent(result.baseRecall["training entities"])) of the training entities' facts, \
        \(percent(result.baseRecall["test entities"])) of the test entities' and \(percent(result.baseRecall["unasked relation"])) \
        of the unasked relation's (colour; chance 20 %). The QA model knows \(world.knownFacts.count) facts without knowledge. \
        \(config.testVariants) test questions per fact and family; M = \(config.knowledgeSamples) statements per question, \
        \(config.aggregation.rawValue) aggregation. Reward: shape 4, gain \(String(format: "%.3f", normalizer.gain)), bias \
        \(String(format: "%.3f", normalizer.bias)) (mean 0, std 1 on stage-I samples); PPO β = \(config.klCoefficient) fixed, \
        \(config.ppoIterations) iterations of \(config.ppoBatchSize) questions.

        ## Accuracy (95 % bootstrap intervals over test entities; averages are unweighted over families)

        \(result.accuracyTable)
        ## Paired differences (same questions, same entity resamples)

        \(result.differenceTable)
        ## Paper shape (Rainier, arXiv 2210.03078)

        \(result.claims.map { "- " + $0.line }.joined(separator: "\n"))

        ## Knowledge statements that are true and relevant (all M statements per test question)

        \(result.knowledgeTable)
        ## Aggregations (same statements; unweighted family averages)

        \(result.aggregationTable)
        Wall-clock time: \(String(format: "%.0f", result.seconds)) s. Every statement used is in samples.jsonl; training curves
        in metrics.jsonl and reward.svg.
        """
        try run.writeAtomically(Data(report.utf8), to: "report.md")
    }
}
