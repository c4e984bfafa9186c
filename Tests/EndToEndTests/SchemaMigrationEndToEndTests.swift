import BackfillSQLite
import Foundation
import XCTest

/// A store written by the build before schema v3 (`Fixtures/v2-store`,
/// dumped with `sqlite3 .dump`, which leaves
/// out `PRAGMA user_version`, so `= 4` is appended) opens with this build, is
/// migrated in place, and nothing in it changes meaning: the same exports
/// byte for byte, the same history, runs and rejects, and a re-import of
/// every input it came from is all unchanged, with the same canonical ids.
///
/// The fixture came from these imports, in order, by the earlier build: the
/// bench CSV at 300 rows (`scripts/bench --inputs-only DIR --rows 300`), the
/// samples' expenses and then `expenses-edited.csv` (one amount changed), the
/// bank export, the Dutch bank export, the vendor bills, the Layer bills and
/// then `bills-edited.json` (one payment left out, so it was removed), and
/// `bad.csv` (two rejects). Its exports, histories and rejects were written
/// by that build too.
final class SchemaMigrationEndToEndTests: CLITestCase {
    var fixture: URL { Self.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/v2-store") }

    func fixtureText(_ name: String) throws -> String {
        try String(contentsOf: fixture.appendingPathComponent(name), encoding: .utf8)
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        let store = try Database(path: db)
        try store.execute(try fixtureText("store.sql"))
        XCTAssertEqual(try sqlite("PRAGMA user_version"), "4", "the fixture is a store of the earlier schema")
        for name in ["expenses-edited.csv", "bills-edited.json", "bad.csv"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        bench.arguments = [
            "python3", Self.packageRoot.appendingPathComponent("scripts/bench").path, "--inputs-only", "bench", "--rows", "300",
        ]
        bench.currentDirectoryURL = dir
        try bench.run()
        bench.waitUntilExit()
        XCTAssertEqual(bench.terminationStatus, 0, "scripts/bench --inputs-only")
    }

    let types = ["bank_transaction", "bill_payment", "expense", "vendor", "vendor_bill"]

    func testAStoreOfTheEarlierSchemaMigratesAndKeepsEverything() throws {
        // Reading commands refuse a store that needs migrating; an import migrates it.
        let byIdentity = "SELECT id FROM records ORDER BY object_type, source_system, connection_id, source_id"
        let ids = try rows(byIdentity)
        let history =
            "SELECT group_concat(v, ';') FROM (SELECT record_id || ' ' || version || ' ' || content_hash AS v FROM record_versions ORDER BY 1)"
        let versions = try sqlite(history)
        let reimport = try run(["import", "csv", "bench/expenses.csv", "--object", "expense", "--connection", "bench", "--report", "json"])
        XCTAssertEqual(reimport.status, 0, reimport.stderr)
        XCTAssertEqual(try sqlite("PRAGMA user_version"), "5")
        let summary = try self.summary(reimport)
        XCTAssertEqual(
            summary, ["created": 0, "updated": 0, "unchanged": 300, "failed": 0, "removed": 0], "the bench CSV is all unchanged")

        XCTAssertEqual(try rows(byIdentity), ids, "the same canonical ids for the same identities")
        XCTAssertEqual(try sqlite(history), versions, "the same history")
        for type in types {
            let export = try run(["export", type, "--include-removed"])
            XCTAssertEqual(export.status, 0, export.stderr)
            XCTAssertEqual(export.stdout, try fixtureText("export-\(type).jsonl"), "\(type): the export is byte-identical")
        }
        let exp1005 = try run(["history", "expense", "exp-1005", "--connection", "acme", "--format", "json"])
        XCTAssertEqual(exp1005.stdout, try fixtureText("history-exp-1005.json"))
        let removed = try run(["history", "bill_payment", "LB-1002-payment-2", "--format", "json"])
        XCTAssertEqual(removed.stdout, try fixtureText("history-payment.json"))
        let rejects = try run(["rejects", "--run", "9", "--format", "json"])
        XCTAssertEqual(rejects.stdout, try fixtureText("rejects.json"))
        let runs = try run(["runs"])
        let before = try fixtureText("runs.txt").split(separator: "\n")
        XCTAssertEqual(Array(runs.stdout.split(separator: "\n").suffix(before.count - 1)), Array(before.dropFirst()), "every earlier run")

        // Every other input the store came from: all unchanged, nothing written.
        for args in [
            ["csv", "expenses-edited.csv", "--object", "expense", "--connection", "acme"],
            ["csv", "samples/bank_export.csv", "--object", "expense", "--connection", "bank", "--mapping", "samples/mappings/bank.json"],
            [
                "csv", "samples/eu_bank_export.csv", "--object", "bank_transaction", "--connection", "eu",
                "--mapping", "samples/mappings/eu_bank.json",
            ],
            ["csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--connection", "acme"],
            ["layer-bills", "bills-edited.json", "--connection", "layer"],
        ] {
            let r = try json(try run(["import"] + args + ["--report", "json"]).stdout)
            let counts = r["summary"] as? [String: Int]
            XCTAssertEqual(counts?["created"], 0, "\(args)")
            XCTAssertEqual(counts?["updated"], 0, "\(args)")
            XCTAssertEqual(counts?["removed"], 0, "\(args)")
            XCTAssertGreaterThan(counts?["unchanged"] ?? 0, 0, "\(args)")
        }
        XCTAssertEqual(try rows(byIdentity), ids)
        for type in types {
            XCTAssertEqual(try run(["export", type, "--include-removed"]).stdout, try fixtureText("export-\(type).jsonl"), type)
        }
        // Re-imports store fingerprints, so the next one takes the fast path.
        XCTAssertEqual(try sqlite("SELECT count(*) FROM record_rows WHERE source_id LIKE 'e-%' AND fingerprint IS NOT NULL"), "300")
    }
}
