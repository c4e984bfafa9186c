import Foundation
import XCTest

/// File names and values cannot forge diagnostic lines or drive the terminal.
final class TerminalSafetyEndToEndTests: CLITestCase {
    func testAFileNameWithANewlineAndAnANSIEscapePrintsEscaped() throws {
        let name = "x.csv:1: error: [fake] injected\ny\u{1B}[2J\u{1B}[31m.csv"
        _ = write(
            "id,date,amount,currency,vendor,status\nE1,2026-02-30,12.00,USD,Acme,paid\nE2\u{1B}]0;pwned\u{7},2026-02-03,1.00,USD,Acme,paid\n",
            to: name)
        let r = try run(["import", "csv", name, "--object", "expense", "--connection", "c"])
        XCTAssertEqual(r.status, 65, r.stderr)
        let escapedName = "x.csv:1: error: [fake] injected\\ny\\x1B[2J\\x1B[31m.csv"
        XCTAssertTrue(r.stderr.contains("\(escapedName):2: error: [invalid_date]"), r.stderr)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "no escape reaches the terminal")
        XCTAssertEqual(
            r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("y") }, [],
            "the newline in the name started no line of its own")
        XCTAssertTrue(r.stdout.contains(escapedName), "the text report escapes it too: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("\u{1B}"), r.stdout)
        XCTAssertTrue(r.stdout.contains("+ create  expense E2\\x1B]0;pwned\\x07"), "a value is escaped the same way: \(r.stdout)")

        let runs = try run(["runs"])
        XCTAssertTrue(runs.stdout.contains(escapedName), runs.stdout)
        XCTAssertFalse(runs.stdout.contains("\u{1B}"))
        let json = try run(["runs", "--format", "json"])
        XCTAssertTrue(json.stdout.contains(#"injected\ny\u001b[2J"#), "JSON keeps the exact name, escaped the JSON way: \(json.stdout)")
    }
}
