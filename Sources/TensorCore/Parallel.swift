// How many threads the kernels use, and the one helper that splits a loop across them.
import Dispatch
import Foundation

/// Process-wide compute settings. Set `threadCount` once, before work starts (the tools' `--threads`).
public enum Compute {
    nonisolated(unsafe) private static var _threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The number of threads kernels split work across (default: the active processor count).
    ///
    /// Results are reproducible for a fixed thread count; a different count may change the last bits of
    /// floating-point sums because the work is split differently.
    public static var threadCount: Int {
        get { _threadCount }
        set {
            _threadCount = max(1, newValue)
            BLAS.configureThreads()
        }
    }

    /// Runs `body(chunkIndex, range)` over `0..<count` split into contiguous chunks, in parallel when the
    /// work (count × `costPerItem` in rough flops) is large enough to pay for the threads.
    ///
    /// The split depends only on `count` and `threadCount`, so results are deterministic.
    @inlinable
    public static func parallelFor(
        _ count: Int, costPerItem: Int = 1, minimumWork: Int = 32_768,
        _ body: (Range<Int>) -> Void
    ) {
        let threads = threadCount
        if threads <= 1 || count < 2 || count * costPerItem < minimumWork {
            body(0..<count)
            return
        }
        let chunks = min(threads, count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }
}
