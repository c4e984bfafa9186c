import Foundation
import XCTest

/// What the store knows, without SQL (`rejects`, `history`, `show`,
/// `cursors`), and mistakes caught early and said plainly.
final class StoreCommandsEndToEndTests: CLITestCase {
    func testRejectedRowsComeBackAsACSVThatImportsOnceFixed() throws {
        let csv = """
            id,expense_date,amount,currency,vendor_name,status
            r-1,2026-02-30,10.00,USD,Acme,approved
            r-2,2026-03-01,12.5x,USD,"Big, ""Quoted""
            Vendor",approved
            r-3,2026-03-02,5.00,USD,Fine,approved

            """
        let first = try run([
            "import", "csv", write(csv, to: "bad.csv"), "--object", "expense", "--connection", "fix", "--report-file", "/dev/null",
        ])
        XCTAssertEqual(first.status, 65, first.stderr)

        let text = try run(["rejects"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("Run 1: 2 reject(s)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("bad.csv:2: error: [invalid_date] expense_date: 2026-02-30 is not a date"), text.stdout)
        let json =
            try JSONSerialization.jsonObject(with: Data(try run(["rejects", "--run", "1", "--format", "json"]).stdout.utf8))
            as? [[String: Any]]
        XCTAssertEqual(json?.map { $0["code"] as? String }, ["invalid_date", "invalid_decimal"])
        XCTAssertEqual(json?.first?["raw"] as? String, "r-1,2026-02-30,10.00,USD,Acme,approved")

        let fix = try run(["rejects", "--format", "csv"])
        XCTAssertEqual(fix.status, 0, fix.stderr)
        XCTAssertEqual(
            fix.stdout,
            """
            id,expense_date,amount,currency,vendor_name,status,backfill_error_line,backfill_error_field,backfill_error_code,backfill_error_message
            r-1,2026-02-30,10.00,USD,Acme,approved,2,expense_date,invalid_date,2026-02-30 is not a date
            r-2,2026-03-01,12.5x,USD,"Big, ""Quoted""
            Vendor",approved,3,amount,invalid_decimal,'12.5x' is not a number

            """, "the original header and rows as read, the errors in columns of their own")
        // The user's fix, as sed would make it, and the same command as before.
        let fixed = fix.stdout.replacingOccurrences(of: "2026-02-30,10.00", with: "2026-02-28,10.00")
            .replacingOccurrences(of: "12.5x,USD", with: "12.50,USD")
        let again = try run([
            "import", "csv", write(fixed, to: "fix.csv"), "--object", "expense", "--connection", "fix", "--report", "json",
        ])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(
            try rows("select source_id || ' ' || expense_date || ' ' || amount_minor from expenses order by source_id"),
            ["r-1 2026-02-28 1000", "r-2 2026-03-01 1250", "r-3 2026-03-02 500"], "the rejected rows landed")
        XCTAssertEqual(
            try sqlite("select count(*) from expenses where metadata like '%backfill_error%'"), "0", "the error columns are left out")
        XCTAssertTrue(try run(["rejects", "--run", "2"]).stdout.contains("Run 2 has no rejects."))
        XCTAssertEqual(try run(["rejects", "--run", "9"]).status, 64, "no such run")
    }

    func testABankExportsRejectsKeepItsPreambleDelimiterAndMapping() throws {
        let original = try Data(contentsOf: dir.appendingPathComponent("samples/eu_bank_export.csv"))
        let text = try XCTUnwrap(String(data: original, encoding: .windowsCP1252))
        let broken = text.replacingOccurrences(of: "\"03-03-2026\";\"Caf", with: "\"31-02-2026\";\"Caf")
        XCTAssertNotEqual(broken, text)
        XCTAssertTrue(
            FileManager.default.createFile(
                atPath: dir.appendingPathComponent("broken.csv").path, contents: broken.data(using: .windowsCP1252)))
        let mapping = ["--object", "bank_transaction", "--connection", "nl", "--mapping", "samples/mappings/eu_bank.json"]
        let first = try run(["import", "csv", "broken.csv"] + mapping + ["--report-file", "/dev/null"])
        XCTAssertEqual(first.status, 65, first.stderr)
        let fix = try run(["rejects", "--format", "csv"])
        XCTAssertTrue(fix.stdout.hasPrefix("\"Rekeningnummer\";\"NL91ABNA0417164300\"\n"), "the preamble comes back: \(fix.stdout)")
        XCTAssertTrue(fix.stdout.contains("\"Mededelingen\";backfill_error_line;"), "the header, with ';' before the error columns")
        XCTAssertTrue(fix.stdout.contains("\"31-02-2026\";\"Café De Zwaan\""), "the row as read, decoded: \(fix.stdout)")
        let fixed = write(fix.stdout.replacingOccurrences(of: "31-02-2026", with: "03-03-2026"), to: "fixed.csv")
        let again = try run(["import", "csv", fixed] + mapping + ["--encoding", "utf-8", "--report", "json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(
            try summary(again), ["created": 1, "updated": 0, "unchanged": 0, "failed": 0, "removed": 0])
        XCTAssertEqual(try sqlite("select count(*) from bank_transactions"), "7", "every booking of the export is in")
    }

    func testRejectsOfARunWithSeveralFilesNeedOneNamed() throws {
        let a = write("id,expense_date,amount,currency,status\na1,2026-13-01,1.00,USD,approved\n", to: "a.csv")
        let b = write("id,expense_date,amount,currency,status\nb1,2026-01-01,x,USD,approved\n", to: "b.csv")
        XCTAssertEqual(try run(["import", "csv", a, b, "--object", "expense", "--report-file", "/dev/null"]).status, 65)
        let both = try run(["rejects", "--format", "csv"])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(
            both.stderr.contains("run 1 has rejects from 2 files (a.csv, b.csv); a CSV holds one: choose it with --file"), both.stderr)
        let one = try run(["rejects", "--format", "csv", "--file", "b.csv"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("b1,2026-01-01,x,USD,approved,2,amount,invalid_decimal"), one.stdout)
    }

    func testHistoryAndShowTellOneRecordsStory() throws {
        XCTAssertEqual(
            try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--report-file", "/dev/null"])
                .status, 0)
        let edited = try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
            .replacingOccurrences(of: ",1234.56,", with: ",1243.56,")
        XCTAssertEqual(
            try run([
                "import", "csv", write(edited, to: "edited.csv"), "--object", "expense", "--connection", "acme",
                "--report-file", "/dev/null",
            ]).status, 0)
        let history = try run(["history", "expense", "exp-1005", "--connection", "acme"])
        XCTAssertEqual(history.status, 0, history.stderr)
        let lines = history.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("expense exp-1005  (csv_upload/acme, id "), history.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("v1  ") && $0.contains("run 1  samples/expenses.csv:7  created") }, history.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("v2  ") && $0.contains("run 2  edited.csv:7  updated") }, history.stdout)
        XCTAssertTrue(lines.contains(#"      amount: "1234.56" → "1243.56""#), history.stdout)

        let show = try run(["show", "Expense", "exp-1005"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("version 2, written by run 2"), show.stdout)
        XCTAssertTrue(show.stdout.contains(#"  amount: "1243.56""#), show.stdout)
        let json = try self.json(try run(["show", "expense", "exp-1005", "--format", "json"]).stdout)
        XCTAssertEqual(json["amount"] as? String, "1243.56")
        XCTAssertEqual(json["source_id"] as? String, "exp-1005")
        XCTAssertEqual(try run(["show", "expense", "nope"]).status, 66)
        let typo = try run(["history", "expenses", "exp-1005"])
        XCTAssertEqual(typo.status, 64)
        XCTAssertTrue(typo.stderr.contains("Did you mean 'expense'?"), typo.stderr)
    }

    func testHelpVersionAndObjectTypesForgiveWhatTheyCan() throws {
        let nosuch = try run(["help", "nosuch"])
        XCTAssertEqual(nosuch.status, 64)
        XCTAssertTrue(nosuch.stderr.contains("no help for 'nosuch'"), nosuch.stderr)
        let nested = try run(["import", "help", "csv"])
        XCTAssertEqual(nested.status, 0)
        XCTAssertTrue(
            nested.stdout.hasPrefix("OVERVIEW: Import CSV exports"), "import help csv is the csv help: \(nested.stdout.prefix(80))")
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("backfill-sync "), version.stdout)
        let plural = try run(["import", "csv", "samples/expenses.csv", "--object", "expenses"])
        XCTAssertEqual(plural.status, 64)
        XCTAssertTrue(plural.stderr.contains("'expenses' is not one of the choices. Did you mean 'expense'?"), plural.stderr)
        XCTAssertTrue(plural.stderr.contains("\nChoices: customer, vendor"), "the choices on a line of their own: \(plural.stderr)")
        let upper = try run(["import", "csv", "samples/expenses.csv", "--object", "EXPENSE", "--report", "JSON"])
        XCTAssertEqual(upper.status, 0, upper.stderr)
        XCTAssertEqual(try json(upper.stdout)["format_version"] as? Int, 1)
    }

    func testAMissingInputLeavesNoRunRow() throws {
        let r = try run(["import", "csv", "nope.csv", "--object", "expense"])
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("nope.csv: error: [malformed_input] no such file"), r.stderr)
        XCTAssertEqual(try run(["runs"]).stdout, "No runs yet.\n", "nothing was read, so no run is recorded")
        // Beside a file that exists, the missing one is part of the run.
        XCTAssertEqual(
            try run(["import", "csv", "nope.csv", "samples/expenses.csv", "--object", "expense", "--report-file", "/dev/null"]).status, 66)
        XCTAssertEqual(try sqlite("select count(*) || ' ' || max(failed) from runs"), "1 1")
        XCTAssertEqual(try sqlite("select file from rejects"), "nope.csv")
    }

    func testLayerRunsHaveTheConnectorsOneName() throws {
        let r = try run(["import", "layer-bills", "samples/layer_bills.json", "--connection", "acme-layer", "--report-file", "/dev/null"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try sqlite("select connector from runs"), "layer_bills", "as in config: connector layer_bills")
        XCTAssertEqual(try sqlite("select distinct source_system from records"), "layer", "the records' identity is unchanged")
    }
}

/// Sync mistakes caught before any request.
final class SyncCheckEndToEndTests: SyncTestCase {
    func testSyncCheckNamesEveryProblemWithinASecondAndMakesNoRequest() throws {
        let server = try stub()
        let example = try String(contentsOf: Self.packageRoot.appendingPathComponent("config.example.json"), encoding: .utf8)
            .replacingOccurrences(of: "https://api.backfill.io", with: server.baseURL)
        _ = write(example, to: "config.json")
        let started = Date()
        let r = try run(["sync", "--check", "--config", "config.json"], environment: ["BACKFILL_TOKEN": Self.token])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertLessThan(elapsed, 1.0)
        XCTAssertTrue(r.stderr.contains("config.json: connections[1].mapping: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("mappings/bank.json") && r.stderr.contains("the mapping file is missing"), r.stderr)
        XCTAssertTrue(r.stderr.contains("connections[1].glob: the folder ") && r.stderr.contains("drops/bank does not exist"), r.stderr)
        XCTAssertEqual(server.requests.count, 0, "no request")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "no store")

        // Without --check the same config fails the same way, before any request.
        let plain = try run(["sync", "--config", "config.json"], environment: ["BACKFILL_TOKEN": Self.token])
        XCTAssertEqual(plain.status, 64)
        XCTAssertEqual(server.requests.count, 0)
        let noToken = try run(["sync", "--check", "--config", "config.json"])
        XCTAssertTrue(
            noToken.stderr.contains("connections[0].token_env: the environment variable BACKFILL_TOKEN is not set"), noToken.stderr)

        // Fixed, --check says so and still pulls nothing.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("drops/bank"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("drops/layer"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("mappings"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: dir.appendingPathComponent("samples/mappings/bank.json"), to: dir.appendingPathComponent("mappings/bank.json"))
        let ok = try run(["sync", "--check", "--config", "config.json"], environment: ["BACKFILL_TOKEN": Self.token])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("the config is valid: 3 connection(s)"), ok.stdout)
        XCTAssertEqual(server.requests.count, 0)
    }

    func testADryRunNeverClaimsACommit() throws {
        let flaky = try stub { $0.everyReset = 2 }
        config(flaky, objects: ["expense"], maxRetries: 0)
        let r = try sync(["--dry-run"])
        XCTAssertEqual(r.status, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("Nothing was written (dry run)"), r.stderr)
        XCTAssertFalse((r.stderr + r.stdout).contains("committed"), "nothing was: \(r.stderr)\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("backfill-sync sync: dry run against ") && r.stdout.contains("; nothing was written."), r.stdout)
    }

    func testAMissingConfigSaysHowToMakeOne() throws {
        let r = try run(["sync"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(
            r.stderr.contains(
                "backfill-sync.json: the config file is missing. Name one with --config PATH, "
                    + "or start from the example: cp config.example.json backfill-sync.json"), r.stderr)
    }

    func testAGlobThatMatchesNothingIsSaid() throws {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("drops"), withIntermediateDirectories: true)
        _ = write(
            #"{"version": 1, "connections": [{"name": "bank", "connector": "csv_upload", "connection_id": "b", "glob": "drops/*.csv", "object": "expense"}]}"#,
            to: "sync.json")
        let r = try run(["sync", "--config", "sync.json", "--report", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: bank: no file matches "), r.stderr)
        XCTAssertTrue((try json(r.stdout)["notes"] as? [String] ?? []).contains { $0.contains("bank: no file matches ") }, r.stdout)
    }
}
