import BackfillCore
import Foundation
import XCTest

/// Reports are whole or absent, and go exactly where they were sent: never
/// over the store, never through a planted link, never replacing a device.
final class ReportTargetEndToEndTests: CLITestCase {
    func partials() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
    }

    func testAReportThatDoesNotFitFailsAndLeavesTheOldReportInPlace() throws {
        let small = try Tmpfs(kib: 1024, in: dir)
        defer { small.unmount() }
        let target = small.url.appendingPathComponent("last.txt").path
        try Data("the previous report\n".utf8).write(to: URL(fileURLWithPath: target))
        let csv = bigCSV("big.csv", rows: 20_000)
        let r = try run(["import", "csv", csv, "--object", "expense", "--report-file", target])
        XCTAssertEqual(r.status, 74, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(target): cannot write the report: No space left on device"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the run's changes were applied (run 1), only its report is missing"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "the previous report\n", "not replaced")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small.url.path), ["last.txt"], "no spool left")
        XCTAssertEqual(try sqlite("select count(*) from expenses"), "20000", "the data itself committed")

        // The spool of report sections (TMPDIR) full: the same, for standard output too.
        let again = try run(
            ["import", "csv", bigCSV("big2.csv", rows: 20_000, prefix: "f"), "--object", "expense"],
            environment: ["TMPDIR": small.url.path])
        XCTAssertEqual(again.status, 74, again.stderr)
        XCTAssertTrue(
            again.stderr.contains("\(small.url.path)/: cannot write the report's temporary file (TMPDIR): No space left on device")
                || again.stderr.contains("\(small.url.path): cannot write the report's temporary file (TMPDIR): No space left on device"),
            again.stderr)

        // A device that is always full: written directly, the failure seen.
        let full = try run([
            "import", "csv", "samples/expenses.csv", "--object", "expense", "--report", "json", "--report-file", "/dev/full",
        ])
        XCTAssertEqual(full.status, 74, full.stderr)
        XCTAssertTrue(full.stderr.contains("/dev/full: cannot write the report: No space left on device"), full.stderr)
    }

    func testAPlantedPartialSymlinkIsNeverFollowed() throws {
        let victim = write("precious\n", to: "victim.txt")
        // Every name the old spool could have had, for the next 3000 pids.
        let base = ProcessInfo.processInfo.processIdentifier
        for pid in base..<(base + 3000) {
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("report.json.partial-\(pid)").path,
                withDestinationPath: victim)
        }
        let r = try run([
            "import", "csv", "samples/expenses.csv", "--object", "expense", "--report", "json", "--report-file", "report.json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent(victim), encoding: .utf8), "precious\n")
        XCTAssertNotNil(try json(String(contentsOf: dir.appendingPathComponent("report.json"), encoding: .utf8))["summary"])
        XCTAssertEqual(try partials().count, 3000, "only the planted links; no spool of ours is left")
        XCTAssertTrue(try partials().allSatisfy { $0.hasPrefix("report.json.partial-") })
    }

    func testTheStoreIsNeverAReportTargetAndDevicesFIFOsAndLinksKeepTheirKind() throws {
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]).status, 0)
        let before = try sqlite("select count(*) from records")
        for target in [
            "backfill.sqlite", "./backfill.sqlite", dir.appendingPathComponent("backfill.sqlite").path,
            "backfill.sqlite-wal", "backfill.sqlite-shm", "backfill.sqlite.lock",
        ] {
            let r = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--report-file", target])
            XCTAssertEqual(r.status, 64, "\(target): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(target): refusing to write the report over the store"), r.stderr)
        }
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("store-link").path, withDestinationPath: "backfill.sqlite")
        XCTAssertEqual(try run(["runs", "--db", "backfill.sqlite"]).status, 0)
        let linked = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--report-file", "store-link"])
        XCTAssertEqual(linked.status, 64, "a link to the store is the store: \(linked.stderr)")
        XCTAssertEqual(try sqlite("select count(*) from records"), before, "nothing imported, the store intact")
        XCTAssertEqual(try sqlite("PRAGMA integrity_check"), "ok")

        // A character device: a private null device when we may make one, else /dev/null itself.
        var device = "/dev/null"
        if getuid() == 0 {
            device = dir.appendingPathComponent("null").path
            XCTAssertEqual(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)), 0, "a null device: major 1, minor 3")
        }
        let d = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--report-file", device])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try kind(device), S_IFCHR, "\(device) is still a character device")

        // A FIFO: its reader gets the whole report, and it stays a FIFO.
        let fifo = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let received = ReceivedText()
        let reader = Thread {
            let fd = open(fifo, O_RDONLY)
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while fd >= 0 {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            close(fd)
            received.text = String(decoding: bytes, as: UTF8.self)
        }
        reader.start()
        let f = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--report", "json", "--report-file", fifo])
        XCTAssertEqual(f.status, 0, f.stderr)
        let deadline = Date().addingTimeInterval(30)
        while !received.done && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(received.done, "the FIFO's reader got to the end of the report")
        XCTAssertEqual(try json(received.text)["status"] as? String, "succeeded")
        XCTAssertEqual(try kind(fifo), S_IFIFO)

        // A symbolic link: the file it points to is replaced, the link stays a link.
        _ = write("old\n", to: "reports-real.txt")
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("latest.txt").path,
            withDestinationPath: "reports-real.txt")
        let l = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--report-file", "latest.txt"])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssertEqual(try kind(dir.appendingPathComponent("latest.txt").path, following: false), S_IFLNK)
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("reports-real.txt"), encoding: .utf8).contains("unchanged"))

        // A directory, and a loop of links: refused before any work.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adir"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loop1").path, withDestinationPath: "loop2")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loop2").path, withDestinationPath: "loop1")
        let runsBefore = try sqlite("select count(*) from runs")
        for (target, message) in [
            ("adir", "adir: is a directory"), ("loop1", "loop1: cannot use it for the report: a loop of symbolic links"),
        ] {
            let r = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--report-file", target])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
        XCTAssertEqual(try sqlite("select count(*) from runs"), runsBefore, "refused before any data was committed")
        XCTAssertEqual(try partials(), [])
    }

    func kind(_ path: String, following: Bool = true) throws -> mode_t {
        var info = stat()
        XCTAssertEqual(following ? stat(path, &info) : lstat(path, &info), 0, path)
        return info.st_mode & S_IFMT
    }
}

/// Text a reader thread hands back.
final class ReceivedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    private var finished = false
    var text: String {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            finished = true
            lock.unlock()
        }
    }
    var done: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }
}

/// A small tmpfs mounted for one test: a disk that fills up. Needs root
/// with CAP_SYS_ADMIN (CI has it); skipped elsewhere.
struct Tmpfs {
    let url: URL

    init(kib: Int, in parent: URL, readOnly: Bool = false) throws {
        url = parent.appendingPathComponent("tmpfs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard Self.mount(["-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", url.path]) else {
            throw XCTSkip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
        }
    }

    func remountReadOnly() -> Bool { Self.mount(["-o", "remount,ro", url.path]) }

    func unmount() { _ = Self.run("/bin/umount", [url.path]) }

    private static func mount(_ args: [String]) -> Bool { run("/bin/mount", args) }

    private static func run(_ tool: String, _ args: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = args
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
