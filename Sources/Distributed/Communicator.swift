// Communicator: the ranks of a data-parallel job and the collectives its trainers need (all-reduce, broadcast,
// barrier), over MPI with the `MPI` package trait (MPICommunicator.swift) or within one process.
import Foundation

/// A collective operation failed, or the job cannot start as launched.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// An MPI call returned an error (the peer died, the network failed).
    case mpi(call: String, code: Int32, message: String)
    /// The process was started by `mpirun`, but this build has no MPI support.
    case notBuiltWithMPI(processes: Int)
    /// Ranks passed buffers of different lengths, or an argument is out of range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .mpi(let call, let code, let message):
            return "\(call) failed with MPI error \(code) (\(message)); another rank probably stopped, see its output. The last checkpoint written stays valid: resume the run with --resume at any rank count"
        case .notBuiltWithMPI(let processes):
            return "mpirun started \(processes) processes, but this build has no MPI support, so each would train alone; rebuild with the MPI trait (swift build -c release --traits MPI, Debian: apt-get install libopenmpi-dev openmpi-bin) or run without mpirun"
        case .invalidArgument(let message):
            return message
        }
    }
}

/// The processes (ranks) of a job and the collective operations between them.
///
/// Every rank must call the same collectives in the same order with buffers of the same length; a collective
/// returns on a rank only once every rank has entered it. ``SingleProcessCommunicator`` is the job of one process;
/// with the package's `MPI` trait, `MPICommunicator` runs over MPI (see the Distributed article).
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< `size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces each element of `buffer` by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError)
    /// Replaces each element of `buffer` by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError)
    /// Replaces each element of `buffer` by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws(DistributedError)
    /// Copies `root`'s bytes into `buffer` on every other rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError)
    /// Returns once every rank has called it.
    func barrier() throws(DistributedError)
    /// Ends the whole job at once (every rank), with `code` as the exit status; for an error on one rank that the
    /// others, waiting in a collective, would never learn of.
    func abort(code: Int32) -> Never
}

/// The job of one process: rank 0 of 1, where every collective returns its input.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws(DistributedError) {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {}
    public func barrier() throws(DistributedError) {}
    public func abort(code: Int32) -> Never { exit(code) }
}

extension Communicator {
    /// Whether this is rank 0, the one rank that writes checkpoints, metrics and reports.
    public var isRoot: Bool { rank == 0 }

    /// The sums over all ranks of `values`.
    public func allReduceSum(_ values: [Double]) throws(DistributedError) -> [Double] {
        var copy = values
        if size > 1 { try copy.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try allReduceSum(b) } }
        return copy
    }

    /// The sums over all ranks of `values`.
    public func allReduceSum(_ values: [Float]) throws(DistributedError) -> [Float] {
        var copy = values
        if size > 1 { try copy.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try allReduceSum(b) } }
        return copy
    }

    /// The sums over all ranks of `values`.
    public func allReduceSum(_ values: [Int]) throws(DistributedError) -> [Int] {
        var copy = values.map { Int64($0) }
        if size > 1 { try copy.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try allReduceSum(b) } }
        return copy.map { Int($0) }
    }

    /// Whether `flag` is true on any rank (every rank gets the same answer): how ranks agree to stop together.
    public func any(_ flag: Bool) throws(DistributedError) -> Bool {
        size == 1 ? flag : try allReduceSum([flag ? 1 : 0])[0] > 0
    }

    /// `root`'s `values` on every rank (the arrays must have the same length on every rank).
    public func broadcast(_ values: inout [Float], root: Int = 0) throws(DistributedError) {
        guard size > 1 else { return }
        try values.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try broadcast(UnsafeMutableRawBufferPointer(b), root: root) }
    }

    /// `root`'s `values` on every rank (the arrays must have the same length on every rank).
    public func broadcast(_ values: inout [Double], root: Int = 0) throws(DistributedError) {
        guard size > 1 else { return }
        try values.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try broadcast(UnsafeMutableRawBufferPointer(b), root: root) }
    }

    /// `root`'s bytes on every rank, whatever their length elsewhere (the length is broadcast first).
    public func broadcast(_ data: Data, root: Int = 0) throws(DistributedError) -> Data {
        guard size > 1 else { return data }
        var length = [Double(data.count)]
        try broadcast(&length, root: root)
        var bytes = rank == root ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length[0]))
        try bytes.withUnsafeMutableBufferPointer { (b) throws(DistributedError) in try broadcast(UnsafeMutableRawBufferPointer(b), root: root) }
        return Data(bytes)
    }

    /// This rank's contiguous part of `count` items: rank r takes `r·count/size ..< (r+1)·count/size`, so shard
    /// sizes differ by at most one and the shards, in rank order, are the items in order.
    public func shard(of count: Int) -> Range<Int> {
        Communicators.shard(of: count, rank: rank, size: size)
    }
}

/// Finding the job a process belongs to.
public enum Communicators {
    /// Rank `rank`'s part of `count` items split over `size` ranks (see ``Communicator/shard(of:)``).
    public static func shard(of count: Int, rank: Int, size: Int) -> Range<Int> {
        (rank * count / size)..<((rank + 1) * count / size)
    }

    /// The number of processes the MPI launcher started, from its environment (Open MPI's
    /// `OMPI_COMM_WORLD_SIZE`, or the PMI/PMIx variables of MPICH, Slurm and others), or nil when the process
    /// was not started by an MPI launcher.
    public static func launchedSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"] {
            if let value = environment[key], let n = Int(value) { return n }
        }
        return nil
    }

    /// The number of ranks on this machine according to the MPI launcher (`OMPI_COMM_WORLD_LOCAL_SIZE`, or
    /// `MPI_LOCALNRANKS`), or nil.
    public static func localSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"] {
            if let value = environment[key], let n = Int(value), n > 0 { return n }
        }
        return nil
    }

    /// Kernel threads per rank when `--threads` is not given: this machine's processors shared by its ranks
    /// (at least 1), so that N ranks on one machine do not each start a thread per core.
    public static func threadsPerRank(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / (localSize(environment: environment) ?? 1))
    }

    /// Whether this build can run over MPI (the package's `MPI` trait).
    public static var mpiAvailable: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The job of this process: over MPI when an MPI launcher started it and the build has the `MPI` trait,
    /// otherwise one process.
    ///
    /// - Throws: `DistributedError.notBuiltWithMPI` when `mpirun` started several processes of a build without
    ///   MPI (each would train alone and they would overwrite each other's files); an MPI error from `MPI_Init`.
    public static func world(environment: [String: String] = ProcessInfo.processInfo.environment) throws(DistributedError) -> any Communicator {
        guard let launched = launchedSize(environment: environment) else { return SingleProcessCommunicator() }
        #if MPI
        return try MPICommunicator.world()
        #else
        if launched > 1 { throw DistributedError.notBuiltWithMPI(processes: launched) }
        return SingleProcessCommunicator()
        #endif
    }
}
