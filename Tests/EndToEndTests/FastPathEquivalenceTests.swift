import BackfillSQLite
import Foundation
import XCTest

/// The fast path for unchanged rows (`RecordFingerprinter`) must classify
/// every record as the slow path does: the same creates, updates, removals,
/// unchanged counts and rejects, and the same store afterwards. Every input
/// the project ships or tests with runs through both, in one sequence: first
/// import, re-import, changed inputs, and everything once more.
final class FastPathEquivalenceTests: CLITestCase {
    /// Every fixture: the samples with their mappings, and the fuzz corpora's
    /// CSV, Layer and JSON Lines seeds, which include the odd and the broken.
    func fixtureImports() throws -> [[String]] {
        var imports: [[String]] = [
            ["csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme"],
            ["csv", "samples/bank_export.csv", "--object", "expense", "--connection", "bank", "--mapping", "samples/mappings/bank.json"],
            ["csv", "samples/vendor_bills.csv", "--object", "vendor_bill", "--connection", "acme"],
            [
                "csv", "samples/eu_bank_export.csv", "--object", "bank_transaction", "--connection", "eu",
                "--mapping", "samples/mappings/eu_bank.json",
            ],
            [
                "csv", "samples/us_checking_export.csv", "--object", "expense", "--connection", "us",
                "--mapping", "samples/mappings/us_checking.json",
            ],
            [
                "csv", "samples/card_statement.csv", "--object", "expense", "--connection", "card",
                "--mapping", "samples/mappings/card_statement.json",
            ],
            ["layer-bills", "samples/layer_bills.json", "--connection", "layer"],
            ["csv", "big.csv", "--object", "expense", "--connection", "big"],
            ["layer-bills", "bills.json", "--connection", "layer-edit"],
        ]
        let corpus = Self.packageRoot.appendingPathComponent("Tests/FuzzRegressionTests/corpus")
        for (folder, command) in [("csv", "csv"), ("layer", "layer-bills"), ("jsonl", "jsonl")] {
            let names = try FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(folder).path).sorted()
            for name in names {
                let path = corpus.appendingPathComponent(folder).appendingPathComponent(name).path
                switch command {
                case "csv":
                    imports.append(["csv", path, "--object", name.contains("lines") ? "vendor_bill" : "expense", "--connection", "fx"])
                case "jsonl":
                    imports.append(["jsonl", path, "--object", name.contains("vendor_bill") ? "vendor_bill" : "expense"])
                default:
                    imports.append(["layer-bills", path, "--connection", "fx-\(name)"])
                }
            }
        }
        return imports
    }

    /// A report with what differs between any two runs taken out: run ids,
    /// the store's path, timestamps.
    func comparable(_ report: String) -> String {
        report.replacingOccurrences(of: #""run_id": \d+"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""store": "[^"]*""#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "T", options: .regularExpression)
    }

    func testTheFastAndTheSlowPathClassifyEveryFixtureAlike() throws {
        _ = bigCSV("big.csv", rows: 3000)
        let bills = try String(contentsOf: dir.appendingPathComponent("samples/layer_bills.json"), encoding: .utf8)
        _ = write(bills, to: "bills.json")
        let imports = try fixtureImports()
        let stores = ["fast": "fast.sqlite", "slow": "slow.sqlite"]
        var steps = 0
        func pass(_ label: String) throws {
            for args in imports {
                var reports: [String: Result] = [:]
                for (mode, store) in stores {
                    reports[mode] = try run(
                        ["import"] + args + ["--db", store, "--report", "json"],
                        environment: ["BACKFILL_FAST_PATH": mode == "fast" ? "on" : "off"])
                }
                let fast = reports["fast"]!
                let slow = reports["slow"]!
                XCTAssertEqual(fast.status, slow.status, "\(label) \(args)")
                XCTAssertEqual(comparable(fast.stdout), comparable(slow.stdout), "\(label) \(args)")
                steps += 1
            }
        }
        try pass("first import")
        try pass("re-import")
        // Changed inputs: a tenth of the amounts, a hundredth new rows, and a
        // bill with other lines and its payments gone (children removed).
        var changed = "ID,Date,Vendor,Amount,Currency,Status\n"
        for i in 0..<3030 { changed += "e\(i),2026-03-02,Vendor \(i),\(i % 1000).\(i % 10 == 3 ? "75" : "25"),USD,approved\n" }
        _ = write(changed, to: "big.csv")
        let editedBills = bills.replacingOccurrences(of: "\"payments\"", with: "\"unused_payments\"")
            .replacingOccurrences(of: "\"quantity\": 2", with: "\"quantity\": 3")
        XCTAssertNotEqual(editedBills, bills, "the Layer sample has payments and a quantity of 2 to edit")
        _ = write(editedBills, to: "bills.json")
        try pass("changed inputs")
        try pass("once more")
        XCTAssertEqual(steps, imports.count * 4)

        // The same store content, record for record.
        for type in ["expense", "vendor_bill", "bank_transaction", "bill_payment"] {
            let fast = try run(["export", type, "--db", "fast.sqlite"])
            let slow = try run(["export", type, "--db", "slow.sqlite"])
            XCTAssertEqual(fast.status, 0, fast.stderr)
            XCTAssertEqual(comparable(fast.stdout), comparable(slow.stdout), type)
        }
        let versions = "select count(*) from record_versions"
        XCTAssertEqual(try sqlite(versions, in: "fast.sqlite"), try sqlite(versions, in: "slow.sqlite"))
    }

    /// The proof the fast path is taken at all: with every stored content
    /// hash spoilt, a re-import is still all unchanged (it compared
    /// fingerprints), while with the fast path off the same store reports
    /// every record updated.
    func testAReimportSkipsNormalizingRecordsWhoseFingerprintMatches() throws {
        _ = bigCSV("big.csv", rows: 2000)
        let args = ["import", "csv", "big.csv", "--object", "expense", "--connection", "big", "--report", "json"]
        XCTAssertEqual(try run(args).status, 0)
        XCTAssertEqual(try sqlite("select count(*) from record_rows where length(fingerprint) = 16"), "2000")
        try FileManager.default.copyItem(atPath: db, toPath: db + ".copy")
        for path in [db, db + ".copy"] {
            try Database(path: path).execute("UPDATE record_rows SET content_hash = zeroblob(32)")
        }
        XCTAssertEqual(try summary(try run(args))?["unchanged"], 2000)
        let slow = try run(args + ["--db", db + ".copy"], environment: ["BACKFILL_FAST_PATH": "off"])
        XCTAssertEqual(try summary(slow)?["updated"], 2000)
    }

    /// A Layer bill's records are fingerprinted by the bill's bytes as
    /// written. The fast path is taken for all of them (the spoilt hashes
    /// are never looked at), and what else shapes them, the currency, makes
    /// every fingerprint miss: the same file read as yen has other amounts.
    func testLayerFingerprintsAreTheBillsBytesAndTheCurrency() throws {
        let bills = try String(contentsOf: dir.appendingPathComponent("samples/layer_bills.json"), encoding: .utf8)
        _ = write(bills, to: "bills.json")
        let args = ["import", "layer-bills", "bills.json", "--connection", "l", "--report", "json"]
        let first = try summary(try run(args)) ?? [:]
        let created = first["created"] ?? 0
        XCTAssertGreaterThan(created, 3, "\(first)")
        try Database(path: db).execute("UPDATE record_rows SET content_hash = zeroblob(32)")
        let again = try summary(try run(args)) ?? [:]
        XCTAssertEqual(again["unchanged"], created, "\(again)")
        XCTAssertEqual(again["updated"], 0, "\(again)")
        let yen = try summary(try run(args + ["--currency", "JPY"])) ?? [:]
        XCTAssertEqual(yen["unchanged"], 0, "\(yen)")
        XCTAssertEqual(yen["updated"], created, "\(yen)")
    }

    /// A CSV row is fingerprinted by its text as read, hashed with what else
    /// turns text into fields: the header, each column's target, constants
    /// and defaults. The same rows under a header with two columns swapped,
    /// or with another constant, are other records, and must miss; the
    /// spoilt content hashes show that an unchanged count came from the
    /// fingerprints alone.
    func testCSVFingerprintsAreTheRowsTextAndWhatMapsIt() throws {
        let rows = "e1,2026-03-02,Acme,Paper,12.50,USD,approved\ne2,2026-03-03,Globex,Toner,40.00,USD,approved\n"
        _ = write("ID,Date,Vendor,Description,Amount,Currency,Status\n" + rows, to: "rows.csv")
        let base = ["import", "csv", "rows.csv", "--object", "expense", "--connection", "c", "--report", "json"]
        func counts(_ extra: [String] = []) throws -> [String: Int] {
            let result = try run(base + extra)
            XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
            return try summary(result) ?? [:]
        }
        XCTAssertEqual(try counts()["created"], 2)
        try Database(path: db).execute("UPDATE record_rows SET content_hash = zeroblob(32)")
        XCTAssertEqual(try counts()["unchanged"], 2, "the same text and mapping: the fast path")

        _ = write("ID,Date,Description,Vendor,Amount,Currency,Status\n" + rows, to: "rows.csv")
        XCTAssertEqual(try counts()["updated"], 2, "the same rows under another header")
        XCTAssertEqual(try sqlite("select group_concat(vendor_name, ' ') from expenses order by source_id"), "Paper Toner")

        let constant = write(#"{"constants": {"memo": "from the bank"}}"#, to: "constant.json")
        XCTAssertEqual(try counts(["--mapping", constant])["updated"], 2, "a constant the rows do not hold")
        let other = write(#"{"constants": {"memo": "from the card"}}"#, to: "other.json")
        XCTAssertEqual(try counts(["--mapping", other])["updated"], 2, "another constant")
        XCTAssertEqual(try counts(["--mapping", other])["unchanged"], 2)
    }

    /// Anything that shapes the payload besides the row (here the mapping's
    /// amount format) makes the fingerprints miss: the same file read with
    /// decimal commas is compared by content, and its amounts change.
    func testAnotherMappingMakesEveryFingerprintMiss() throws {
        _ = write(
            "ID,Date,Amount,Currency,Status\ne1,2026-03-02,\"1,250\",EUR,approved\ne2,2026-03-03,\"2,500\",EUR,approved\n",
            to: "amounts.csv")
        let columns =
            #""columns": {"ID": "source_id", "Date": "expense_date", "Amount": "amount", "Currency": "currency", "Status": "status"}"#
        let plain = write("{\(columns), \"amounts\": {\"thousands_separator\": \",\"}}", to: "plain.json")
        let comma = write("{\(columns), \"amounts\": {\"decimal_separator\": \",\"}}", to: "comma.json")
        let base = ["import", "csv", "amounts.csv", "--object", "expense", "--connection", "c", "--report", "json"]
        let first = try run(base + ["--mapping", plain])
        XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
        XCTAssertEqual(try sqlite("select group_concat(amount, ' ') from expenses"), "1250.0 2500.0")
        let again = try summary(try run(base + ["--mapping", comma])) ?? [:]
        XCTAssertEqual(again["updated"], 2, "\(again)")
        XCTAssertEqual(try sqlite("select group_concat(amount, ' ') from expenses"), "1.25 2.5")
    }

    /// A repeat is rejected naming its first line whichever path met the
    /// first occurrence: the fast path (a bit per stored row), a row this
    /// run created, or the slow path; a record from an earlier input of the
    /// run is no repeat; and an input rolled back leaves nothing behind.
    /// The re-import's first rows are normalized before `FastPathHint` turns,
    /// so repeats of e5 and of e4500 meet the two paths.
    func testRepeatsAreFoundWhicheverPathMetTheFirst() throws {
        var rows = "ID,Date,Vendor,Amount,Currency,Status\n"
        for i in 0..<5000 { rows += "e\(i),2026-03-02,Vendor \(i),\(i).25,USD,approved\n" }
        let repeats =
            "e4500,2026-03-02,Vendor 4500,4500.25,USD,approved\ne4501,2026-03-02,Vendor 4501,9.99,USD,approved\n"
            + "e4500,2026-03-02,Vendor 4500,4500.25,USD,approved\ne5,2026-03-02,Vendor 5,5.25,USD,approved\n"
            + "n1,2026-03-02,New,1.00,USD,approved\nn1,2026-03-02,New,1.00,USD,approved\n"
        _ = write(rows + repeats, to: "rows.csv")
        // The same rows again, then a quote never closed: rolled back.
        _ = write(rows + "e1,2026-03-02,\"Vendor 1,1.25,USD,approved\n", to: "broken.csv")
        _ = write(
            "ID,Date,Vendor,Amount,Currency,Status\ne4000,2026-03-02,Vendor 4000,4000.25,USD,approved\n"
                + "e4000,2026-03-02,Vendor 4000,4000.25,USD,approved\n", to: "again.csv")
        let expected = [
            "5002 'e4500' first on line 4502", "5003 'e4501' first on line 4503", "5004 'e4500' first on line 4502",
            "5005 'e5' first on line 7", "5007 'n1' first on line 5006",
        ]
        func rejects(_ result: Result) throws -> [String] {
            let errors = try json(result.stdout)["errors"] as? [[String: Any]] ?? []
            return errors.map { error in
                let message = error["message"] as? String ?? ""
                let first = message.range(of: #"first on line \d+"#, options: .regularExpression).map { String(message[$0]) } ?? message
                return "\(error["line"] as? Int ?? 0) '\(error["source_id"] as? String ?? "")' \(first)"
            }
        }
        for mode in ["on", "off"] {
            let store = "repeats-\(mode).sqlite"
            func importing(_ files: [String]) throws -> Result {
                try run(
                    ["import", "csv"] + files + ["--object", "expense", "--connection", "r", "--db", store, "--report", "json"],
                    environment: ["BACKFILL_FAST_PATH": mode])
            }
            let first = try importing(["rows.csv"])
            XCTAssertEqual(try rejects(first), expected, "first import, fast path \(mode)")
            XCTAssertEqual(try summary(first)?["created"], 5001)
            let again = try importing(["rows.csv", "broken.csv", "again.csv"])
            XCTAssertEqual(try summary(again)?["unchanged"], 5002, "fast path \(mode)")
            XCTAssertEqual(
                try rejects(again).filter { !$0.contains("never closed") },
                expected + ["3 'e4000' first on line 2"], "re-import, fast path \(mode)")
            XCTAssertEqual(try sqlite("select count(*) from expenses", in: store), "5001")
        }
    }
}
