import BackfillCore
import Foundation
import XCTest

/// The store where a test writes: the end-to-end runs that matter, in one
/// suite run against each backend (not copies of it). PostgreSQL runs when
/// `BACKFILL_TEST_POSTGRES` holds a server's URL (`.ci/run` starts one with
/// `scripts/pg-test-server`); each test gets a schema of its own.
enum StoreBackend: String, CaseIterable {
    case sqlite
    case postgres

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["BACKFILL_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The backends this machine can test: SQLite always.
    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// `--db` for a fresh store of this backend.
    func freshStore(_ name: String) -> String {
        switch self {
        case .sqlite: return name + ".sqlite"
        case .postgres:
            let url = Self.postgresURL!
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased() + "_" + name
            return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
        }
    }
}

final class StoreBackendEndToEndTests: SyncTestCase {
    /// Said as a skip, never passed over in silence; `.ci/run` sets
    /// `BACKFILL_TEST_POSTGRES_REQUIRED=1`, where a missing server fails.
    func testPostgreSQLBackendIsUnderTest() throws {
        guard StoreBackend.postgresURL != nil else {
            if ProcessInfo.processInfo.environment["BACKFILL_TEST_POSTGRES_REQUIRED"] == "1" {
                XCTFail("BACKFILL_TEST_POSTGRES_REQUIRED=1 but BACKFILL_TEST_POSTGRES is not set")
            }
            throw XCTSkip(
                "PostgreSQL store tests SKIPPED: no server. Run them with "
                    + "BACKFILL_TEST_POSTGRES=$(scripts/pg-test-server start /tmp/pg) swift test (as .ci/run does)")
        }
        XCTAssertEqual(try run(["runs", "--db", StoreBackend.postgres.freshStore("probe")]).status, 66, "no store there yet")
    }

    func forEachBackend(_ body: (StoreBackend) throws -> Void) rethrows {
        for backend in StoreBackend.available {
            print("\(name): store backend \(backend.rawValue)")
            try body(backend)
        }
    }

    func testImportReimportDryRunAndHistoryMatchAcrossStores() throws {
        var exports: [StoreBackend: String] = [:]
        try forEachBackend { backend in
            let db = backend.freshStore("import")
            let first = try run([
                "import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--db", db, "--report", "json",
            ])
            XCTAssertEqual(first.status, 0, "\(backend): \(first.stderr)")
            XCTAssertEqual(
                try summary(first),
                ["created": 6, "updated": 0, "unchanged": 0, "failed": 0, "removed": 0])
            let layer = try run(["import", "layer-bills", "samples/layer_bills.json", "--connection", "acme-layer", "--db", db])
            XCTAssertEqual(layer.status, 0, "\(backend): \(layer.stderr)")
            let again = try run([
                "import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--db", db, "--report", "json",
            ])
            XCTAssertEqual(
                try summary(again),
                ["created": 0, "updated": 0, "unchanged": 6, "failed": 0, "removed": 0], backend.rawValue)

            // One edited amount: a dry run shows exactly it and writes nothing.
            let csv = try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
            let edited = write(csv.replacingOccurrences(of: "18.75", with: "18.76"), to: "edited-\(backend).csv")
            let runsBefore = try run(["runs", "--db", db]).stdout
            let dry = try run([
                "import", "csv", edited, "--object", "expense", "--connection", "acme", "--db", db, "--dry-run", "--report", "json",
            ])
            XCTAssertEqual(dry.status, 0, dry.stderr)
            let changes = try json(dry.stdout)["changes"] as? [[String: Any]] ?? []
            XCTAssertEqual(changes.filter { $0["action"] as? String == "update" }.count, 1, "\(backend): \(dry.stdout)")
            XCTAssertEqual(try run(["runs", "--db", db]).stdout, runsBefore, "\(backend): a dry run writes no run row")
            let applied = try run(["import", "csv", edited, "--object", "expense", "--connection", "acme", "--db", db, "--report", "json"])
            XCTAssertEqual(try summary(applied)?["updated"], 1, backend.rawValue)
            let history = try run(["history", "expense", "exp-1001", "--db", db, "--format", "json"])
            XCTAssertEqual(history.status, 0, history.stderr)
            XCTAssertTrue(history.stdout.contains("18.75") && history.stdout.contains("18.76"), "\(backend): \(history.stdout)")
            exports[backend] = try exportAll(db: db)
        }
        if let postgres = exports[.postgres] { XCTAssertEqual(postgres, exports[.sqlite], "the same records in either store") }
    }

