import BackfillCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One writer per store at a time, across processes: an exclusive `flock` on
/// `<store>.lock`, held for the life of the run.
///
/// The kernel drops a `flock` when its process dies, however it dies
/// (SIGKILL included), so a lock left by a killed run is free again at once
/// and the next run takes it over safely; the holder's pid, command and start
/// time are written into the file only so that a refused run can name it.
public final class RunLock {
    private let fd: Int32
    public let path: String

    public enum LockError: Error, CustomStringConvertible {
        case held(path: String, holder: String)
        case cannotOpen(IOFailure)

        public var description: String {
            switch self {
            case .held(let path, let holder): return "the store is in use by another run (\(holder)); lock \(path)"
            case .cannotOpen(let failure): return failure.description
            }
        }
    }

    /// Takes the lock, waiting up to `wait` seconds (0: fail at once). A
    /// signal ends the wait.
    /// `<store>.lock`.
    static let suffix = ".lock"

    public init(storePath: String, wait: Double, command: String) throws {
        path = storePath + Self.suffix
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            let missing = errno == ENOENT
            throw LockError.cannotOpen(
                IOFailure(
                    path: missing ? (storePath as NSString).deletingLastPathComponent : path,
                    action: missing ? "the store's directory does not exist" : "cannot open the store's lock file"))
        }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            do { try Interruption.check() } catch {
                close(fd)
                throw error
            }
            if Date() >= deadline {
                var buffer = [UInt8](repeating: 0, count: 512)
                let n = pread(fd, &buffer, 511, 0)
                close(fd)
                let holder =
                    n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
                throw LockError.held(path: path, holder: holder)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        self.fd = fd
        let note = "pid \(getpid()), started \(Timestamp.now()), \(command)\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
