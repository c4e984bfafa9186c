import Foundation
import XCTest

final class LayerEndToEndTests: CLITestCase {
    func importLayer(_ file: String, _ extra: [String] = []) throws -> Result {
        try run(["import", "layer-bills", file, "--connection", "acme-layer", "--report", "json"] + extra)
    }

    func testSampleImportCreatesBillsExpensePaymentsAndVendors() throws {
        let r = try importLayer("samples/layer_bills.json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try summary(r),
            ["created": 11, "updated": 0, "unchanged": 0, "failed": 0, "removed": 0])
        XCTAssertEqual(try sqlite("select count(*) from vendor_bills"), "5")
        XCTAssertEqual(try sqlite("select count(*) from expenses"), "1")
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "3")
        XCTAssertEqual(
            try sqlite("select group_concat(name, '|') from (select name from vendors order by name)"), "Acme Cleaning Co|Jordan Lee")

        let export = try run(["export", "vendor_bill"])
        XCTAssertTrue(export.stdout.contains(#""unit_amount":"1.23""#), "unit_price 123 cents")
        let b1 = try json(String(export.stdout.split(separator: "\n").first { $0.contains(#""source_id":"LB-1001""#) }!))
        XCTAssertEqual(b1["bill_date"] as? String, "2026-04-02")
        XCTAssertEqual(b1["due_date"] as? String, "2026-05-02", "NET_30: received + 30 days")
        XCTAssertEqual(b1["total_amount"] as? String, "1341.93")
        XCTAssertEqual(try sqlite("select amount_minor || ' ' || expense_date from expenses"), "4720 2026-04-08")

        let again = try importLayer("samples/layer_bills.json")
        XCTAssertEqual(
            try summary(again),
            ["created": 0, "updated": 0, "unchanged": 11, "failed": 0, "removed": 0])
    }

    /// Bills are mapped on worker threads, several batches at a time; a
    /// vendor embedded in every bill and a payment split over two bills
    /// must still be imported once each, the first time the file has them,
    /// however far apart and in whichever batch.
    func testVendorsAndSplitPaymentsRepeatedAcrossManyBillsAreImportedOnce() throws {
        var bills: [String] = []
        for i in 0..<1000 {
            let vendor = #"{"id": "v-\#(i % 3)", "external_id": "vendor-\#(i % 3)", "company_name": "Vendor \#(i % 3)"}"#
            let payment = #"{"id": "P-\#(i / 2)", "amount": 2000, "at": "2026-04-05T00:00:00Z"}"#
            bills.append(
                #"{"id": "L-\#(i)", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", "vendor": \#(vendor), "#
                    + #""line_items": [{"unit_price": 1000}], "payment_allocations": [{"amount": 1000, "payment": \#(payment)}]}"#)
        }
        _ = write("{\"data\": [\n" + bills.joined(separator: ",\n") + "\n]}\n", to: "response.json")
        let first = try importLayer("response.json")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(
            try summary(first),
            ["created": 1503, "updated": 0, "unchanged": 0, "failed": 0, "removed": 0])
        XCTAssertEqual(try sqlite("select count(*) from vendors"), "3")
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "500")
        let again = try importLayer("response.json")
        XCTAssertEqual(
            try summary(again),
            ["created": 0, "updated": 0, "unchanged": 1503, "failed": 0, "removed": 0])
    }

    func testPaymentsOmittedAreKeptAndAnEmptyListRemovesThem() throws {
        XCTAssertEqual(try importLayer("samples/layer_bills.json").status, 0)
        let sample = try String(contentsOf: dir.appendingPathComponent("samples/layer_bills.json"), encoding: .utf8)
        var bills = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sample.utf8)) as? [[String: Any]])
        let index = try XCTUnwrap(bills.firstIndex { $0["external_id"] as? String == "LB-1002" })

        bills[index].removeValue(forKey: "payments")
        _ = write(String(decoding: try JSONSerialization.data(withJSONObject: bills), as: UTF8.self), to: "omitted.json")
        let omitted = try importLayer("omitted.json")
        XCTAssertEqual(
            try summary(omitted),
            ["created": 0, "updated": 0, "unchanged": 9, "failed": 0, "removed": 0], "payments untouched")
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "3")

        bills[index]["payments"] = [Any]()
        _ = write(String(decoding: try JSONSerialization.data(withJSONObject: bills), as: UTF8.self), to: "emptied.json")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let plan = try importLayer("emptied.json", ["--dry-run"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        let planned = try json(plan.stdout)
        XCTAssertEqual((planned["summary"] as? [String: Int])?["removed"], 2)
        let removals = (planned["changes"] as! [[String: Any]]).filter { $0["action"] as? String == "remove" }
        XCTAssertEqual(Set(removals.map { $0["source_id"] as! String }), ["PAY-5001", "LB-1002-payment-2"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before, "the dry run wrote nothing")
        let text = try run(["import", "layer-bills", "emptied.json", "--connection", "acme-layer", "--dry-run"])
        XCTAssertTrue(text.stdout.contains("- remove  bill_payment PAY-5001"), text.stdout)

        let applied = try importLayer("emptied.json")
        XCTAssertEqual(try summary(applied)?["removed"], 2)
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "1", "views leave removed records out")
        XCTAssertEqual(
            try sqlite("select count(*) from records where object_type = 'bill_payment' and removed_at is not null"), "2",
            "a tombstone, not a delete")
        XCTAssertEqual(
            try sqlite(
                "select count(*) from record_versions where removed_at is null and record_id in (select id from records where removed_at is not null)"
            ), "2",
            "the version before removal is kept")
        XCTAssertEqual(try run(["export", "bill_payment"]).stdout.split(separator: "\n").count, 1)
        XCTAssertTrue(try run(["export", "bill_payment", "--include-removed"]).stdout.contains("removed_at"))

        // Sending the payments again brings them back.
        let revived = try importLayer("samples/layer_bills.json")
        XCTAssertEqual(try summary(revived)?["updated"], 2)
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "3")
    }

    func testBadBillsExit65WithJSONPathsAndGoodBillsLand() throws {
        let metadata = String(repeating: "m", count: 2048)
        let good =
            #"{"external_id": "G-%@", "received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "vendor_id": "v", "line_items": [{"unit_price": 1000, "quantity": 1}]}"#
        let file = """
            [\(String(format: good, "1")),
             {"received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "vendor_id": "v", "line_items": []},
             {"external_id": "BAD-DUE", "received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "due_at": "2026-04-09T00:00:00Z", "vendor_id": "v", "line_items": []},
             {"external_id": "BAD-AMOUNT", "received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "vendor_id": "v",
              "line_items": [{"unit_price": "10.00", "quantity": 1}],
              "payments": [{"external_id": "P-BAD", "amount": 1000}]},
             {"external_id": "BAD-META", "received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "vendor_id": "v", "line_items": [],
              "metadata": {"blob": "\(metadata)"}},
             \(String(format: good, "2"))]
            """
        _ = write(file, to: "bad.json")
        let r = try importLayer("bad.json")
        XCTAssertEqual(r.status, 65)
        let errors = try XCTUnwrap(try json(r.stdout)["errors"] as? [[String: Any]])
        XCTAssertEqual(
            errors.map { $0["json_path"] as? String },
            ["$[1].external_id", "$[2].due_at", "$[3].line_items[0].unit_price", "$[4].metadata"])
        XCTAssertEqual(errors.map { $0["file"] as? String }, Array(repeating: "bad.json", count: 4))
        XCTAssertTrue(r.stderr.contains("$[3].line_items[0].unit_price"), r.stderr)
        XCTAssertEqual(try sqlite("select group_concat(source_id) from vendor_bills"), "G-1,G-2", "the good bills applied")
        XCTAssertEqual(try sqlite("select count(*) from bill_payments"), "0", "a rejected bill's payments do not land")
    }

    func testTruncatedOrNonJSONFilesExit65AndMissingFilesExit66() throws {
        let sample = try String(contentsOf: dir.appendingPathComponent("samples/layer_bills.json"), encoding: .utf8)
        _ = write(String(sample.prefix(sample.count / 2)), to: "truncated.json")
        let truncated = try importLayer("truncated.json")
        XCTAssertEqual(truncated.status, 65)
        XCTAssertTrue(
            truncated.stderr.contains("truncated.json:") && truncated.stderr.contains("truncated") && truncated.stderr.contains("byte"),
            truncated.stderr)
        let applied = FileManager.default.fileExists(atPath: db) ? try sqlite("select count(*) from records") : "0"
        XCTAssertEqual(applied, "0", "nothing from a truncated file is applied")

        let notJSON = try importLayer("samples/expenses.csv")
        XCTAssertEqual(notJSON.status, 65)
        XCTAssertTrue(notJSON.stderr.contains("samples/expenses.csv:1: error: [malformed_input] this is not JSON"), notJSON.stderr)

        let missing = try importLayer("no-such.json")
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(try run(["import", "layer-bills", "samples/layer_bills.json", "--currency", "XYZ"]).status, 64)
    }
}
