import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a report (or an export) goes, written whole or not at all.
///
/// A regular file (or a path that does not exist yet) is written to a spool
/// file beside it, created with `O_EXCL | O_NOFOLLOW` under an unpredictable
/// name, then synced and renamed over the target: a reader sees the old
/// report or the new one, never half of one, and a link planted at the
/// spool's name cannot redirect the write. Every write is checked; a full
/// disk fails `close()` and leaves the target as it was. A symbolic link as
/// the target means the file it resolves to, replaced the same way, so the
/// link stays a link. Anything else that is not a directory (a device, a
/// FIFO, `/dev/stdout`) is written directly: renaming over `/dev/null`
/// would replace the device with a file.
public final class OutputSink {
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        /// The target is the store, one of its files, or its lock.
        case protected(path: String, what: String)
        case directory(path: String)

        public var description: String {
            switch self {
            case .protected(let path, let what):
                return "\(path): refusing to write the report over \(what); choose another --report-file"
            case .directory(let path):
                return "\(path): is a directory; --report-file takes a file path"
            }
        }
    }

    private var fd: Int32
    /// The file a spool is renamed to; nil when writing directly.
    private let finalPath: String?
    private let spoolPath: String?
    /// What messages call the target.
    private let shownPath: String
    private var buffer: [UInt8] = []
    private var failure: IOFailure?

    public static func standardOutput() -> OutputSink {
        OutputSink(fd: 1, finalPath: nil, spoolPath: nil, shownPath: "standard output")
    }

    /// Opens `path` for a report, checking everything that can be checked
    /// before any work: a run whose report cannot be written fails before it
    /// commits anything. `protected` lists files never to be written over
    /// (the store and its companions), with how to name each.
    public static func file(_ path: String, protecting protected: [(path: String, what: String)] = []) throws -> OutputSink {
        let target = try resolveLinks(path)
        var info = stat()
        let exists = stat(target, &info) == 0
        if !exists && errno != ENOENT { throw IOFailure(path: path, action: "cannot use it for the report") }
        if exists && info.st_mode & S_IFMT == S_IFDIR { throw Refusal.directory(path: path) }
        for (other, what) in protected where sameFile(target, exists ? info : nil, other) {
            throw Refusal.protected(path: path, what: what)
        }
        if exists && info.st_mode & S_IFMT != S_IFREG {
            let fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { throw IOFailure(path: path, action: "cannot open it for the report") }
            return OutputSink(fd: fd, finalPath: nil, spoolPath: nil, shownPath: path)
        }
        let directory = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next(), radix: 16)
        let spool = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(suffix).partial"
        let mode: mode_t = exists ? info.st_mode & 0o7777 : 0o644
        let fd = open(spool, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw IOFailure(
                path: errno == ENOENT ? (directory.isEmpty ? "." : directory) : path,
                action: errno == ENOENT ? "the report's directory does not exist" : "cannot create the report")
        }
        if exists { _ = fchmod(fd, mode) }  // exactly the old mode, whatever the umask
        SpoolRegistry.shared.add(spool)
        return OutputSink(fd: fd, finalPath: target, spoolPath: spool, shownPath: path)
    }

    private init(fd: Int32, finalPath: String?, spoolPath: String?, shownPath: String) {
        self.fd = fd
        self.finalPath = finalPath
        self.spoolPath = spoolPath
        self.shownPath = shownPath
    }

    deinit { discard() }

    public func write(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    private func flush() {
        guard failure == nil else { return }
        if let code = writeAll(fd, buffer) { failure = IOFailure(code: code, path: shownPath, action: "cannot write the report") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Everything written, or an error: for a file, synced and moved into
    /// place; on any failure the spool is removed and the target untouched.
    public func close() throws(IOFailure) {
        flush()
        guard fd >= 0 else { return }
        if let spoolPath, let finalPath {
            if failure == nil && fsync(fd) != 0 { failure = IOFailure(path: shownPath, action: "cannot write the report") }
            if Glibc.close(fd) != 0 && failure == nil { failure = IOFailure(path: shownPath, action: "cannot write the report") }
            fd = -1
            if failure == nil && rename(spoolPath, finalPath) != 0 {
                failure = IOFailure(path: shownPath, action: "cannot move the report into place")
            }
            if failure != nil { unlink(spoolPath) }
            SpoolRegistry.shared.remove(spoolPath)
        } else if fd > 2 {
            Glibc.close(fd)
            fd = -1
        }
        if let failure { throw failure }
    }

    /// Abandons the output: a spool is removed, the target left as it was.
    public func discard() {
        guard fd >= 0 else { return }
        if let spoolPath {
            Glibc.close(fd)
            unlink(spoolPath)
            SpoolRegistry.shared.remove(spoolPath)
        } else if fd > 2 {
            Glibc.close(fd)
        }
        fd = -1
    }

    /// Follows symbolic links (at most 40, as the kernel does) to the path
    /// that will really be written; a missing last component is fine.
    static func resolveLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else {
                if errno == ENOENT { return current }
                throw IOFailure(path: path, action: "cannot use it for the report")
            }
            guard info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else { throw IOFailure(path: path, action: "cannot read the link") }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current =
                target.hasPrefix("/")
                ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        throw IOFailure(code: ELOOP, path: path, action: "cannot use it for the report")
    }

    /// True when `target` and `other` are one file: the same inode when both
    /// exist, else the same absolute path.
    static func sameFile(_ target: String, _ info: stat?, _ other: String) -> Bool {
        var otherInfo = stat()
        if let info, stat(other, &otherInfo) == 0 {
            return info.st_dev == otherInfo.st_dev && info.st_ino == otherInfo.st_ino
        }
        func absolute(_ p: String) -> String {
            ((p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p) as NSString).standardizingPath
        }
        return absolute(target) == absolute((try? resolveLinks(other)) ?? other)
    }
}

/// Spool files not yet renamed or removed, so an interrupted run can remove
/// them on its way out.
public final class SpoolRegistry: @unchecked Sendable {
    public static let shared = SpoolRegistry()
    private let lock = NSLock()
    private var paths: Set<String> = []

    func add(_ path: String) {
        lock.lock()
        paths.insert(path)
        lock.unlock()
    }
    func remove(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Removes every spool still open.
    public func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        for path in paths { unlink(path) }
        paths.removeAll()
    }
}

/// Writes every byte, retrying short writes and interrupted calls; the
/// `errno` of a failure, or nil.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return errno }
        if n == 0 { return EIO }
        offset += n
    }
    return nil
}
