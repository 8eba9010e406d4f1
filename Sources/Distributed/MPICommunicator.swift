// MPICommunicator: MPI_COMM_WORLD through MPI's C API (Open MPI's ompi-c), built with the package's `MPI` trait.
#if MPI
import CMPI
import Foundation

/// The processes of `MPI_COMM_WORLD`, as `mpirun` started them.
///
/// MPI is initialised once per process (`MPI_Init_thread`, serialized calls: collectives are called from one
/// thread at a time while the kernels use threads of their own) and finalised at exit. Errors are returned
/// (`MPI_ERRORS_RETURN`) and thrown as ``DistributedError/mpi(call:code:message:)``; when a rank dies, Open MPI's
/// launcher usually ends the others first, with its own message.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let comm: MPI_Comm?

    nonisolated(unsafe) private static var shared: MPICommunicator?

    /// The world communicator, initialising MPI on the first call.
    public static func world() throws(DistributedError) -> MPICommunicator {
        if let shared { return shared }
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided), "MPI_Init_thread")
        let comm = cmpi_comm_world()
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
        let world = MPICommunicator(rank: Int(rank), size: Int(size), comm: comm)
        shared = world
        atexit {
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Finalize() }
        }
        return world
    }

    private init(rank: Int, size: Int, comm: MPI_Comm?) {
        self.rank = rank
        self.size = size
        self.comm = comm
    }

    private static func check(_ code: Int32, _ call: String) throws(DistributedError) {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        throw DistributedError.mpi(call: call, code: code, message: String(cString: text))
    }

    private func reduce(_ base: UnsafeMutableRawPointer?, _ count: Int, _ type: MPI_Datatype?) throws(DistributedError) {
        var offset = 0
        let stride = type == cmpi_float() ? 4 : 8
        while offset < count {  // MPI counts are Int32
            let n = min(count - offset, Int(Int32.max))
            try Self.check(MPI_Allreduce(cmpi_in_place(), base! + offset * stride, Int32(n), type, cmpi_sum(), comm), "MPI_Allreduce")
            offset += n
        }
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        guard buffer.count > 0 else { return }
        try reduce(UnsafeMutableRawPointer(buffer.baseAddress), buffer.count, cmpi_float())
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        guard buffer.count > 0 else { return }
        try reduce(UnsafeMutableRawPointer(buffer.baseAddress), buffer.count, cmpi_double())
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws(DistributedError) {
        guard buffer.count > 0 else { return }
        try reduce(UnsafeMutableRawPointer(buffer.baseAddress), buffer.count, cmpi_int64())
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {
        guard root >= 0 && root < size else {
            throw DistributedError.invalidArgument("broadcast root \(root) is not a rank of this job (0..<\(size))")
        }
        var offset = 0
        while offset < buffer.count {
            let n = min(buffer.count - offset, Int(Int32.max))
            try Self.check(MPI_Bcast(buffer.baseAddress! + offset, Int32(n), cmpi_byte(), Int32(root), comm), "MPI_Bcast")
            offset += n
        }
    }

    public func barrier() throws(DistributedError) {
        try Self.check(MPI_Barrier(comm), "MPI_Barrier")
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }
}
#endif
