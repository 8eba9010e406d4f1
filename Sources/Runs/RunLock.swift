// One writer per run directory: an exclusive flock(2) on DIR/.lock, holding the owner's PID for the message a
// second process gets. The kernel drops the lock when its holder exits in any way (SIGKILL included), so a lock
// file left by a dead process never blocks a later run.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run directory cannot be locked for writing.
public enum RunLockError: Error, Equatable, CustomStringConvertible {
    /// Another live process holds the directory's lock; `pid` is the process its lock file names (nil when the
    /// file does not hold a PID yet, as when the other process has only just taken the lock).
    case inUse(directory: String, lockFile: String, pid: Int32?)
    /// The lock file cannot be opened or locked at all.
    case cannotLock(path: String, reason: String)

    public var description: String {
        switch self {
        case .inUse(let directory, let lockFile, let pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            let stop = pid.map { ", stop it (kill \($0))" } ?? ""
            return "the run directory \(directory) is in use by \(holder), which holds its lock \(lockFile); "
                + "wait for that run to finish\(stop), or write this run to another directory with --out"
        case .cannotLock(let path, let reason):
            return "cannot lock the run directory through \(path): \(reason); check that the directory is writable"
        }
    }
}

/// An exclusive lock on a run directory, held from `init` until the object is released.
///
/// `RunDirectory` takes one through ``shared(for:)``, so every `RunDirectory` a process opens on the same
/// directory shares one lock while a second process is refused with ``RunLockError/inUse(directory:lockFile:pid:)``.
/// The lock is flock(2) on `DIR/.lock`: the kernel releases it when the holder exits, however it exits, so
/// stale lock files need no clean-up and are never deleted (deleting one would let two processes lock two
/// different files of the same name).
public final class RunLock {
    /// The lock file's name inside the run directory.
    public static let fileName = ".lock"

    /// The locked directory.
    public let directory: URL
    private let descriptor: Int32

    /// Locks `directory` (which must exist) with a new, unshared lock, and writes this process's PID into the
    /// lock file.
    ///
    /// Two `RunLock`s on one directory exclude each other even inside one process; use ``shared(for:)`` to
    /// lock a directory the process may already hold.
    /// - Throws: ``RunLockError/inUse(directory:lockFile:pid:)`` when another lock is held,
    ///   ``RunLockError/cannotLock(path:reason:)`` when the lock file cannot be opened.
    public init(directory: URL) throws(RunLockError) {
        self.directory = directory
        let path = directory.appendingPathComponent(RunLock.fileName).path
        // O_CLOEXEC: a child process (such as a spawned tool) must not inherit, and so prolong, the lock.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotLock(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = RunLock.recordedPID(fd)
            close(fd)
            if code == EWOULDBLOCK { throw .inUse(directory: directory.path, lockFile: path, pid: holder) }
            throw .cannotLock(path: path, reason: String(cString: strerror(code)))
        }
        // The PID is only for the refusal message: the flock, not the file's content, decides who holds the lock.
        let text = Array("\(getpid())\n".utf8)
        let written = ftruncate(fd, 0) == 0 ? text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } : -1
        guard written == text.count else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotLock(path: path, reason: "cannot record the process ID (\(reason))")
        }
        descriptor = fd
    }

    deinit {
        // Closing the only descriptor of the open file releases the flock.
        close(descriptor)
    }

    /// The PID written in an open lock file, or nil when it holds none.
    private static func recordedPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

extension RunLock {
    /// The locks this process holds, by directory path.
    private final class Registry: @unchecked Sendable {
        let mutex = NSLock()
        /// Weak, so that the lock is released when the last `RunDirectory` on it is (tests open many directories).
        var held: [String: WeakLock] = [:]
        /// Strong references kept for the whole process when `holdsUntilExit` is set.
        var pinned: [RunLock] = []
        var holdsUntilExit = false
    }

    private struct WeakLock {
        weak var lock: RunLock?
    }

    private static let registry = Registry()

    /// When true, every lock taken through ``shared(for:)`` is kept until the process exits. The `rlft` tool
    /// sets it: an optimizing compiler may release a local `RunDirectory` after its last use, well before the
    /// command has finished writing into the directory through other paths (checkpoints).
    public static var holdsUntilExit: Bool {
        get {
            registry.mutex.lock()
            defer { registry.mutex.unlock() }
            return registry.holdsUntilExit
        }
        set {
            registry.mutex.lock()
            defer { registry.mutex.unlock() }
            registry.holdsUntilExit = newValue
        }
    }

    /// The process's lock on `directory` (which must exist): the one it already holds, or a new one.
    ///
    /// - Throws: ``RunLockError/inUse(directory:lockFile:pid:)`` when another process holds the directory.
    public static func shared(for directory: URL) throws(RunLockError) -> RunLock {
        let key = directory.standardizedFileURL.resolvingSymlinksInPath().path
        registry.mutex.lock()
        defer { registry.mutex.unlock() }
        if let lock = registry.held[key]?.lock { return lock }
        let lock = try RunLock(directory: directory)
        registry.held[key] = WeakLock(lock: lock)
        if registry.holdsUntilExit { registry.pinned.append(lock) }
        return lock
    }
}
