import ConnectorConformance
import Foundation
import XCTest

@testable import BackfillCore
@testable import BackfillSQLite
@testable import LayerBills

final class LayerMappingTests: XCTestCase {
    func testSampleConformsAndYieldsTheExpectedRecords() throws {
        let changes = try ConnectorConformance.check(
            LayerConnector(connectionID: "conformance"), sample: "layer_bills.json",
            store: try SQLiteStore.inMemory(), expectedRecords: 11)
        let byType = Dictionary(grouping: changes, by: \.identity.objectType).mapValues { $0.map(\.identity.sourceID).sorted() }
        XCTAssertEqual(byType["vendor_bill"], ["LB-0990", "LB-1001", "LB-1002", "LB-1004", "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"])
        XCTAssertEqual(byType["expense"], ["LB-1003"])
        XCTAssertEqual(byType["bill_payment"], ["LB-1002-payment-2", "PAY-4410", "PAY-5001"])
        XCTAssertEqual(byType["vendor"], ["2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", "v-acme-cleaning"])
    }

    /// samples/layer_bills.json, bill LB-1001, by hand:
    /// chairs 4 × 325.00 − 50.00 = 1250.00 (tax 103.13); cable ties 10 × 1.23 = 12.30;
    /// additional discount 25.00; additional tax 1.50.
    /// total = 1250.00 + 12.30 − 25.00 + 103.13 + 1.50 = 1341.93; NET_30 from 2026-04-02 = 2026-05-02.
    func testSampleBillTotalsAndDatesByHand() throws {
        let path = ConnectorConformance.samples.appendingPathComponent("layer_bills.json").path
        let json = try String(contentsOfFile: path, encoding: .utf8)
        let records = try layerRecords(json)
        XCTAssertEqual(records.flatMap(\.issues), [])
        let b1 = try XCTUnwrap(records.first { $0.identity?.sourceID == "LB-1001" })
        XCTAssertEqual(b1.payload["total_amount"], decimal("1341.93"))
        XCTAssertEqual(b1.payload["bill_date"], .string("2026-04-02"))
        XCTAssertEqual(b1.payload["due_date"], .string("2026-05-02"))
        XCTAssertEqual(b1.payload["document_number"], .string("ERG-2026-0417"))
        XCTAssertEqual(b1.payload["dimensions"], .object(["project": .string("hq-expansion")]))
        let lines = try XCTUnwrap(b1.payload["lines"]?.arrayValue)
        XCTAssertEqual(lines.map { $0["amount"] }, [decimal("1250.00"), decimal("12.30"), decimal("-25.00"), decimal("1.50")])
        XCTAssertEqual(lines.map { $0["line_type"] }, [.string("product"), .string("product"), .string("discount"), .string("tax")])
        XCTAssertEqual(lines[0]["unit_amount"], decimal("325.00"))
        XCTAssertEqual(lines[0]["discount_amount"], decimal("50.00"))
        XCTAssertEqual(lines[0]["tax_amount"], decimal("103.13"))
        XCTAssertEqual(
            lines[0]["tax_details"],
            .array([
                .object([
                    "tax_detail_ref": .string("CALIFORNIA_VAT-1"), "tax_name": .string("CALIFORNIA_VAT"), "tax_amount": decimal("103.13"),
                    "amount_includes_tax": .bool(false), "metadata": .object(["layer": .object(["tax_account_type": .string("Tax_Name")])]),
                ])
            ]))
        XCTAssertEqual(lines[0]["account_id"], .string("3c90c3cc-0d44-4b50-8888-8dd25736052a"))
        XCTAssertEqual(lines[0]["line_key"], .string("LB-1001-1"))
        XCTAssertEqual(lines[0]["dimensions"], .object(["department": .string("operations")]))
        XCTAssertNotNil(lines[0]["metadata"]?["layer"]?["prepayment_account_identifier"], "kept")
        XCTAssertEqual(lines[1]["unit_amount"], decimal("1.23"), "unit_price 123 cents")
        XCTAssertEqual(lines[1]["account_code"], .string("OFFICE_SUPPLIES"), "StableName → account code")
        XCTAssertEqual(b1.payload["metadata"]?["layer"]?["memo"], .string("Q2 office furniture"))

        // LB-1004: 12.5 gal × 3.99 = 49.875 → 49.88 (half-to-even); + 2.49 tax = 52.37; NET_15 → 2026-04-24.
        let b4 = try XCTUnwrap(records.first { $0.identity?.sourceID == "LB-1004" })
        XCTAssertEqual(b4.payload["lines"]?.arrayValue?.first?["amount"], decimal("49.88"))
        XCTAssertEqual(b4.payload["lines"]?.arrayValue?.first?["quantity"], decimal("12.5"), "the exact quantity is kept")
        XCTAssertEqual(b4.payload["total_amount"], decimal("52.37"))
        XCTAssertEqual(b4.payload["due_date"], .string("2026-04-24"))

        // LB-1003 is an expense; received 22:45 at −07:00 is 2026-04-08 in UTC.
        let expense = try XCTUnwrap(records.first { $0.identity?.objectType == "expense" })
        XCTAssertEqual(expense.payload["amount"], decimal("47.20"))
        XCTAssertEqual(expense.payload["expense_date"], .string("2026-04-08"))
        XCTAssertEqual(expense.payload["document_date"], .string("2026-04-08"))
        XCTAssertEqual(expense.payload["memo"], .string("Client visit, SFO to office"))
        XCTAssertEqual(expense.payload["lines"]?.arrayValue?.first?["expense_account_id"], .string("a1b2c3d4-0000-4000-8000-000000006200"))

        // LB-1002: 12.5 h × 180.00 = 2250.00; payments 1000.00 and 500.00.
        let payments = records.filter { $0.identity?.objectType == "bill_payment" && $0.payload["bill_id"] != nil }
        let b2ID = RecordIdentity(objectType: "vendor_bill", sourceSystem: "layer", connectionID: "acme", sourceID: "LB-1002")
            .derivedCanonicalID
        let b2Payments = payments.filter { $0.payload["bill_id"] == .string(b2ID) }
        XCTAssertEqual(b2Payments.map { $0.payload["amount"] }, [decimal("1000.00"), decimal("500.00")])
        XCTAssertEqual(b2Payments.map { $0.identity?.sourceID }, ["PAY-5001", "LB-1002-payment-2"])
        XCTAssertEqual(b2Payments[0].payload["payment_method"], .string("ACH"))
        XCTAssertEqual(b2Payments[0].payload["vendor_id"], .string("7f1c3d2a-5b6e-4c8d-9a0b-1c2d3e4f5a6b"))

        // Response shape: stated totals used, the vendor record, void status.
        let vendor = try XCTUnwrap(records.first { $0.identity?.sourceID == "v-acme-cleaning" })
        XCTAssertEqual(vendor.payload["name"], .string("Acme Cleaning Co"))
        XCTAssertEqual(vendor.payload["vendor_id"], .string("9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b"))
        let paid = try XCTUnwrap(records.first { $0.identity?.sourceID == "PAY-4410" })
        XCTAssertEqual(paid.payload["payment_date"], .string("2026-04-10"))
        let void = try XCTUnwrap(records.first { $0.identity?.sourceID == "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70" })
        XCTAssertEqual(void.payload["status"], .string("void"))
    }

