// Data-parallel runs of rlft: the job this process belongs to (mpirun -np N rlft sft …), kernel threads per rank,
// and what ranks other than 0 do (train in step with rank 0, write nothing).
import Distributed
import Foundation
import Runs
import TensorCore
import TrainingCore

enum DataParallel {
    /// The job of this process, set by main before the command runs: one process, or the ranks mpirun started.
    nonisolated(unsafe) static var communicator: any Communicator = SingleProcessCommunicator()

    /// The commands that run data-parallel under mpirun (the others refuse more than one process).
    static let commands = ["pretrain", "sft", "reward", "dpo", "kto", "orpo", "ppo", "rloo", "grpo"]

    /// The `--threads` option of the data-parallel commands.
    static let threadsOption = ("threads N", "kernel threads per process (default: every processor; under mpirun, this machine's processors shared by its ranks)")
    /// The `--threads` key, reserved by the data-parallel commands.
    static let keys: Set<String> = ["threads"]

    /// What `rlft --help` and the commands' help say about mpirun.
    static let helpNote = "\nUnder mpirun -np N (a build with the MPI trait), N processes train data-parallel on shards of each global batch, with the same result as one process; rank 0 writes the run directory."

    /// The `--example-seeding` option of `rlft sft`.
    static let exampleSeedingOption = ("example-seeding BOOL", "draw each row's dropout masks from a generator seeded by (seed, step, row), so that the run equals one under mpirun -np N (on by itself under mpirun; matters only with dropout)")

    /// `--example-seeding true|false` (default false).
    static func exampleSeeding(_ arguments: CommandLineArguments) throws -> Bool {
        switch arguments.options["example-seeding"] {
        case nil, "false": return false
        case "true": return true
        case let other?: throw ConfigurationError.badValue(field: "example-seeding", value: other, expected: "true or false")
        }
    }

    /// Sets the kernel threads from `--threads`, when given.
    static func applyThreads(_ arguments: CommandLineArguments) throws {
        guard let text = arguments.options["threads"] else { return }
        guard let n = Int(text), n >= 1 else {
            throw ConfigurationError.badValue(field: "threads", value: text, expected: "a positive integer, such as 1")
        }
        Compute.threadCount = n
    }

    /// The run directory of a rank other than 0, which never creates, locks or checks it (rank 0 does).
    static func followerOutput(_ arguments: CommandLineArguments) throws -> URL {
        URL(fileURLWithPath: try arguments.required("out", "the run directory, e.g. --out runs/sft"))
    }

    /// The progress handler of a rank other than 0: no output, and a stop on Ctrl-C (the trainers agree on the
    /// stop across ranks).
    static var followerProgress: TrainingProgress {
        { _ in Interrupt.requested ? .stop : .continue }
    }
}