    func testRejectsAreLocatedAndKept() throws {
        let bad = write(
            "ID,Date,Vendor,Amount,Currency,Status\ne1,2026-03-02,A,12.50,USD,approved\ne2,2026-13-40,B,9.00,USD,approved\ne3,2026-03-04,C,abc,USD,approved\n",
            to: "bad.csv")
        try forEachBackend { backend in
            let db = backend.freshStore("rejects")
            let r = try run(["import", "csv", bad, "--object", "expense", "--connection", "acme", "--db", db])
            XCTAssertEqual(r.status, 65, "\(backend): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("bad.csv:3") && r.stderr.contains("bad.csv:4"), "\(backend): \(r.stderr)")
            let rejects = try run(["rejects", "--db", db, "--format", "json"])
            XCTAssertEqual(rejects.status, 0, rejects.stderr)
            XCTAssertTrue(rejects.stdout.contains("\"line\":3") && rejects.stdout.contains("\"line\":4"), "\(backend): \(rejects.stdout)")
            XCTAssertEqual(try run(["export", "expense", "--db", db]).stdout.split(separator: "\n").count, 1, "the good row landed")
        }
    }

    /// A repeated id is found however far apart the two rows are: in one
    /// batch of the pipeline, or hundreds of rows (several batches) later.
    func testARepeatedIdIsRejectedWithItsFirstLine() throws {
        var csv = "ID,Date,Vendor,Amount,Currency,Status\n"
        for i in 1...700 { csv += "e\(i),2026-03-02,A,\(i).50,USD,approved\n" }
        csv += "e3,2026-03-02,A,1.00,USD,approved\ne650,2026-03-02,A,1.00,USD,approved\n"
        let file = write(csv, to: "repeats.csv")
        try forEachBackend { backend in
            let db = backend.freshStore("repeats")
            let r = try run(["import", "csv", file, "--object", "expense", "--connection", "acme", "--db", db, "--report", "json"])
            XCTAssertEqual(r.status, 65, "\(backend): \(r.stderr)")
            XCTAssertEqual(try summary(r)?["created"], 700, backend.rawValue)
            XCTAssertTrue(r.stderr.contains("repeats.csv:702") && r.stderr.contains("first on line 4"), "\(backend): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("repeats.csv:703") && r.stderr.contains("first on line 651"), "\(backend): \(r.stderr)")
        }
    }

    func testSyncPullsEveryRecordOnceThenNothing() throws {
        let server = try stub()
        try forEachBackend { backend in
            let db = backend.freshStore("sync")
            config(server, name: "sync-\(backend).json", store: db, drops: true)
            let first = try sync(["--report", "json"], config: "sync-\(backend).json")
            XCTAssertEqual(first.status, 0, "\(backend): \(first.stderr)")
            XCTAssertEqual(try summary(first)?["created"], 21 * 5 + 4 + 11, backend.rawValue)
            let again = try sync(["--report", "json"], config: "sync-\(backend).json")
            XCTAssertEqual(
                try summary(again),
                ["created": 0, "updated": 0, "unchanged": 105, "failed": 0, "removed": 0],
                backend.rawValue)
            XCTAssertFalse(again.stdout.contains(Self.token) || again.stderr.contains(Self.token))
            XCTAssertTrue(try run(["cursors", "--db", db]).stdout.contains("last complete pass 20"), backend.rawValue)
        }
    }

    func testKilledSyncsResumeToTheSameExport() throws {
        let clean = try stub()
        let slow = try stub { $0.delayMilliseconds = 12 }
        let seed = ProcessInfo.processInfo.environment["BACKFILL_KILL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("testKilledSyncsResumeToTheSameExport: kill seed \(seed) (replay with BACKFILL_KILL_SEED=\(seed))")
        try forEachBackend { backend in
            let reference = backend.freshStore("clean")
            config(clean, name: "clean-\(backend).json", store: reference, pageSize: 1)
            XCTAssertEqual(try sync(config: "clean-\(backend).json").status, 0)
            let db = backend.freshStore("killed")
            config(slow, name: "killed-\(backend).json", store: db, pageSize: 1)
            var generator = SplitMix64(seed: seed)
            var killedMidRun = 0
            for _ in 0..<10 {
                let process = try launchSync(config: "killed-\(backend).json")
                Thread.sleep(forTimeInterval: Double.random(in: 0.05...1.5, using: &generator))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal { killedMidRun += 1 }
            }
            XCTAssertGreaterThanOrEqual(killedMidRun, 5, "\(backend): most kills land while the sync runs (seed \(seed))")
            let finish = try sync(config: "killed-\(backend).json")
            XCTAssertEqual(finish.status, 0, "\(backend): \(finish.stderr)")
            let exported = try exportAll(db: db)
            XCTAssertEqual(exported, try exportAll(db: reference), "\(backend): identical to an uninterrupted run (seed \(seed))")
            XCTAssertEqual(exported.split(separator: "\n").count, 105, "\(backend): nothing duplicated")
        }
    }

    /// Two runs on one connection never interleave: the second exits 75
    /// naming the first, or waits. Runs on two connections both finish, each
    /// with its records exactly once: side by side on PostgreSQL, one after
    /// the other (waiting for the store's lock) on SQLite.
    func testOneRunPerConnectionAndTwoConnectionsAtOnce() throws {
        let slow = try stub { $0.delayMilliseconds = 25 }
        try forEachBackend { backend in
            let db = backend.freshStore("locks")
            config(slow, name: "a-\(backend).json", store: db, pageSize: 1)
            config(slow, name: "b-\(backend).json", store: db, pageSize: 1, connectionID: "conn_other")
            let first = try launchSync(config: "a-\(backend).json")
            Thread.sleep(forTimeInterval: 1.0)
            let second = try sync(config: "a-\(backend).json")
            XCTAssertEqual(second.status, 75, "\(backend): \(second.stderr)")
            XCTAssertTrue(second.stderr.contains("pid \(first.processIdentifier)"), "\(backend): names the holder: \(second.stderr)")
            // Another connection at the same time.
            let other = try sync(["--wait", "120"], config: "b-\(backend).json")
            XCTAssertEqual(other.status, 0, "\(backend): \(other.stderr)")
            first.waitUntilExit()
            XCTAssertEqual(first.terminationStatus, 0, backend.rawValue)
            let all = try run(["export", "customer", "--db", db]).stdout.split(separator: "\n")
            XCTAssertEqual(all.count, 10, "\(backend): 5 customers for each connection, each once")
            XCTAssertEqual(all.filter { $0.contains("\"connection_id\":\"conn_other\"") }.count, 5, backend.rawValue)
            XCTAssertEqual(try sync(["--wait", "5"], config: "a-\(backend).json").status, 0, "\(backend): once free, the lock is taken")
        }
    }

    /// One value from PostgreSQL, through psql as a user would query it.
    func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-Atqc", sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "psql failed: \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The password of a role that must give one reaches the server and
    /// nothing else: no output, report, error or table.
    func testThePostgreSQLPasswordAppearsNowhere() throws {
        guard let admin = StoreBackend.postgresURL else { throw XCTSkip("PostgreSQL store tests SKIPPED: no server") }
        let password = "pw-" + UUID().uuidString.prefix(12).lowercased()
        let database = try psql(admin, "select current_database()")
        _ = try psql(
            admin,
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backfill_secret') THEN CREATE ROLE backfill_secret LOGIN; "
                + "END IF; END$$; ALTER ROLE backfill_secret PASSWORD '\(password)'; GRANT CREATE ON DATABASE \(database) TO backfill_secret"
        )
        let asSecret = StoreBackend.postgres.freshStore("secret").replacingOccurrences(of: "://backfill@", with: "://backfill_secret@")
        XCTAssertNotEqual(asSecret, StoreBackend.postgres.freshStore("x"), "the test server's URL names the backfill role")
        let bad = write("ID,Date,Vendor,Amount,Currency,Status\ne1,2026-03-02,A,12.50,USD,approved\ne2,x,B,1,USD,approved\n", to: "bad.csv")
        var outputs: [String] = []
        let fromEnvironment = try run(
            ["import", "csv", bad, "--object", "expense", "--connection", "acme", "--db", asSecret, "--report", "json"],
            environment: ["PGPASSWORD": password])
        XCTAssertEqual(fromEnvironment.status, 65, fromEnvironment.stderr)
        outputs += [fromEnvironment.stdout, fromEnvironment.stderr]
        let inURL = asSecret.replacingOccurrences(of: "://backfill_secret@", with: "://backfill_secret:\(password)@")
        let fromURL = try run(["import", "csv", bad, "--object", "expense", "--connection", "acme", "--db", inURL, "--report", "html"])
        XCTAssertEqual(fromURL.status, 65, fromURL.stderr)
        outputs += [fromURL.stdout, fromURL.stderr, try run(["runs", "--db", inURL]).stdout, try run(["rejects", "--db", inURL]).stdout]
        let wrong = inURL.replacingOccurrences(of: password, with: password + "-wrong")
        let refused = try run(["import", "csv", bad, "--object", "expense", "--connection", "acme", "--db", wrong])
        XCTAssertEqual(refused.status, 77, "a refused password is permission denied: \(refused.stderr)")
        XCTAssertTrue(refused.stderr.contains("password authentication failed"), refused.stderr)
        outputs += [refused.stdout, refused.stderr]
        for output in outputs { XCTAssertFalse(output.contains(password), "the password in: \(output)") }
        let schema = String(asSecret[asSecret.range(of: "schema=")!.upperBound...])
        for table in ["runs", "rejects", "inputs", "scopes", "record_rows", "version_rows", "sync_cursors", "store_meta"] {
            XCTAssertEqual(try psql(admin, "select count(*) from \(schema).\(table) t where t::text like '%\(password)%'"), "0", table)
        }
        XCTAssertEqual(try psql(admin, "select count(*) from \(schema).runs"), "2", "both imports ran")
    }

    /// A store made by schema version 1 (foreign keys on the record tables)
    /// migrates in place and keeps its records; and with the keys gone, every
    /// row the write path fills still points at a run, scope and input.
    func testAVersion1StoreMigratesAndEveryRowStaysReferenced() throws {
        guard let admin = StoreBackend.postgresURL else { throw XCTSkip("PostgreSQL store tests SKIPPED: no server") }
        let db = StoreBackend.postgres.freshStore("v1")
        let schema = String(db[db.range(of: "schema=")!.upperBound...])
        let importCSV = { (file: String) in
            try self.run(["import", "csv", file, "--object", "expense", "--connection", "acme", "--db", db, "--report", "json"])
        }
        XCTAssertEqual(try importCSV("samples/expenses.csv").status, 0)
        XCTAssertEqual(try run(["import", "layer-bills", "samples/layer_bills.json", "--connection", "acme-layer", "--db", db]).status, 0)
        let before = try exportAll(db: db)
        var keys: [String] = []
        for (table, columns) in [
            ("record_rows", ["scope": "scopes(id)", "created_run": "runs(id)", "updated_run": "runs(id)", "input": "inputs(id)"]),
            (
                "version_rows",
                ["record_row": "record_rows(row)", "written_run": "runs(id)", "replaced_run": "runs(id)", "input": "inputs(id)"]
            ),
        ] {
            for (column, target) in columns.sorted(by: { $0.key < $1.key }) {
                keys.append(
                    "ALTER TABLE \(schema).\(table) ADD CONSTRAINT \(table)_\(column)_fkey FOREIGN KEY (\(column)) REFERENCES \(schema).\(target)"
                )
            }
            keys.append(
                "ALTER TABLE \(schema).\(table) ADD CONSTRAINT \(table)_removed_run_fkey FOREIGN KEY (removed_run) REFERENCES \(schema).runs(id)"
            )
        }
        keys.append("UPDATE \(schema).store_meta SET value = '1' WHERE key = 'schema_version'")
        _ = try psql(admin, keys.joined(separator: "; "))
        let foreignKeys = "select count(*) from pg_constraint where contype = 'f' and connamespace = '\(schema)'::regnamespace"
        XCTAssertEqual(try psql(admin, foreignKeys), "11", "a store as schema version 1 made it")

        let again = try importCSV("samples/expenses.csv")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try summary(again)?["unchanged"], 6, "the migrated store knows every record")
        XCTAssertEqual(try psql(admin, "select value from \(schema).store_meta where key = 'schema_version'"), "2")
        XCTAssertEqual(try psql(admin, foreignKeys), "1", "only rejects keeps its key")
        XCTAssertEqual(try exportAll(db: db), before)

        let csv = try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
        XCTAssertEqual(try importCSV(write(csv.replacingOccurrences(of: "18.75", with: "18.76"), to: "edited.csv")).status, 0)
        let orphans = """
            select (select count(*) from \(schema).record_rows r where not exists (select from \(schema).scopes s where s.id = r.scope)
                or not exists (select from \(schema).runs u where u.id = r.created_run)
                or not exists (select from \(schema).runs u where u.id = r.updated_run)
                or (r.input is not null and not exists (select from \(schema).inputs i where i.id = r.input)))
              + (select count(*) from \(schema).version_rows v where not exists (select from \(schema).record_rows r where r.row = v.record_row)
                or not exists (select from \(schema).runs u where u.id = v.written_run)
                or not exists (select from \(schema).runs u where u.id = v.replaced_run)),
              (select count(*) from \(schema).version_rows)
            """
        XCTAssertEqual(try psql(admin, orphans), "0|1", "no row points at nothing; the edit kept one old version")
    }
}
