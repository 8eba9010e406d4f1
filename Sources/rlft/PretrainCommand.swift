// `rlft pretrain --out DIR [--data FILE] [--key value ...]`: trains a GPT on text, with progress, a run directory
// and exact resume (`--resume DIR`); Ctrl-C finishes the step, writes a checkpoint and exits.
import Foundation
import Pretraining
import Runs
import Tasks
import TrainingCore

extension PretrainingConfig: DocumentedConfiguration {
    /// The clip shares its name with every other trainer (`maximumGradientNorm`); the former one still works.
    public static let renamedFields = ["gradientClipNorm": "maximumGradientNorm"]
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("data", "training text: a UTF-8 file (one document) or .jsonl with a \"text\" field; empty = the built-in instruction task's pretraining corpus"),
        ("tokenizer", "\"byte\" (256 bytes + <|endoftext|>, <|pad|>), \"bpe:N\" (train an N-token BPE on the data), or a tokenizer directory"),
        ("layerCount", "transformer blocks"),
        ("headCount", "attention heads (must divide embeddingSize)"),
        ("embeddingSize", "residual width"),
        ("contextLength", "positions the model attends over"),
        ("dropout", "dropout probability in training"),
        ("steps", "optimizer updates"),
        ("batchSize", "blocks per update"),
        ("blockLength", "tokens per block (≤ contextLength)"),
        ("learningRate", "peak learning rate (after warm-up)"),
        ("warmupSteps", "linear warm-up updates"),
        ("minimumLearningRateRatio", "cosine decay ends at learningRate × this"),
        ("weightDecay", "AdamW decoupled weight decay (matrices only)"),
        ("beta1", "AdamW β₁"),
        ("beta2", "AdamW β₂"),
        ("maximumGradientNorm", "global gradient-norm clip (0 = off)"),
        ("validationFraction", "share of the token stream's tail held out for validation (0 = none)"),
        ("validationInterval", "updates between validation losses (0 = only at the end)"),
        ("validationBlocks", "most blocks per validation"),
        ("sampleInterval", "updates between samples written to samples.jsonl (0 = none)"),
        ("sampleLength", "new tokens per sample"),
        ("checkpointInterval", "updates between checkpoints (0 = only the final one)"),
        ("keepCheckpoints", "checkpoints kept on disk"),
        ("seed", "seed of the weights, batches, dropout and samples"),
        ("threads", "kernel threads (0 = all processors); resume with the same count for identical results"),
    ]
}

/// Set by the SIGINT handler; the progress callback then asks the trainer to stop after the current step.

enum PretrainCommand: Command {
    static let name = "pretrain"
    static let summary = "train a GPT language model on a text or JSONL file"
    static var help: String {
        PretrainingConfig.helpText(
            command: "pretrain", summary: "trains a GPT language model on text (nanoGPT-style) and writes a run directory",
            extraOptions: [
                ("out DIR", "run directory: config.json, metrics.jsonl, samples.jsonl, loss.svg, report.md, checkpoints/, and the final model/ (required unless --resume)"),
                ("resume DIR", "continue the run in DIR from its newest checkpoint, with its saved configuration; finishes bit-identical to an uninterrupted run"),
                ("quiet", "no progress output"),
                ("example-seeding BOOL", "draw each row's dropout masks from a generator seeded by (seed, step, row), so that the run equals one under mpirun -np N (on by itself under mpirun; matters only with dropout)"),
            ]) + "\n\nCtrl-C finishes the current step, writes a checkpoint and exits; --resume continues from it."
            + DataParallel.helpNote
    }

