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
        if let reused = BufferPool.shared.take(count: count) {
            pointer = reused
            return
        }
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

    deinit {
        if !BufferPool.shared.give(pointer, count: count) { free(pointer) }
    }
}

/// Keeps recently freed large buffers for reuse.
///
/// Training allocates the same large activations every step. Without reuse, each one is a fresh `mmap`
/// whose pages fault in one by one, which costs more than the arithmetic of the bandwidth-bound kernels.
/// Buffers are matched by exact size; the pool holds at most `capacityBytes` and forgets the oldest.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Buffers smaller than this come straight from malloc, which already recycles them cheaply.
    let minimumCount = 64 * 1024
    let capacityBytes = 512 * 1024 * 1024
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var order: [(Int, UnsafeMutablePointer<Float>)] = []
    private var heldBytes = 0
    private let lock = NSLock()

    func take(count: Int) -> UnsafeMutablePointer<Float>? {
        guard count >= minimumCount else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let pointer = free[count]?.popLast() else { return nil }
        heldBytes -= count * 4
        if let i = order.lastIndex(where: { $0.1 == pointer }) { order.remove(at: i) }
        return pointer
    }

    /// Returns false when the buffer was not kept (the caller frees it).
    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        guard count >= minimumCount, count * 4 <= capacityBytes / 4 else { return false }
        lock.lock()
        defer { lock.unlock() }
        free[count, default: []].append(pointer)
        order.append((count, pointer))
        heldBytes += count * 4
        while heldBytes > capacityBytes, !order.isEmpty {
            let (oldCount, oldPointer) = order.removeFirst()
            if let i = free[oldCount]?.firstIndex(of: oldPointer) { free[oldCount]!.remove(at: i) }
            heldBytes -= oldCount * 4
            Foundation.free(oldPointer)
        }
        return true
    }
}
