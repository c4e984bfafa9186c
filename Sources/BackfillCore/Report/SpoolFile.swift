import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An anonymous temporary file that report sections are written to as a run
/// goes, so a report of a million changes costs disk, not memory. Unlinked at
/// creation: nothing is left behind, even when the process is killed.
/// A write that fails (a full `TMPDIR`) is remembered and thrown by `copy`,
/// so the report it belongs to fails rather than comes out short.
final class SpoolFile {
    private let fd: Int32
    private var pending: [UInt8] = []
    private(set) var size: Int = 0
    private let directory = NSTemporaryDirectory()
    private var failure: IOFailure?

    init() throws(IOFailure) {
        var template = Array((directory + "/backfill-sync-report-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw IOFailure(path: directory, action: "cannot create the report's temporary file (TMPDIR)") }
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
        if failure == nil, let code = writeAll(fd, pending) {
            failure = IOFailure(code: code, path: directory, action: "cannot write the report's temporary file (TMPDIR)")
        }
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
    func copy(to out: OutputSink) throws(IOFailure) {
        try copy(to: out, every: 0, insert: { _ in "" })
    }

    /// Copies the content to `out`, writing `insert(k)` after every `lines`
    /// lines (k lines so far): how a long HTML section is cut into pages
    /// whose labels know the total.
    func copy(to out: OutputSink, every lines: Int, insert: (Int) -> String) throws(IOFailure) {
        flush()
        if let failure { throw failure }
        _ = lseek(fd, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var seen = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw IOFailure(path: directory, action: "cannot read the report's temporary file (TMPDIR)") }
            if n == 0 { break }
            guard lines > 0 else {
                out.write(Array(buffer[0..<n]))
                continue
            }
            var start = 0
            for i in 0..<n where buffer[i] == 0x0A {
                seen += 1
                if seen % lines == 0 {
                    out.write(Array(buffer[start...i]))
                    out.write(insert(seen))
                    start = i + 1
                }
            }
            if start < n { out.write(Array(buffer[start..<n])) }
        }
        _ = lseek(fd, off_t(size), SEEK_SET)
    }
}
