import Foundation
import XCTest

final class CommandLineEndToEndTests: CLITestCase {
    func testEveryCommandHasHelp() throws {
        for args in [
            ["--help"], ["import", "--help"], ["import", "csv", "--help"], ["import", "layer-bills", "--help"],
            ["export", "--help"], ["runs", "--help"], ["sync", "--help"], ["cursors", "--help"], ["help", "import", "csv"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args)")
            XCTAssertTrue(
                r.stdout.contains("OVERVIEW:") && r.stdout.contains("USAGE:") && r.stdout.contains("OPTIONS:"), "\(args): \(r.stdout)")
        }
        XCTAssertTrue(try run(["import", "csv", "--help"]).stdout.contains("--dry-run"))
        XCTAssertTrue(try run(["sync", "--help"]).stdout.contains("EXIT CODES"))
        let top = try run(["--help"]).stdout
        for command in ["import", "sync", "export", "runs", "cursors"] { XCTAssertTrue(top.contains("  \(command) "), command) }
    }

    func testUsageErrorsExit64WithASuggestion() throws {
        let r = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--dbb", "x.sqlite"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("Did you mean '--db'?"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--help"), r.stderr)
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv"]).status, 64, "--object is required")
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expence"]).status, 64)
        XCTAssertEqual(try run(["import", "csv", "--object", "expense"]).status, 64, "no file")
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object=expense", "--mapping", "nope.json"]).status, 64)
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--detailed-exitcode"]).status, 64)
    }

    func testRunsAndExportFormats() throws {
        _ = try importSamples()
        let runs = try run(["runs", "--format", "json"])
        XCTAssertEqual(runs.status, 0)
        let lines = runs.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let newest = try json(String(lines[0]))
        XCTAssertEqual(newest["connector"] as? String, "csv_upload")
        XCTAssertEqual(newest["created"] as? Int, 3)
        XCTAssertEqual(newest["status"] as? String, "succeeded")
        XCTAssertTrue(try run(["runs"]).stdout.contains("succeeded"))
        let csv = try run(["export", "expense", "--format", "csv", "--connection", "bank"])
        XCTAssertEqual(csv.status, 0)
        XCTAssertEqual(csv.stdout.split(separator: "\r\n").count, 5, "header and 4 bank rows")
        XCTAssertTrue(csv.stdout.hasPrefix("id,source_system,connection_id,source_id,"))
        let jsonl = try run(["export", "vendor_bill"])
        let bill = try json(String(jsonl.stdout.split(separator: "\n")[0]))
        XCTAssertEqual(bill["total_amount"] as? String, "1272.50", "decimals as strings")
        XCTAssertNotNil(bill["created_at"])
        XCTAssertEqual(try run(["export", "expense", "--db", "missing.sqlite"]).status, 66)
    }
}
