// The heap buffer behind a Tensor: 64-byte aligned Float32 storage, freed on deinit.
import Foundation

/// Owns an aligned, contiguous buffer of `Float`s. Tensors share one until they are mutated.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int

    /// Allocates `count` floats, uninitialised. Use `zeroed` for a zero buffer.
    @usableFromInline
    init(uninitializedCount count: Int) {
        self.count = count
        var raw: UnsafeMutableRawPointer? = nil
        // 64-byte alignment lets BLAS and the auto-vectoriser use full-width aligned loads.
        let status = posix_memalign(&raw, 64, Swift.max(count, 1) * MemoryLayout<Float>.stride)
        precondition(status == 0 && raw != nil, "out of memory allocating \(count) floats")
        pointer = raw!.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
    }

    @usableFromInline
    convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: 0, count: count)
    }

    @usableFromInline
    func copy() -> TensorStorage {
        let other = TensorStorage(uninitializedCount: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    deinit { free(pointer) }
}
