// rlft: the command-line tool for every algorithm, task and utility of RLFineTuning.
//   rlft <command> [--config FILE.json] [--key value ...]     rlft <command> --help
import Distributed
import Foundation
import RLFineTuning
import Runs

/// Every subcommand, in `rlft --help` order.
let commands: [Command.Type] = [
    TaskCommand.self,
    PretrainCommand.self,
    GenerateCommand.self,
    PerplexityCommand.self,
    TokenizeCommand.self,
    MergeCommand.self,
    SFTCommand.self,
    RewardCommand.self,
    BestOfNCommand.self,
    PPOCommand.self,
    PipelineCommand.self,
    RLPCommand.self,
    EvalCommand.self,
    DPOCommand.self,
    KTOCommand.self,
    ORPOCommand.self,
    RLOOCommand.self,
    GRPOCommand.self,
    QuarkCommand.self,
    RainierCommand.self,
]

func topLevelHelp() -> String {
    let width = (commands.map { $0.name.count }.max() ?? 8) + 2
    let list = commands.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))\($0.summary)" }
    return (["rlft: reinforcement-learning fine-tuning of language models on the CPU.", "",
             "Usage: rlft <command> [--config FILE.json] [--key value ...]", "       rlft <command> --help", "", "Commands:"]
            + list).joined(separator: "\n")
}

/// `rlft --version`: the package, the BLAS library with its kernel family and threads, and the CPU.
func versionReport() -> String {
    let blas = BLAS.status
    let lines = [
        "rlft \(RLFineTuningPackage.version) (RLFineTuning)",
        "BLAS: \(blas.library)",
        "BLAS kernel: \(blas.howChosen)",
        "BLAS threads: \(blas.threads) in OpenBLAS; the library splits GEMMs across \(Compute.threadCount) threads (--threads)",
        "CPU: \(CPUFeatures.current.summary)",
        Communicators.mpiAvailable ? "Data parallel: MPI (mpirun -np N rlft sft|reward|dpo|kto|orpo …)"
            : "Data parallel: none (built without the MPI trait; swift build --traits MPI enables mpirun)",
    ]
    // A warning about the kernel, if any, went to standard error when the kernel was chosen.
    return lines.joined(separator: "\n")
}

if CommandLine.arguments.dropFirst().first.map({ $0 == "--version" || $0 == "version" }) == true {
    print(versionReport())
    exit(0)
}

DeprecationNotes.handler = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
// A run directory stays locked until the process exits, whatever the lifetime of the RunDirectory objects.
RunLock.holdsUntilExit = true

do {
    let arguments = try CommandLineArguments(Array(CommandLine.arguments.dropFirst()))
    guard let name = arguments.command else {
        print(topLevelHelp())
        exit(arguments.wantsHelp ? 0 : 2)
    }
    guard let command = commands.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("rlft: unknown command '\(name)'\n\n\(topLevelHelp())\n".utf8))
        exit(2)
    }
    ProgressPrinter.quiet = arguments.options["quiet"] == "true"
    if arguments.wantsHelp {
        print(command.help)
        exit(0)
    }
    // Under mpirun, this process is one rank of a data-parallel job (MPI starts here).
    let communicator = try Communicators.world()
    DataParallel.communicator = communicator
    if communicator.size > 1 {
        guard DataParallel.commands.contains(name) else {
            throw UsageError("rlft \(name) runs in one process; start it without mpirun (the commands that run data-parallel under mpirun: \(DataParallel.commands.joined(separator: ", ")))")
        }
        Compute.threadCount = Communicators.threadsPerRank()
        if !communicator.isRoot { ProgressPrinter.quiet = true }
        if let threads = arguments.options["threads"].flatMap(Int.init), threads >= 1 { Compute.threadCount = threads }
        ProgressPrinter(keys: []).line("rlft \(name): \(communicator.size) ranks (MPI), \(Compute.threadCount) kernel threads each")
    }
    try command.run(arguments)
} catch {
    let communicator = DataParallel.communicator
    let rank = communicator.size > 1 ? " (rank \(communicator.rank) of \(communicator.size))" : ""
    FileHandle.standardError.write(Data("rlft: error\(rank): \(error)\n".utf8))
    // The other ranks may be waiting in a collective for this one: end the whole job.
    if communicator.size > 1 { communicator.abort(code: 1) }
    exit(1)
}
