import XCTest

@testable import BackfillCore

/// Builds a raw CSV-like record of `type` from string fields.
func rawRecord(_ type: String, _ fields: Fields, line: Int = 2, connection: String? = "acme") -> RawRecord {
    RawRecord(
        objectType: type, origin: Origin(file: "t.csv", line: line), sourceSystem: "csv_upload",
        connectionID: connection, fields: fields, rawText: "raw")
}

func normalized(_ raw: RawRecord, options: NormalizeOptions = NormalizeOptions()) -> NormalizedRecord {
    var record = Normalizer(options: options).normalize(raw)
    Validator().validate(&record, objectType: raw.objectType)
    return record
}

final class NormalizerTests: XCTestCase {
    let expense: Fields = [
        "source_id": .string("e-1"), "amount": .string("125"), "currency": .string("usd"),
        "status": .string("approved"), "expense_date": .string("2026-03-02"),
    ]

    func testExpenseDefaultsAndDerivedDates() {
        let r = normalized(rawRecord("expense", expense))
        XCTAssertEqual(r.issues, [])
        XCTAssertEqual(r.payload["amount"], .decimal(ExactDecimal("125.00")!))
        XCTAssertEqual(CanonicalJSON.string(r.payload["amount"]!), #""125.00""#, "money at the currency scale")
        XCTAssertEqual(r.payload["currency"], .string("USD"))
        XCTAssertEqual(r.payload["document_date"], .string("2026-03-02"), "document_date from expense_date")
        XCTAssertEqual(r.payload["effective_date"], .string("2026-03-02"), "effective_date defaults to document_date")
        XCTAssertEqual(r.payload["lines"], .array([]))
        XCTAssertEqual(r.payload["metadata"], .object([:]))
        XCTAssertEqual(r.payload["source_system"], .string("csv_upload"))
        XCTAssertEqual(
            r.identity?.key, RecordIdentity(objectType: "expense", sourceSystem: "csv_upload", connectionID: "acme", sourceID: "e-1").key)
    }

    func testGivenDatesAreNotOverwritten() {
        var fields = expense
        fields["document_date"] = .string("2026-02-28")
        fields["effective_date"] = .string("2026-03-31")
        let r = normalized(rawRecord("expense", fields))
        XCTAssertEqual(r.payload["document_date"], .string("2026-02-28"))
        XCTAssertEqual(r.payload["effective_date"], .string("2026-03-31"))
    }

    func testInvoiceDocumentDateComesFromIssuedAtInUTC() {
        let r = normalized(
            rawRecord(
                "invoice",
                [
                    "source_id": .string("i-1"), "currency": .string("EUR"),
                    "issued_at": .string("2026-05-05T23:30:00-02:00"),
                ]))
        XCTAssertEqual(r.issues, [])
        XCTAssertEqual(r.payload["issued_at"], .string("2026-05-06T01:30:00Z"))
        XCTAssertEqual(r.payload["document_date"], .string("2026-05-06"))
    }

    func testMoneyScaleFollowsTheCurrencyAndIsNeverRounded() {
        var yen = expense
        yen["currency"] = .string("JPY")
        yen["amount"] = .string("48200")
        XCTAssertEqual(CanonicalJSON.string(normalized(rawRecord("expense", yen)).payload["amount"]!), #""48200""#)
        yen["amount"] = .string("48200.5")
        let rejected = normalized(rawRecord("expense", yen))
        XCTAssertEqual(rejected.issues.map(\.code), [.tooManyDecimals])
        XCTAssertEqual(rejected.issues.first?.field, "amount")
        var cents = expense
        cents["amount"] = .string("10.005")
        XCTAssertEqual(normalized(rawRecord("expense", cents)).issues.map(\.code), [.tooManyDecimals])
    }

    func testErrorsCarryFileLineSourceIDFieldAndCode() {
        var bad = expense
        bad["expense_date"] = .string("2026-02-30")
        bad["amount"] = .string("twelve")
        let r = normalized(rawRecord("expense", bad, line: 7))
        let byField = Dictionary(uniqueKeysWithValues: r.issues.map { ($0.field!, $0) })
        XCTAssertEqual(byField["expense_date"]?.code, .invalidDate)
        XCTAssertEqual(byField["expense_date"]?.message, "2026-02-30 is not a date")
        XCTAssertEqual(byField["expense_date"]?.origin, Origin(file: "t.csv", line: 7))
        XCTAssertEqual(byField["expense_date"]?.sourceID, "e-1")
        XCTAssertEqual(byField["amount"]?.code, .invalidDecimal)
        XCTAssertNil(byField["amount"].flatMap { $0.code == .missingRequired ? $0 : nil }, "no second 'missing' error for a bad value")
    }

    func testRequiredFieldsEnumsAndCurrencies() {
        let r = normalized(
            rawRecord(
                "expense",
                [
                    "source_id": .string("e-2"), "currency": .string("ZZZ"),
                    "payment_method_type": .string("Credit Card"),
                    "approval_status": .string("maybe"),
                ]))
        let codes = Dictionary(uniqueKeysWithValues: r.issues.map { ($0.field!, $0.code) })
        XCTAssertEqual(codes["amount"], .missingRequired)
        XCTAssertEqual(codes["status"], .missingRequired)
        XCTAssertEqual(codes["currency"], .invalidCurrency)
        XCTAssertEqual(codes["approval_status"], .invalidEnum)
        XCTAssertNil(codes["payment_method_type"], "'Credit Card' is an obvious spelling of credit_card")
        XCTAssertEqual(r.payload["payment_method_type"], .string("credit_card"))
    }

    func testMissingSourceIDMeansNoIdentity() {
        var fields = expense
        fields["source_id"] = .string("")
        let r = normalized(rawRecord("expense", fields))
        XCTAssertNil(r.identity)
        XCTAssertEqual(r.issues.map(\.code), [.missingRequired])
        XCTAssertEqual(r.issues.first?.field, "source_id")
    }

    func testNativeIDFillsSourceID() {
        let r = normalized(rawRecord("customer", ["customer_id": .string("cus_1001"), "name": .string("Acme")]))
        XCTAssertEqual(r.identity?.sourceID, "cus_1001")
    }

    func testLineKeysUseTheNativeIDWhenThatIsTheSourceID() throws {
        let r = normalized(
            rawRecord(
                "refund_receipt",
                [
                    "refund_id": .string("rf-9"), "currency": .string("USD"),
                    "total_amount": .string("5"),
                    "lines": .array([.object(["amount": .string("5")])]),
                ]))
        XCTAssertEqual(r.issues, [])
        XCTAssertEqual(r.payload["lines"]?.arrayValue?.first?["line_key"], .string("rf-9-L1"))
    }

    func testUnknownFieldsAreKeptUnderTheSourceSystem() {
        var raw = rawRecord("expense", expense)
        raw.unmapped = ["Card Holder": .string("J. Doe")]
        let r = normalized(raw)
        XCTAssertEqual(r.payload["metadata"], .object(["csv_upload": .object(["Card Holder": .string("J. Doe")])]))
        let transfer = normalized(
            rawRecord(
                "bank_transfer",
                [
                    "source_id": .string("t-1"), "amount": .string("5"),
                    "currency": .string("USD"), "status": .string("posted"),
                    "transfer_date": .string("2026-01-31"),
                    "from_account_id": .string("a"), "to_account_id": .string("b"),
                    "lines": .array([.object(["mystery": .string("x")])]),
                ]))
        XCTAssertEqual(
            transfer.payload["metadata"], .object(["csv_upload": .object(["lines": .array([.object(["mystery": .string("x")])])])]))
        let shape = normalized(
            rawRecord(
                "deposit",
                [
                    "source_id": .string("d-1"), "currency": .string("USD"),
                    "lines": .array([.object(["amount": .string("1"), "mystery": .string("x")])]),
                ]))
        XCTAssertEqual(shape.issues, [])
        XCTAssertEqual(shape.payload["lines"]?.arrayValue?.first?["metadata"], .object(["csv_upload": .object(["mystery": .string("x")])]))
        let allocation = normalized(
            rawRecord(
                "payment",
                [
                    "source_id": .string("p-1"),
                    "allocations": .array([
                        .object([
                            "invoice_id": .string("i"), "amount": .string("1"),
                            "mystery": .string("x"),
                        ])
                    ]),
                ]))
        XCTAssertEqual(allocation.issues.map(\.code), [.unknownField], "a shape without metadata refuses, never drops")
    }

    func testLinesGetNumbersKeysAndTypedDetails() throws {
        let lines: Value = .array([
            .object([
                "line_type": .string("product"), "amount": .string("1250"), "quantity": .string("4"),
                "unit_amount": .string("312.5"), "item_id": .string("chair"), "description": .string("Chair"),
            ]),
            .object(["line_type": .string("shipping"), "amount": .string("85")]),
            .object(["line_type": .string("description_only"), "description": .string("Note"), "line_ref": .string("L-9")]),
            .object(["line_type": .string("subtotal"), "amount": .string("1335")]),
        ])
        let r = normalized(
            rawRecord(
                "vendor_bill",
                [
                    "source_id": .string("b-1"), "currency": .string("USD"),
                    "bill_date": .string("2026-04-01"), "lines": lines,
                ]))
        XCTAssertEqual(r.issues, [])
        let out = try XCTUnwrap(r.payload["lines"]?.arrayValue)
        XCTAssertEqual(out.map { $0["line_number"] }, [.integer(1), .integer(2), .integer(3), .integer(4)])
        XCTAssertEqual(out[0]["line_key"], .string("b-1-L1"), "derived from the document identity and position")
        XCTAssertEqual(out[2]["line_key"], .string("L-9"), "the provider's line ref when present")
        XCTAssertEqual(
            out[0]["detail"],
            .object([
                "type": .string("item"), "quantity": .decimal(ExactDecimal("4")!),
                "unit_amount": .decimal(ExactDecimal("312.5")!), "item_id": .string("chair"),
            ]))
        XCTAssertEqual(out[0]["unit_amount"], .decimal(ExactDecimal("312.5")!), "flat fields stay; unit amounts keep precision")
        XCTAssertNil(out[1]["detail"], "the contract has no detail variant for shipping lines")
        XCTAssertEqual(out[2]["detail"], .object(["type": .string("description_only")]))
        XCTAssertEqual(out[3]["detail"], .object(["type": .string("subtotal"), "subtotal_amount": .decimal(ExactDecimal("1335.00")!)]))
        XCTAssertEqual(r.payload["total_amount"], .decimal(ExactDecimal("1335.00")!), "total = lines, without the subtotal line")
        XCTAssertEqual(r.payload["document_date"], .string("2026-04-01"), "bill document_date from bill_date")
    }

    func testExpenseLineDetailOnlyFieldsGoToTheDetail() throws {
        var fields = expense
        fields["lines"] = .array([.object(["amount": .string("125"), "unit_amount": .string("125"), "sku": .string("S-1")])])
        let r = normalized(rawRecord("expense", fields))
        XCTAssertEqual(r.issues, [])
        let line = try XCTUnwrap(r.payload["lines"]?.arrayValue?.first)
        XCTAssertNil(line["unit_amount"], "an expense line has no flat unit_amount in the contract")
        XCTAssertEqual(line["detail"]?["unit_amount"], .decimal(ExactDecimal("125")!))
        XCTAssertEqual(line["detail"]?["sku"], .string("S-1"))
        XCTAssertEqual(line["detail"]?["type"], .string("item"))
    }

    func testLineErrorsNameTheLinesOwnRow() {
        var raw = rawRecord(
            "vendor_bill",
            [
                "source_id": .string("b-1"), "currency": .string("USD"),
                "lines": .array([.object(["amount": .string("1")]), .object(["amount": .string("x")])]),
            ])
        raw.lineOrigins = [Origin(file: "t.csv", line: 2), Origin(file: "t.csv", line: 3)]
        let r = normalized(raw)
        XCTAssertEqual(r.issues.map(\.origin.line), [3])
        XCTAssertEqual(r.issues.map(\.field), ["lines[1].amount"])
    }
}