    func testAmountsMustBeIntegerCents() throws {
        let records = try layerRecords(
            """
            [\(bill("B-1", #""additional_discount": "5.00""#)),
             {"external_id": "B-2", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", "vendor_id": "v",
              "line_items": [{"unit_price": 12.5, "quantity": -1}]}]
            """)
        XCTAssertEqual(records[0].issues.map(\.origin.jsonPath), ["$[0].additional_discount"])
        XCTAssertEqual(records[0].issues.map(\.code), [.invalidDecimal])
        XCTAssertEqual(
            Set(records[1].issues.compactMap(\.origin.jsonPath)), ["$[1].line_items[0].unit_price", "$[1].line_items[0].quantity"])
    }

    func testMinorUnitsFollowTheCurrency() throws {
        let yen = try layerRecords("[\(bill())]", currency: "JPY")
        XCTAssertEqual(yen[0].payload["lines"]?.arrayValue?.first?["unit_amount"], decimal("123"), "123 yen: JPY has no minor unit")
        let kwd = try layerRecords("[\(bill())]", currency: "KWD")
        XCTAssertEqual(kwd[0].payload["total_amount"], decimal("0.123"))
    }

    func testLayersEitherOrRules() throws {
        let records = try layerRecords(
            """
            [{"external_id": "B-1", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", "bill_terms": "NET_30",
              "vendor_id": "v", "line_items": []},
             {"external_id": "B-2", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", "vendor_id": "v",
              "vendor_external_id": "x", "line_items": []},
             {"external_id": "B-3", "received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_45", "line_items": []},
             {"received_at": "2026-04-02T00:00:00Z", "bill_terms": "NET_10", "vendor_id": "v", "line_items": []}]
            """)
        XCTAssertEqual(records[0].issues.map(\.origin.jsonPath), ["$[0].due_at"])
        XCTAssertEqual(records[1].issues.map(\.origin.jsonPath), ["$[1].vendor_id"])
        XCTAssertEqual(Set(records[2].issues.map(\.code)), [.invalidEnum, .missingRequired], "unknown terms, and no vendor")
        XCTAssertEqual(records[3].issues.map(\.origin.jsonPath), ["$[3].external_id"])
    }

