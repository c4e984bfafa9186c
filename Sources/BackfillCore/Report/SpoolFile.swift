import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An anonymous temporary file that report sections are written to as a run
/// goes, so a report of a million changes costs disk, not memory. Unlinked at
/// creation: nothing is left behind, even when the process is killed.
final class SpoolFile {
    private let fd: Int32
    private var pending: [UInt8] = []
    private(set) var size: Int = 0

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/backfill-sync-report-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ReportError.cannotWrite(path: "temporary directory", reason: String(cString: strerror(errno))) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        size += bytes.count
        if pending.count >= 1 << 16 { flush() }
    }

    func append(_ text: String) { append(Array(text.utf8)) }

    private func flush() {
        writeAll(fd, pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Cuts the file back to `length` bytes (an input that was rolled back).
    func truncate(to length: Int) {
        flush()
        _ = ftruncate(fd, off_t(length))
        _ = lseek(fd, off_t(length), SEEK_SET)
        size = length
    }

    /// Copies the whole content to `out`.
    func copy(to out: OutputSink) {
        flush()
        _ = lseek(fd, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.write(Array(buffer[0..<n]))
        }
        _ = lseek(fd, off_t(size), SEEK_SET)
    }
}

/// Where a report goes: standard output, or a file written beside its final
/// path and renamed into place when complete, so a reader never sees half a
/// report.
public final class OutputSink {
    private let fd: Int32
    private let finalPath: String?
    private let temporaryPath: String?
    private var buffer: [UInt8] = []

    public static func standardOutput() -> OutputSink { OutputSink(fd: 1, finalPath: nil, temporaryPath: nil) }

    public static func file(_ path: String) throws -> OutputSink {
        let temporary = path + ".partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ReportError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        return OutputSink(fd: fd, finalPath: path, temporaryPath: temporary)
    }

    private init(fd: Int32, finalPath: String?, temporaryPath: String?) {
        self.fd = fd
        self.finalPath = finalPath
        self.temporaryPath = temporaryPath
    }

    public func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    public func flush() {
        writeAll(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and for a file, moves it into place.
    public func close() throws {
        flush()
        guard let finalPath, let temporaryPath else { return }
        Glibc.close(fd)
        guard rename(temporaryPath, finalPath) == 0 else {
            throw ReportError.cannotWrite(path: finalPath, reason: String(cString: strerror(errno)))
        }
    }

    /// Abandons a file report (the run failed before it was complete).
    public func discard() {
        guard let temporaryPath else { return }
        Glibc.close(fd)
        unlink(temporaryPath)
    }
}

/// Writes every byte, retrying short writes and interrupted calls.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        offset += n
    }
}

public enum ReportError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "\(path): cannot write report: \(reason)"
        }
    }
}
