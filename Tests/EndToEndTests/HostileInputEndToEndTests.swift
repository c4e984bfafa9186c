import BackfillAPIStub
import BackfillCore
import Foundation
import XCTest

/// Inputs a hostile world sends: each gets a located error and the exit code
/// the README gives, never a signal, and never poisons the store.
final class HostileInputEndToEndTests: CLITestCase {
    static func bill(_ id: String, unitPrice: String = "12300", description: String = "Chairs") -> String {
        #"{"external_id": "\#(id)", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-05-02T00:00:00Z", "vendor_id": "v-1", "#
            + #""line_items": [{"description": "\#(description)", "unit_price": \#(unitPrice), "quantity": 2}]}"#
    }

    func importLayer(_ file: String, _ extra: [String] = []) throws -> Result {
        try run(["import", "layer-bills", file, "--connection", "acme"] + extra)
    }

    func assertNoSignal(_ r: Result, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(r.status, 128, "\(what) ended by a signal: \(r.stderr.suffix(500))", file: file, line: line)
    }

    func testDeepNestingIsALocatedDepthError() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let r = try importLayer(write(deep, to: "deep.json"))
        assertNoSignal(r, "a 100,000-deep Layer file")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("deep.json:1: error: [too_deep]") && r.stderr.contains("deeper than 256 levels (byte 256)"),
            r.stderr)
    }

    func testLoneSurrogatesRejectTheirBillAndTheOthersLand() throws {
        let bills = [
            Self.bill("G-1"), Self.bill("S-1", description: #"\ud800\ud800"#), Self.bill("S-2", description: #"\ud800\u0041"#),
            Self.bill("S-3", description: #"\udc00"#), Self.bill("G-2"),
        ]
        let r = try importLayer(write("[\n" + bills.joined(separator: ",\n") + "\n]", to: "sur.json"))
        assertNoSignal(r, "surrogates")
        XCTAssertEqual(r.status, 65, r.stderr)
        for (n, path) in [(3, "$[1]"), (4, "$[2]"), (5, "$[3]")] {
            XCTAssertTrue(r.stderr.contains("sur.json:\(n) \(path).line_items[0].description: error: [invalid_encoding]"), r.stderr)
        }
        XCTAssertEqual(try sqlite("select source_id from vendor_bills order by source_id"), "G-1\nG-2")
    }

    func testOversizedAmountsAreRejectedNeverTrapped() throws {
        let huge = String(repeating: "9", count: 38)
        let r = try importLayer(write("[" + Self.bill("BIG", unitPrice: huge) + ", " + Self.bill("OK") + "]", to: "big.json"))
        assertNoSignal(r, "a 38-digit unit_price")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("$[0].line_items[0].unit_price: error: [invalid_decimal]") && r.stderr.contains("too large"),
            r.stderr)
        XCTAssertEqual(try sqlite("select source_id from vendor_bills"), "OK")

        // Two amounts each within the limit whose sum is not: the document is rejected, the other lands.
        let most = String(repeating: "9", count: 18)
        let csv = """
            source_id,bill_date,due_date,vendor_id,currency,lines.description,lines.amount
            b-big,2026-04-01,2026-05-01,v-1,USD,a,\(most)
            b-big,2026-04-01,2026-05-01,v-1,USD,b,\(most)
            b-38,2026-04-01,2026-05-01,v-1,USD,a,\(huge)
            b-38,2026-04-01,2026-05-01,v-1,USD,b,\(huge)
            b-ok,2026-04-01,2026-05-01,v-1,USD,a,10.00
            """
        let c = try run(["import", "csv", write(csv, to: "bills.csv"), "--object", "vendor_bill", "--connection", "acme"])
        assertNoSignal(c, "line sums past the limit")
        XCTAssertEqual(c.status, 65, c.stderr)
        XCTAssertTrue(c.stderr.contains("bills.csv:2: error: [invalid_decimal] total_amount: too large"), c.stderr)
        XCTAssertTrue(c.stderr.contains("bills.csv:4: error: [invalid_decimal] lines[0].amount: '\(huge)' is too large"), c.stderr)
        XCTAssertEqual(try sqlite("select source_id from vendor_bills order by source_id"), "OK\nb-ok")

        // A 10,000-digit amount is named briefly, with the right reason.
        let long = String(repeating: "7", count: 10_000)
        let l = try importLayer(write("[" + Self.bill("LONG", unitPrice: long) + "]", to: "long.json"))
        XCTAssertEqual(l.status, 65)
        XCTAssertTrue(l.stderr.contains("is too large") && !l.stderr.contains("whole number"), l.stderr)
        XCTAssertLessThan(l.stderr.count, 1000, "the value is cut, not echoed whole")
    }

    func testBrokenFilesApplyNothingAndNameLineAndByte() throws {
        let bill = Self.bill("B-1")
        let other = Self.bill("B-2")
        let cases: [(String, String, String)] = [
            ("[\(bill)] garbage", "trailing.json", "unexpected 'g' after the top-level JSON value"),
            ("[\(bill)][\(other)]", "two.json", "unexpected '[' after the top-level JSON value"),
            ("{\"data\":[\(bill)]", "open.json", "the file ends inside the top-level object"),
            (
                "[\(bill),\n" + other.replacingOccurrences(of: #""vendor_id""#, with: #""external_id": "B-3", "vendor_id""#) + "]",
                "twice.json", "[duplicate_key]"
            ),
            (
                "[\(bill),\n" + other.replacingOccurrences(of: #""quantity": 2"#, with: #""quantity": 0.1.2"#) + "]",
                "number.json", "expected ',' or '}' but found '.'"
            ),
        ]
        for (text, name, expected) in cases {
            let r = try importLayer(write(text, to: name))
            assertNoSignal(r, name)
            XCTAssertEqual(r.status, 65, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(name): \(r.stderr)")
            XCTAssertTrue(
                r.stderr.range(of: #"\#(name):[0-9]+: error: .*\(byte [0-9]+\)"#, options: .regularExpression) != nil,
                "names the line and byte: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("nothing from this file was applied"), r.stderr)
        }
        XCTAssertEqual(try sqlite("select count(*) from vendor_bills"), "0", "nothing from any of these files landed")
    }

    func testBinaryAndHugeInputsAreRefusedWithinBoundedMemory() throws {
        let zero = try run(["import", "csv", "/dev/zero", "--object", "expense"])
        XCTAssertEqual(zero.status, 65, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("/dev/zero:1: error: [invalid_encoding] has a NUL byte at byte 0"), zero.stderr)

        // One 200 MB cell: refused at 16 MiB, never buffered whole.
        let path = dir.appendingPathComponent("cell.csv").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("source_id,description\ne-1,\"".utf8)))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        let chunk = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<200 { handle.write(chunk) }
        handle.write(Data("\"\n".utf8))
        handle.closeFile()
        let cell = try run(["import", "csv", "cell.csv", "--object", "expense"])
        XCTAssertEqual(cell.status, 65, cell.stderr)
        XCTAssertTrue(
            cell.stderr.contains("cell.csv:2: error: [too_large] field 2 of the row starting here is larger than 16 MiB"),
            cell.stderr)
        try FileManager.default.removeItem(atPath: path)
        XCTAssertLessThan(Self.peakChildMiB(), 256, "every child so far, these included, stayed under 256 MiB")

        let utf16 = dir.appendingPathComponent("u16.csv")
        try Data([0xFF, 0xFE] + Array("source_id\n".utf8).flatMap { [$0, 0] }).write(to: utf16)
        let u = try run(["import", "csv", "u16.csv", "--object", "expense"])
        XCTAssertEqual(u.status, 65)
        XCTAssertTrue(u.stderr.contains("UTF-16 (little-endian"), u.stderr)
    }

    /// The largest resident size of any child process waited for so far.
    static func peakChildMiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }

    /// After every sample and every fixture here is imported, every stored
    /// payload is JSON SQLite accepts, and every view can be read whole.
    func testEverythingImportedLeavesAQueryableStore() throws {
        for r in try importSamples() { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertEqual(try run(["import", "layer-bills", "samples/layer_bills.json", "--connection", "layer"]).status, 0)
        let fixtures = Self.packageRoot.appendingPathComponent("Tests/FuzzRegressionTests/corpus")
        for target in ["csv", "layer"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(target).path).sorted() {
                let file = fixtures.appendingPathComponent(target).appendingPathComponent(name).path
                let r =
                    target == "csv"
                    ? try run(["import", "csv", file, "--object", name.contains("lines") ? "vendor_bill" : "expense", "--connection", "fx"])
                    : try run(["import", "layer-bills", file, "--connection", "fx-\(name)"])
                assertNoSignal(r, name)
                XCTAssertTrue([0, 65].contains(r.status), "\(name): \(r.status) \(r.stderr)")
            }
        }
        XCTAssertGreaterThan(Int(try sqlite("select count(*) from records")) ?? 0, 20)
        XCTAssertEqual(try sqlite("select count(*) from records where not json_valid(payload)"), "0")
        XCTAssertEqual(try sqlite("select count(*) from record_versions where not json_valid(payload)"), "0")
        let views = try sqlite("select name from sqlite_master where type = 'view' order by name").split(separator: "\n")
        // One per type, and `records` and `record_versions`, the v2 tables as views.
        XCTAssertEqual(views.count, ContractCatalog.standard.objectTypes.count + 2)
        for view in views {
            XCTAssertNoThrow(try sqlite("select count(*) from (select * from \"\(view)\")"), String(view))
        }
        for type in ContractCatalog.standard.objectTypes {
            let export = try run(["export", type])
            XCTAssertEqual(export.status, 0, export.stderr)
            for line in export.stdout.split(separator: "\n") { XCTAssertNoThrow(try JSONParser.parse(String(line)), type) }
        }
    }
}
