import Foundation
import XCTest

/// `export | import jsonl -`: records move between stores with their
/// identities, canonical ids and payloads, and a second pass changes nothing.
final class JSONLEndToEndTests: CLITestCase {
    /// Runs a bash pipeline (failing if any part fails) with `$B` set to the binary.
    func pipeline(_ script: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -o pipefail; " + script]
        process.environment = ProcessInfo.processInfo.environment.merging(["B": Self.binary.path]) { $1 }
        process.currentDirectoryURL = dir
        let err = Pipe()
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    /// An export's records without the two timestamps each store sets itself.
    func exported(_ type: String, db: String) throws -> [NSDictionary] {
        let r = try run(["export", type, "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try r.stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object.filter { $0.key != "created_at" && $0.key != "updated_at" } as NSDictionary
        }
    }

    func testRecordsMoveBetweenStoresAndASecondPassIsAllUnchanged() throws {
        let samples = Self.packageRoot.appendingPathComponent("samples")
        XCTAssertEqual(
            try run([
                "import", "csv", samples.appendingPathComponent("expenses.csv").path, "--object", "expense",
                "--connection", "acme", "--db", db,
            ]).status, 0)
        XCTAssertEqual(
            try run([
                "import", "layer-bills", samples.appendingPathComponent("layer_bills.json").path,
                "--connection", "acme-layer", "--db", db,
            ]).status, 0)
        let other = dir.appendingPathComponent("other.sqlite").path
        for type in ["expense", "vendor_bill", "bill_payment", "vendor"] {
            let before = try exported(type, db: db)
            XCTAssertFalse(before.isEmpty, type)
            for pass in 1...2 {
                let moved = try pipeline(
                    "\"$B\" export \(type) --db '\(db)' | \"$B\" import jsonl - --object \(type) --db '\(other)' "
                        + "--report json --report-file pass\(pass).json")
                XCTAssertEqual(moved.status, 0, moved.stderr)
                let report = try json(String(contentsOf: dir.appendingPathComponent("pass\(pass).json"), encoding: .utf8))
                let counts = try XCTUnwrap(report["summary"] as? [String: Int], "\(report)")
                if pass == 1 {
                    XCTAssertEqual(counts["created"], before.count, type)
                } else {
                    XCTAssertEqual(counts["unchanged"], before.count, "\(type): the second pass changes nothing")
                    XCTAssertEqual(counts["created"], 0)
                    XCTAssertEqual(counts["updated"], 0)
                }
            }
            XCTAssertEqual(try exported(type, db: other), before, "\(type): same identities, canonical ids and payloads")
        }
    }

    func testABrokenLineIsRejectedWithItsLineAndTheRestImports() throws {
        let file = write(
            """
            {"source_system":"tool","source_id":"a","amount":"1.00","currency":"USD","status":"approved","expense_date":"2026-01-02"}
            {"source_system":"tool","source_id":"b","amount":
            {"source_system":"tool","source_id":"c","amount":"3.00","currency":"USD","status":"approved","expense_date":"2026-01-03"}

            """, to: "tool.jsonl")
        let r = try run(["import", "jsonl", file, "--object", "expense", "--db", db])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("tool.jsonl:2"), r.stderr)
        XCTAssertEqual(try rows("SELECT source_id FROM records ORDER BY source_id"), ["a", "c"])
        XCTAssertEqual(
            try run([
                "import", "jsonl", dir.appendingPathComponent("none.jsonl").path, "--object", "expense",
                "--db", db,
            ]).status, 66)
    }
}