    static func run(_ arguments: CommandLineArguments) throws {
        let trainer: PretrainingTrainer
        let out: URL
        if let resume = arguments.options["resume"] {
            out = URL(fileURLWithPath: resume)
            let extra = arguments.order.filter { !["resume", "quiet"].contains($0) }
            guard extra.isEmpty else {
                throw UsageError("--resume continues a run with its saved configuration; drop \(extra.map { "--\($0)" }.joined(separator: ", "))")
            }
            let saved = try PretrainingConfig.load(arguments: CommandLineArguments(["pretrain", "--config", out.appendingPathComponent("config.json").path]))
            trainer = try PretrainingTrainer.resume(from: out, documents: try documents(saved), communicator: DataParallel.communicator)
        } else {
            out = URL(fileURLWithPath: try arguments.required("out", "the run directory to write, e.g. --out runs/lm"))
            let config = try PretrainingConfig.load(arguments: arguments, reserved: ["out", "quiet", "example-seeding"])
            trainer = try PretrainingTrainer(config: config, documents: try documents(config), outputDirectory: out,
                                             communicator: DataParallel.communicator)
            trainer.exampleSeeding = try DataParallel.exampleSeeding(arguments)
        }
        let quiet = arguments.options["quiet"] == "true" || !DataParallel.communicator.isRoot
        let printer = ProgressPrinter(keys: ["loss/train", "loss/validation", "lr", "tokens_per_second"])
        if !quiet {
            printer.line("pretrain: \(trainer.model.parameterCount) parameters, vocabulary \(trainer.tokenizer.vocabularySize), "
                         + "\(trainer.data.trainingCount) training and \(trainer.data.validationCount) validation tokens → \(out.path)")
        }
        Interrupt.install()
        var latest: [String: Double] = [:]
        try trainer.train { event in
            switch event {
            case .step(let step, let total, let metrics):
                latest.merge(metrics) { _, new in new }
                if !quiet { printer.step("step", step: step, total: total, metrics: latest) }
            case .evaluation(_, let metrics):
                latest.merge(metrics) { _, new in new }
            case .checkpoint(_, let path):
                if !quiet && Interrupt.requested { printer.line("interrupted: checkpoint written to \(path); continue with rlft pretrain --resume \(out.path)") }
            case .warning(let text):
                if !quiet { printer.line("warning: \(text)") }
            }
            return Interrupt.requested ? .stop : .continue
        }
        guard DataParallel.communicator.isRoot else { return }  // rank 0 writes the run directory
        try writeLossPlot(RunDirectory(out))
        try writeReport(RunDirectory(out), trainer: trainer)
        if !quiet && !Interrupt.requested { printer.line("done: model written to \(out.appendingPathComponent("model").path)") }
    }

    /// The documents the configuration names, or the built-in task's pretraining corpus.
    static func documents(_ config: PretrainingConfig) throws -> [String] {
        if config.data.isEmpty { return try InstructionTask().pretrainingCorpus().map(\.text) }
        return try PretrainingText.documents(at: URL(fileURLWithPath: config.data))
    }

    /// loss.svg: training and validation loss against the step.
    static func writeLossPlot(_ run: RunDirectory) throws {
        var train: [(x: Double, y: Double)] = [], validation: [(x: Double, y: Double)] = []
        for record in try run.readMetrics() {
            guard let step = record["step"] as? Int else { continue }
            if let v = record["loss/train"] as? Double { train.append((Double(step), v)) }
            if let v = record["loss/validation"] as? Double { validation.append((Double(step), v)) }
        }
        let svg = svgLineChart(title: "Pretraining loss", xLabel: "step", yLabel: "cross-entropy (nats/token)",
                               series: [PlotSeries(name: "loss/train", points: train), PlotSeries(name: "loss/validation", points: validation)])
        try run.writeAtomically(Data(svg.utf8), to: "loss.svg")
    }

    /// report.md: the run's shape, its last losses, the newest sample and the plot.
    static func writeReport(_ run: RunDirectory, trainer: PretrainingTrainer) throws {
        let metrics = try run.readMetrics()
        func last(_ key: String) -> String {
            guard let v = metrics.last(where: { $0[key] != nil })?[key] as? Double else { return "—" }
            return String(format: "%.4f", v)
        }
        let samples = (try? String(contentsOf: run.file("samples.jsonl"), encoding: .utf8))?.split(separator: "\n") ?? []
        let sample = samples.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["completion"] as? String
        let c = trainer.config
        var lines = [
            "# Pretraining run", "",
            "| | |", "|---|---|",
            "| model | \(c.layerCount) layers, \(c.embeddingSize) wide, \(c.headCount) heads, context \(c.contextLength), \(trainer.model.parameterCount) parameters |",
            "| tokenizer | \(c.tokenizer) (\(trainer.tokenizer.vocabularySize) ids) |",
            "| data | \(c.data.isEmpty ? "built-in instruction-task corpus" : c.data): \(trainer.data.trainingCount) training, \(trainer.data.validationCount) validation tokens |",
            "| steps | \(trainer.step) of \(c.steps), batch \(c.batchSize) × \(c.blockLength) tokens |",
            "| last loss/train | \(last("loss/train")) |",
            "| last loss/validation | \(last("loss/validation")) |",
            "| tokens/s (last step) | \(last("tokens_per_second")) |",
            "", "![loss](loss.svg)",
        ]
        if let sample { lines += ["", "## Latest sample", "", "```", sample, "```"] }
        try run.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: "report.md")
    }
}
