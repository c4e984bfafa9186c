import BackfillAPIStub
import BackfillCore
import Foundation
import XCTest

@testable import BackfillSQLite

/// Signals, dead processes, full disks, read-only stores, locks: every run
/// is recorded honestly and exits the way cron expects. Loopback only.
final class RunFaultsEndToEndTests: SyncTestCase {
    /// Starts the tool; stderr is collected for `finish`.
    func launch(_ args: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = args
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(["BACKFILL_TOKEN": Self.token]) { $1 }
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        return (process, err)
    }

    /// Waits until the store has a run row in `running` (or `seconds` pass).
    func waitForARunningRow(seconds: Double = 30) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if (try? sqlite("select count(*) from runs where status = 'running'")) == "1" { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("no run started")
    }

    func terminate(_ launched: (Process, Pipe)) -> (status: Int32, stderr: String) {
        kill(launched.0.processIdentifier, SIGTERM)
        let stderr = String(decoding: launched.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        launched.0.waitUntilExit()
        return (launched.0.terminationStatus, stderr)
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
    }

    func testSIGTERMDuringAnImportClosesTheRunAsInterruptedAndExits143() throws {
        // One file: stopped inside it, so nothing of it stays, but the run is recorded.
        let one = try launch([
            "import", "csv", bigCSV("a.csv", rows: 400_000, prefix: "a"), "--object", "expense",
            "--report", "json", "--report-file", "one.json",
        ])
        Thread.sleep(forTimeInterval: 1.5)
        let r = terminate(one)
        XCTAssertEqual(r.status, 143, r.stderr)
        XCTAssertTrue(r.stderr.contains("interrupted by SIGTERM; run 1 was closed as interrupted"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        XCTAssertEqual(try sqlite("select status || ' ' || created from runs"), "interrupted 0")
        XCTAssertEqual(try sqlite("select count(*) from records"), "0", "the input in flight rolled back")
        XCTAssertEqual(try leftovers(), [])
        XCTAssertEqual(
            try json(String(contentsOf: dir.appendingPathComponent("one.json"), encoding: .utf8))["status"] as? String,
            "interrupted", "the report says what happened")

        // Several files: the first committed, the second in flight.
        let many = try launch([
            "import", "csv", "samples/expenses.csv", bigCSV("b.csv", rows: 400_000, prefix: "b"), "--object", "expense",
            "--report-file", "many.txt",
        ])
        waitForARunningRow()
        let m = terminate(many)
        XCTAssertEqual(m.status, 143, m.stderr)
        XCTAssertEqual(try sqlite("select status || ' ' || created from runs where id = 2"), "interrupted 6")
        XCTAssertEqual(try sqlite("select count(*) from records"), "6", "the committed file stays")
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("many.txt"), encoding: .utf8).contains("interrupted"))
        XCTAssertEqual(try leftovers(), [])
    }

    func testSIGTERMDuringASyncAndSIGKILLLeaveNoRunRunning() throws {
        let slow = try stub { $0.delayMilliseconds = 200 }
        config(slow, pageSize: 1, objects: ["expense", "customer"])
        let sync = try launch(["sync", "--config", "sync.json", "--report", "json", "--report-file", "sync.json.report"])
        waitForARunningRow()
        let started = Date()
        let r = terminate(sync)
        XCTAssertEqual(r.status, 143, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "stopped at once, not after the resource")
        XCTAssertEqual(try sqlite("select status from runs"), "interrupted")
        XCTAssertEqual(try leftovers(), [])
        let committed = try sqlite("select count(*) from expenses")
        XCTAssertNotEqual(committed, "0")

        // SIGKILL: nothing can run on the way out; the next writer closes the row.
        let killed = try launch(["sync", "--config", "sync.json"])
        Thread.sleep(forTimeInterval: 0.3)
        waitForARunningRow()
        kill(killed.0.processIdentifier, SIGKILL)
        killed.0.waitUntilExit()
        XCTAssertEqual(try sqlite("select count(*) from runs where status = 'running'"), "1")
        let next = try run(["import", "csv", "samples/expenses.csv", "--object", "expense"])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertTrue(next.stderr.contains("run(s) 2 were left running by a process that died"), next.stderr)
        XCTAssertEqual(try sqlite("select group_concat(status, ',') from runs"), "interrupted,interrupted,succeeded")
    }

    func testEachFailureCauseGetsItsExitCodeAndNamesThePath() throws {
        // A directory as --db: 64, and no lock file beside it.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adir"), withIntermediateDirectories: false)
        let d = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--db", "adir"])
        XCTAssertEqual(d.status, 64, d.stderr)
        XCTAssertTrue(d.stderr.contains("adir: cannot be used as the store (--db): Is a directory"), d.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("adir.lock").path))
        // A file that is not SQLite: 64, for writing and for reading.
        _ = write("just some text, not a database at all\n", to: "notes.txt")
        for args in [
            ["import", "csv", "samples/expenses.csv", "--object", "expense", "--db", "notes.txt"], ["runs", "--db", "notes.txt"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("notes.txt: is not a backfill-sync store (not a SQLite database)"), r.stderr)
        }
        // An input that is a loop of links is named as such, not as missing.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("l1.csv").path, withDestinationPath: "l2.csv")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("l2.csv").path, withDestinationPath: "l1.csv")
        let loop = try run(["import", "csv", "l1.csv", "--object", "expense"])
        XCTAssertEqual(loop.status, 66, loop.stderr)
        XCTAssertTrue(loop.stderr.contains("l1.csv: error: [malformed_input] a loop of symbolic links"), loop.stderr)
        // A directory that does not exist: 66.
        let m = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--db", "missing/dir/b.sqlite"])
        XCTAssertEqual(m.status, 66, m.stderr)
        XCTAssertTrue(m.stderr.contains("missing/dir: the store's directory does not exist"), m.stderr)

        // Busy: another SQLite client holds the write lock. 75, for import and sync alike.
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]).status, 0)
        let server = try stub()
        config(server, objects: ["expense"])
        let other = try Database(path: db)
        try other.execute("BEGIN IMMEDIATE")
        let busyImport = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill"])
        XCTAssertEqual(busyImport.status, 75, busyImport.stderr)
        XCTAssertTrue(busyImport.stderr.contains("backfill.sqlite: the store is locked by another program"), busyImport.stderr)
        let busySync = try sync()
        XCTAssertEqual(busySync.status, 75, busySync.stderr)
        XCTAssertTrue(busySync.stderr.contains("backfill.sqlite: the store is locked by another program"), busySync.stderr)
        try other.execute("ROLLBACK")
        XCTAssertEqual(try sqlite("select count(*) from runs where status = 'running'"), "0", "each refused run's row is closed")

        // Our own lock: 75 at once, or --wait for it.
        let lock = try RunLock(storePath: db, wait: 0, command: "a test holding the lock")
        let held = try withExtendedLifetime(lock) { try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]) }
        XCTAssertEqual(held.status, 75, held.stderr)
        XCTAssertTrue(held.stderr.contains("in use by another run (pid"), held.stderr)
    }

    func testWaitingForTheLockAndReadingAReadOnlyStore() throws {
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]).status, 0)
        var lock: RunLock? = try RunLock(storePath: db, wait: 0, command: "a test holding the lock")
        let waiting = try launch(["import", "csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--wait", "20"])
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(waiting.0.isRunning, "still waiting for the lock")
        withExtendedLifetime(lock) { lock = nil }
        waiting.0.waitUntilExit()
        XCTAssertEqual(waiting.0.terminationStatus, 0, "import --wait took the lock once it was free")

        // The store on a read-only file system: reading works, as an immutable snapshot; writing is 73.
        let fs = try Tmpfs(kib: 4096, in: dir)
        defer { fs.unmount() }
        let copy = fs.url.appendingPathComponent("ro.sqlite").path
        // A WAL store, as every store is: reading it normally needs a -shm file beside it.
        try Database(path: db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        XCTAssertTrue(fs.remountReadOnly())
        for args in [
            ["runs", "--db", copy], ["export", "expense", "--db", copy],
            ["import", "csv", "samples/expenses.csv", "--object", "expense", "--db", copy, "--dry-run"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args[0]): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("read as an immutable snapshot"), r.stderr)
        }
        XCTAssertEqual(try run(["export", "expense", "--db", copy]).stdout.split(separator: "\n").count, 6)
        let write = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--db", copy])
        XCTAssertEqual(write.status, 73, write.stderr)
        XCTAssertTrue(write.stderr.contains("ro.sqlite.lock: cannot open the store's lock file: Read-only file system"), write.stderr)
    }

    func testPermissionDeniedIs77() throws {
        guard getuid() == 0 else { throw XCTSkip("runs the tool as nobody, which needs root") }
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]).status, 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", Self.binary.path,
            "import", "csv", "samples/expenses.csv", "--object", "expense",
        ]
        process.currentDirectoryURL = dir
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 77, stderr)
        XCTAssertTrue(stderr.contains("backfill.sqlite.lock: cannot open the store's lock file: Permission denied"), stderr)
    }

    func testADiskFullStoreIs74NamingTheStore() throws {
        let fs = try Tmpfs(kib: 2048, in: dir)
        defer { fs.unmount() }
        let store = fs.url.appendingPathComponent("full.sqlite").path
        let r = try run(["import", "csv", bigCSV("big.csv", rows: 30_000, prefix: "x"), "--object", "expense", "--db", store])
        XCTAssertEqual(r.status, 74, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(store): the disk is full"), r.stderr)
        XCTAssertFalse(r.stderr.contains("report a bug"))
    }
}
