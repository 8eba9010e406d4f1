// rlft-bench --only distributed: data-parallel SFT and reward-model training steps at 2 ranks × 1 thread against
// 1 rank × 2 threads, at the small and gpt2-mini configurations, with the bytes each rank all-reduces per step.
// Started as one process it measures 1 × 2 itself, then starts itself under `mpirun --oversubscribe -np 2` for
// 2 × 1 (the build needs the MPI trait); started by mpirun it measures the job it is in.
import Distributed
import Foundation
import LanguageModels
import RewardModeling
import SFT
import TensorCore

enum DistributedBenchmark {
    static let configurations = ["small", "gpt2-mini"]

    static func run(_ options: BenchOptions) throws {
        let communicator = try Communicators.world()
        if Communicators.launchedSize() != nil {
            try measure(options, communicator: communicator)
            return
        }
        Compute.threadCount = 2
        try measure(options, communicator: communicator)
        guard Communicators.mpiAvailable else {
            emit(["benchmark": "distributed", "skipped": "built without the MPI trait; build with swift build -c release --traits MPI --product rlft-bench for the 2-rank figures"])
            return
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let mpirun = path.split(separator: ":").map({ "\($0)/mpirun" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            emit(["benchmark": "distributed", "skipped": "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev)"])
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        var arguments = ["--oversubscribe", "-np", "2", "--bind-to", "none", CommandLine.arguments[0], "--only", "distributed",
                         "--threads", "1", "--repeats", "\(options.repeats)"]
        if let config = options.config { arguments += ["--config", config] }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = environment["OMPI_ALLOW_RUN_AS_ROOT"] ?? "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] ?? "1"
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw BenchError.usage("mpirun -np 2 rlft-bench --only distributed exited with status \(process.terminationStatus)")
        }
    }

    /// The median time of the bucketed gradient all-reduce of `parameters` (0 in one process).
    static func allReduceSeconds(_ parameters: [Variable], _ communicator: any Communicator, repeats: Int) throws -> Double {
        guard communicator.size > 1 else { return 0 }
        try communicator.barrier()
        return try medianSeconds(warmup: 1, repeats: repeats) { try communicator.allReduceGradients(parameters, weight: 1) }
    }

    /// A global batch of `batch` rows of `context` tokens: for SFT, a 16-token prompt and the rest completion; for
    /// the reward model, a 16-token prompt and two completions of the rest.
    static func measure(_ options: BenchOptions, communicator: any Communicator) throws {
        if communicator.size > 1 { Compute.threadCount = options.threads }
        for c in ModelBenchmarks.configurations where configurations.contains(c.name) && (options.config == nil || options.config == c.name) {
            var rng = SeededGenerator(seed: 11)
            func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(rng.next() % UInt64(c.vocabulary)) } }
            let repeats = ModelBenchmarks.repeats(options, c)
            let layout: [String: Any] = ["config": c.name, "ranks": communicator.size, "threads_per_rank": Compute.threadCount,
                                         "global_batch": c.batch, "context": c.context]

            // SFT: forward and backward of each shard, the gradient all-reduce, clipping and AdamW.
            var sftConfig = SFTConfig()
            sftConfig.batchSize = c.batch
            sftConfig.steps = 1_000_000
            sftConfig.warmupSteps = 0
            sftConfig.validationFraction = 0
            let examples = (0..<(2 * c.batch)).map { _ in SFTExample(promptTokens: tokens(16), completionTokens: tokens(c.context - 16)) }
            var modelGenerator = SeededGenerator(seed: 7)
            let sft = try SFTTrainer(model: try GPT(config: c.gpt, using: &modelGenerator), config: sftConfig, padToken: 0,
                                     training: examples, communicator: communicator)
            try communicator.barrier()
            let sftSeconds = try medianSeconds(warmup: 1, repeats: repeats) { try sft.trainStep(sft.nextShard()) }
            let sftTokens = Double(c.batch * c.context)
            // The all-reduce alone (of the last step's gradients, summed again): the communication part of a step.
            let sftAllReduce = try allReduceSeconds(sft.model.parameters(), communicator, repeats: repeats)
            if communicator.isRoot {
                emit(layout.merging(["benchmark": "distributed-sft", "tokens_per_second": sftTokens / sftSeconds,
                                     "ms_per_step": sftSeconds * 1000, "allreduce_ms": sftAllReduce * 1000,
                                     "allreduce_bytes_per_step": sft.lastAllReducedBytes,
                                     "parameters": sft.model.parameterCount]) { $1 })
            }

            // Reward model: both completions of each prompt scored, the Bradley–Terry loss, all-reduce, AdamW.
            var rewardConfig = RewardModelConfig()
            rewardConfig.batchSize = c.batch
            rewardConfig.steps = 1_000_000
            rewardConfig.warmupSteps = 0
            let half = (c.context - 16) / 2
            let groups = (0..<(2 * c.batch)).map { _ in ComparisonGroup(promptTokens: tokens(16), completionTokens: [tokens(half), tokens(half)]) }
            let trunk = try GPT(config: c.gpt, using: &modelGenerator)
            let reward = try RewardModelTrainer(model: RewardModel(trunk: trunk, using: &modelGenerator), config: rewardConfig,
                                                padToken: 0, training: groups, communicator: communicator)
            try communicator.barrier()
            let rewardSeconds = try medianSeconds(warmup: 1, repeats: repeats) { try reward.trainStep(reward.nextShard()) }
            let rewardTokens = Double(c.batch * 2 * (16 + half))
            let rewardAllReduce = try allReduceSeconds(reward.model.parameters(), communicator, repeats: repeats)
            if communicator.isRoot {
                emit(layout.merging(["benchmark": "distributed-reward", "tokens_per_second": rewardTokens / rewardSeconds,
                                     "ms_per_step": rewardSeconds * 1000, "allreduce_ms": rewardAllReduce * 1000,
                                     "allreduce_bytes_per_step": reward.lastAllReducedBytes,
                                     "parameters": reward.model.parameterCount]) { $1 })
            }
        }
    }
}