    func testMetadataOverOneKilobyteIsRejected() throws {
        let big = String(repeating: "x", count: 1100)
        let records = try layerRecords("[\(bill("B-1", "\"metadata\": {\"note\": \"\(big)\"}"))]")
        XCTAssertEqual(records[0].issues.map(\.code), [.invalidValue])
        XCTAssertEqual(records[0].issues.first?.origin.jsonPath, "$[0].metadata")
        XCTAssertTrue(records[0].issues.first!.message.contains("1 KB"))
    }

    func testABillThatIsNotAnObjectIsRejectedAtItsPath() throws {
        let records = try layerRecords(#"[\#(bill()), 42]"#)
        XCTAssertEqual(records[1].issues.map(\.origin.jsonPath), ["$[1]"])
        XCTAssertEqual(records[1].issues.map(\.code), [.invalidType])
    }

    func testUnknownFieldsAreKeptUnderLayer() throws {
        let records = try layerRecords("[\(bill("B-1", #""future_field": {"a": 1}, "memo": "m""#))]")
        XCTAssertEqual(records[0].issues, [])
        XCTAssertEqual(records[0].payload["metadata"]?["layer"]?["future_field"], .object(["a": .number("1")]))
    }

    func testStatedTotalsMustMatch() throws {
        let records = try layerRecords(
            """
            {"data": [{"id": "L-1", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z",
                       "vendor": {"id": "v-9", "company_name": "V"},
                       "line_items": [{"unit_price": 1000, "quantity": 3, "subtotal": 3000}],
                       "subtotal": 3000, "total_amount": 3100}]}
            """)
        let bill = try XCTUnwrap(records.first { $0.identity?.objectType == "vendor_bill" })
        XCTAssertEqual(bill.identity?.sourceID, "L-1", "the Layer id when there is no external_id")
        XCTAssertEqual(bill.issues.map(\.code), [.totalMismatch])
        XCTAssertEqual(bill.issues.first?.origin.jsonPath, "$.data[0].total_amount")
    }

    func testRepeatedVendorsAreEmittedOnce() throws {
        let vendor = #""vendor": {"id": "v-9", "external_id": "acme", "company_name": "Acme"}"#
        let json = """
            {"data": [{"id": "L-1", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", \(vendor), "line_items": []},
                      {"id": "L-2", "received_at": "2026-04-02T00:00:00Z", "due_at": "2026-04-09T00:00:00Z", \(vendor), "line_items": []}]}
            """
        let records = try layerRecords(json)
        XCTAssertEqual(records.filter { $0.identity?.objectType == "vendor" }.count, 1)
        XCTAssertEqual(records.filter { $0.identity?.objectType == "vendor_bill" }.count, 2)
    }
}
