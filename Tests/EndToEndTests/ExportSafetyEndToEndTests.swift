import Foundation
import XCTest

/// `export --format csv` is safe to open in a spreadsheet; `--raw-cells` is exact.
final class ExportSafetyEndToEndTests: CLITestCase {
    func testFormulaPayloadsAreNeutralizedAndTheRawFlagGivesThemBack() throws {
        let payloads = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\tx=1", "\r=1+1"]
        var csv = "ID,Date,Vendor,Amount,Currency,Status,Memo\n"
        for (i, p) in payloads.enumerated() {
            csv += "E\(i),2026-03-02,\"\(p.replacingOccurrences(of: "\"", with: "\"\""))\",-12.00,USD,approved,plain\n"
        }
        _ = write(csv, to: "formulas.csv")
        XCTAssertEqual(try run(["import", "csv", "formulas.csv", "--object", "expense"]).status, 0)

        let safe = try run(["export", "expense", "--format", "csv"])
        XCTAssertEqual(safe.status, 0, safe.stderr)
        for p in payloads {
            XCTAssertTrue(
                safe.stdout.contains("'" + p) || safe.stdout.contains("\"'" + p.replacingOccurrences(of: "\"", with: "\"\"")),
                "\(p.debugDescription) neutralized: \(safe.stdout)")
        }
        XCTAssertTrue(safe.stdout.contains(",-12.00,"), "a number in a decimal field is not touched")
        XCTAssertFalse(safe.stdout.contains(",'-12.00"))

        let raw = try run(["export", "expense", "--format", "csv", "--raw-cells"])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertTrue(raw.stdout.contains("\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""), raw.stdout)
        XCTAssertTrue(raw.stdout.contains(",@SUM(1),"), raw.stdout)
        XCTAssertFalse(raw.stdout.contains("'@SUM"))
    }
}
