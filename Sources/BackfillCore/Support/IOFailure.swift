#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed on a named path, kept with its `errno` so a
/// caller can tell cron what kind of failure it was: a full disk is not a
/// permission problem, and neither is a bug.
public struct IOFailure: Error, Sendable, CustomStringConvertible {
    public let path: String
    /// What was being done: "cannot write the report".
    public let action: String
    public let code: Int32

    /// `code` comes first so that its default, `errno`, is read before the
    /// other arguments are built (building a string may change `errno`).
    public init(code: Int32 = errno, path: String, action: String) {
        self.path = path
        self.action = action
        self.code = code
    }

    public enum Cause: Sendable {
        /// Disk full, quota, file-size limit, a failing device.
        case io
        /// Permission denied.
        case permission
        /// A read-only file system.
        case readOnly
        /// A directory on the way does not exist.
        case missing
        /// The path names the wrong kind of thing (a directory, a loop of links).
        case unusable
    }

    public var cause: Cause {
        switch code {
        case EACCES, EPERM: return .permission
        case EROFS: return .readOnly
        case ENOENT, ENOTDIR: return .missing
        case EISDIR, ELOOP, ENAMETOOLONG, ENXIO: return .unusable
        default: return .io
        }
    }

    public var reason: String {
        switch code {
        case ELOOP: return "a loop of symbolic links"
        case EFBIG: return "file too large (the file-size limit, ulimit -f)"
        default: return String(cString: strerror(code))
        }
    }

    public var description: String { "\(path): \(action): \(reason)" }
}
