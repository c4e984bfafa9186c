import Foundation
import XCTest

final class ImportEndToEndTests: CLITestCase {
    func testSamplesImportOnceThenAllUnchangedAndExportIsByteIdentical() throws {
        for r in try importSamples() {
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try json(r.stdout)["status"] as? String, "succeeded")
        }
        let exportBefore = try run(["export", "expense"]).stdout + run(["export", "vendor_bill"]).stdout
        XCTAssertEqual(exportBefore.split(separator: "\n").count, 13)
        for r in try importSamples() {
            XCTAssertEqual(r.status, 0, r.stderr)
            let summary = try json(r.stdout)["summary"] as! [String: Int]
            XCTAssertEqual(summary["created"], 0)
            XCTAssertEqual(summary["updated"], 0)
            XCTAssertEqual(summary["failed"], 0)
            XCTAssertGreaterThan(summary["unchanged"]!, 0)
        }
        let exportAfter = try run(["export", "expense"]).stdout + run(["export", "vendor_bill"]).stdout
        XCTAssertEqual(exportAfter, exportBefore, "byte-identical")
        XCTAssertEqual(try sqlite("select count(*) from record_versions"), "0")
        XCTAssertEqual(try sqlite("select amount_minor from expenses where source_id = 'exp-1004'"), "48200", "JPY has no minor unit")
        XCTAssertEqual(
            try sqlite("select document_date || ' ' || amount_minor from expenses where source_id = 'TXN-88120'"), "2026-03-02 125000")
    }

    func testDryRunOfOneEditedAmountShowsExactlyThatUpdateAndWritesNothing() throws {
        _ = try importSamples()
        let original = try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
        let edited = original.replacingOccurrences(of: ",1234.56,", with: ",1243.56,")
        XCTAssertNotEqual(edited, original)
        _ = write(edited, to: "expenses-edited.csv")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let r = try run([
            "import", "csv", "expenses-edited.csv", "--object", "expense", "--connection", "acme",
            "--dry-run", "--report", "json", "--detailed-exitcode",
        ])
        XCTAssertEqual(r.status, 2, "changes present")
        let report = try json(r.stdout)
        XCTAssertEqual(report["mode"] as? String, "dry_run")
        XCTAssertEqual(report["format_version"] as? Int, 1)
        XCTAssertEqual(report["summary"] as? [String: Int], ["created": 0, "updated": 1, "unchanged": 5, "failed": 0, "removed": 0])
        let changes = try XCTUnwrap(report["changes"] as? [[String: Any]])
        XCTAssertEqual(changes.count, 1)
        XCTAssertEqual(changes[0]["action"] as? String, "update")
        XCTAssertEqual(changes[0]["source_id"] as? String, "exp-1005")
        XCTAssertEqual(changes[0]["connection_id"] as? String, "acme")
        XCTAssertEqual(changes[0]["fields"] as? [String: [String: String]], ["amount": ["from": "1234.56", "to": "1243.56"]])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before, "the store file is byte-identical")
        XCTAssertEqual(try sqlite("select count(*) from runs"), "3", "a dry run leaves no run row")

        let text = try run(["import", "csv", "expenses-edited.csv", "--object", "expense", "--connection", "acme", "--dry-run"])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("~ update  expense exp-1005"), text.stdout)
        XCTAssertTrue(text.stdout.contains("amount: \"1234.56\" → \"1243.56\""), text.stdout)
        XCTAssertTrue(text.stdout.contains("would be 0 created, 1 updated, 5 unchanged, 0 rejected"), text.stdout)
    }

    func testDryRunDoesNotCreateAStore() throws {
        let r = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stdout.contains("+ create  expense exp-1001"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: db))
    }

    func testRFC4180EdgeCasesImportCorrectly() throws {
        let good =
            "\u{FEFF}ID,Date,Amount,Currency,Status,Description,Memo\r\n"
            + "q1,2026-01-05,10.00,USD,approved,\"Lunch, team of 4\",\r\n"
            + "q2,2026-01-06,20.00,USD,approved,\"The \"\"best\"\" pizza\",note\n"
            + "q3,2026-01-07,30.00,USD,approved,\"Line one\nLine two\",\r\n"
            + "q4,2026-01-08,40.00,USD,approved,,\n"
            + "\n"
        let name = write(good, to: "edge.csv")
        let r = try run(["import", "csv", name, "--object", "expense", "--report", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try sqlite("select group_concat(source_id || '=' || amount_minor, ' ') from expenses"), "q1=1000 q2=2000 q3=3000 q4=4000")
        XCTAssertEqual(try sqlite("select description from expenses where source_id = 'q1'"), "Lunch, team of 4")
        XCTAssertEqual(try sqlite("select description from expenses where source_id = 'q2'"), "The \"best\" pizza")
        XCTAssertEqual(try sqlite("select description from expenses where source_id = 'q3'"), "Line one\nLine two")
        XCTAssertEqual(
            try sqlite("select coalesce(description, 'NULL') from expenses where source_id = 'q4'"), "NULL", "empty optional field")
        let origins = (try json(r.stdout)["changes"] as! [[String: Any]]).map { $0["origin"] as! String }
        XCTAssertEqual(origins, ["edge.csv:2", "edge.csv:3", "edge.csv:4", "edge.csv:6"], "physical lines")
    }

    func testBadRowsExit65NameFileLineAndFieldAndGoodRowsLand() throws {
        let csv = """
            ID,Date,Amount,Currency,Status
            g1,2026-01-05,10.00,USD,approved
            r1,2026-01-06,11.00,USD,approved,EXTRA
            d1,2026-02-30,12.00,USD,approved
            n1,2026-01-07,twelve,USD,approved
            ,2026-01-08,13.00,USD,approved
            g2,2026-01-09,14.00,USD,approved

            """
        let name = write(csv, to: "bad.csv")
        let r = try run(["import", "csv", name, "--object", "expense", "--report", "json"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.csv:3: error: [ragged_row]"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.csv:4: error: [invalid_date] expense_date: 2026-02-30 is not a date"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.csv:5: error: [invalid_decimal] amount:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.csv:6: error: [missing_required] source_id: is required"), r.stderr)
        let errors = try XCTUnwrap(try json(r.stdout)["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.map { $0["line"] as? Int }, [3, 4, 5, 6])
        XCTAssertEqual(errors[1]["source_id"] as? String, "d1")
        XCTAssertEqual(errors[1]["field"] as? String, "expense_date")
        XCTAssertEqual(errors[1]["code"] as? String, "invalid_date")
        XCTAssertEqual(try sqlite("select group_concat(source_id) from expenses"), "g1,g2", "the good rows still land")
        XCTAssertEqual(
            try sqlite("select count(*) || ' ' || group_concat(distinct code) from rejects"),
            "4 ragged_row,invalid_date,invalid_decimal,missing_required")
        XCTAssertEqual(try sqlite("select raw from rejects where code = 'invalid_date'"), "d1,2026-02-30,12.00,USD,approved")
        XCTAssertEqual(try sqlite("select status || ' ' || created || ' ' || failed from runs"), "partial 2 4")

        let strict = try run(["import", "csv", name, "--object", "expense", "--db", "strict.sqlite", "--strict"])
        XCTAssertEqual(strict.status, 65)
        XCTAssertTrue(strict.stdout.contains("nothing was applied"), strict.stdout)
    }

    func testInvalidUTF8RejectsTheFileUnlessTheEncodingIsGiven() throws {
        var bytes = Data(
            "ID,Date,Amount,Currency,Status,Description\nw1,2026-01-05,1.00,EUR,approved,ok\nw2,2026-01-06,2.00,EUR,approved,Caf".utf8)
        bytes.append(0xE9)
        bytes.append(Data("\n".utf8))
        try bytes.write(to: dir.appendingPathComponent("latin.csv"))
        let r = try run(["import", "csv", "latin.csv", "samples/expenses.csv", "--object", "expense"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("latin.csv:3: error: [invalid_encoding]"), r.stderr)
        XCTAssertEqual(try sqlite("select count(*) from expenses where source_id like 'w%'"), "0", "nothing of that file, not even line 2")
        XCTAssertEqual(try sqlite("select count(*) from expenses where source_id like 'exp-%'"), "6", "the other file still applies")
        let decoded = try run(["import", "csv", "latin.csv", "--object", "expense", "--encoding", "windows-1252"])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(try sqlite("select description from expenses where source_id = 'w2'"), "Café")
    }

    func testAFileNamedTwiceIsImportedOnce() throws {
        let r = try run(["import", "csv", "samples/expenses.csv", "samples/expenses.csv", "--object", "expense"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("named more than once"), r.stderr)
        XCTAssertTrue(r.stdout.contains("6 created, 0 updated, 0 unchanged, 0 rejected"), r.stdout)
    }

    func testMissingFileExits66AndOthersStillApply() throws {
        let r = try run(["import", "csv", "nope.csv", "samples/expenses.csv", "--object", "expense"])
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("nope.csv: error:"), r.stderr)
        XCTAssertEqual(try sqlite("select count(*) from expenses"), "6")
    }

    func testReportFileLeavesStdoutEmpty() throws {
        let r = try run([
            "import", "csv", "samples/expenses.csv", "--object", "expense", "--report", "markdown", "--report-file", "report.md",
        ])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        let report = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| 6 | 0 | 0 | 0 |"), report)
    }
}
