import Foundation
import XCTest

@testable import BackfillCore
@testable import CSVUpload

func records(_ connector: CSVConnector, _ path: String) throws -> [RawRecord] {
    var stream = try connector.open(path)
    var out: [RawRecord] = []
    while let r = try stream.next() { out.append(r) }
    return out
}

final class CSVConnectorTests: XCTestCase {
    func testHeadersMatchFieldsAndCommonAliases() throws {
        let path = try writeFile(
            Array("Transaction ID,Date,Payee,Amount,Expense Account Code,Notes,Card Holder\nt1,2026-01-02,Acme,5,6100,hi,Jo\n".utf8))
        let connector = try CSVConnector(objectType: "expense", connectionID: "bank")
        let r = try XCTUnwrap(records(connector, path).first)
        XCTAssertEqual(r.fields["source_id"], .string("t1"))
        XCTAssertEqual(r.fields["expense_date"], .string("2026-01-02"), "Date is the type's own document date")
        XCTAssertEqual(r.fields["vendor_name"], .string("Acme"))
        XCTAssertEqual(r.fields["amount"], .string("5"))
        XCTAssertEqual(r.fields["expense_account_code"], .string("6100"), "case- and space-insensitive")
        XCTAssertEqual(r.fields["memo"], .string("hi"))
        XCTAssertEqual(r.unmapped, ["Card Holder": .string("Jo")])
        XCTAssertEqual(r.origin, Origin(file: path, line: 2))
        XCTAssertEqual(r.sourceSystem, "csv_upload")
        XCTAssertEqual(r.connectionID, "bank")
    }

    func testAliasesFollowTheObjectType() throws {
        let path = try writeFile(Array("id,date,amount,vendor\nb1,2026-01-02,5,v1\n".utf8))
        let r = try XCTUnwrap(records(try CSVConnector(objectType: "vendor_bill", connectionID: nil), path).first)
        XCTAssertEqual(r.fields["bill_date"], .string("2026-01-02"))
        XCTAssertEqual(r.fields["total_amount"], .string("5"))
        XCTAssertEqual(r.fields["vendor_id"], .string("v1"), "a bill has no vendor_name; the vendor reference is vendor_id")
    }

    func testRowsWithLineColumnsGroupIntoDocuments() throws {
        let csv = """
            source_id,currency,lines.description,lines.amount
            b1,USD,Chair,100
            b1,USD,Desk,200
            b2,USD,Lamp,30
            b1,USD,Late,1
            """
        let recs = try records(try CSVConnector(objectType: "vendor_bill", connectionID: nil), try writeFile(Array(csv.utf8)))
        XCTAssertEqual(recs.count, 3, "consecutive rows only: the last b1 is its own (duplicate) document")
        XCTAssertEqual(recs[0].fields["lines"]?.arrayValue?.count, 2)
        XCTAssertEqual(recs[0].lineOrigins.map(\.line), [2, 3])
        XCTAssertEqual(recs[0].rawText, "b1,USD,Chair,100\nb1,USD,Desk,200")
        XCTAssertEqual(recs[2].origin.line, 5)
    }

    func testDottedHeadersMatchLikeOtherHeaders() throws {
        let csv = "Source ID,Currency,Lines.Unit Amount,LINES.Amount,Dimensions.Department\nb1,USD,2.5,5,Ops\n"
        let r = try XCTUnwrap(records(try CSVConnector(objectType: "vendor_bill", connectionID: nil), try writeFile(Array(csv.utf8))).first)
        XCTAssertEqual(r.fields["lines"], .array([.object(["unit_amount": .string("2.5"), "amount": .string("5")])]))
        XCTAssertEqual(r.fields["dimensions"], .object(["Department": .string("Ops")]), "map keys are kept as written")
        XCTAssertEqual(r.unmapped, [:])
    }

    func testAHeaderOfOnlyDotsIsKeptAsMetadataNotATrap() throws {
        // Found by scripts/fuzz: "." split into no names and trapped.
        let csv = "source_id,.,..,amount,currency,expense_date\ne-1,x,y,1.00,USD,2026-01-01\n"
        let r = try XCTUnwrap(records(try CSVConnector(objectType: "expense", connectionID: nil), try writeFile(Array(csv.utf8))).first)
        XCTAssertEqual(r.unmapped, [".": .string("x"), "..": .string("y")])
    }

    func testRowsOfOneDocumentMustAgree() throws {
        let csv = "source_id,currency,lines.amount\nb1,USD,1\nb1,EUR,2\n"
        let r = try XCTUnwrap(records(try CSVConnector(objectType: "vendor_bill", connectionID: nil), try writeFile(Array(csv.utf8))).first)
        XCTAssertEqual(r.issues.map(\.code), [.invalidValue])
        XCTAssertEqual(r.issues.first?.field, "currency")
        XCTAssertEqual(r.issues.first?.origin.line, 3)
    }

    func testRaggedRowIsFlagged() throws {
        let r = try records(
            try CSVConnector(objectType: "expense", connectionID: nil),
            try writeFile(Array("id,amount\ne1,1,extra\n".utf8)))
        XCTAssertEqual(r.first?.issues.map(\.code), [.raggedRow])
        XCTAssertEqual(r.first?.issues.first?.sourceID, "e1")
    }

    func testMappingRenamesSetsConstantsAndDefaults() throws {
        let mappingPath = try writeFile(
            Array(
                """
                {"columns": {"Posted": "expense_date", "Ref": "source_id", "Debit": "amount", "Card": "payment_method_details.last4"},
                 "constants": {"currency": "USD"}, "defaults": {"status": "open"},
                 "date_formats": ["MM/DD/YYYY"], "amounts": {"thousands_separator": ",", "parentheses_negative": true, "negate": true},
                 "ignore_columns": ["Balance"]}
                """.utf8), name: "m.json")
        let mapping = try CSVMapping.load(path: mappingPath)
        let csv = "Posted,Ref,Debit,Balance,Card,Status\n03/02/2026,r1,\"(1,250.00)\",99,4421,\n03/03/2026,r2,5.00,98,4421,approved\n"
        let connector = try CSVConnector(objectType: "expense", connectionID: "bank", mapping: mapping)
        let recs = try records(connector, try writeFile(Array(csv.utf8)))
        XCTAssertEqual(recs[0].fields["status"], .string("open"), "default fills an empty cell")
        XCTAssertEqual(recs[1].fields["status"], .string("approved"), "default never overrides a value")
        XCTAssertEqual(recs[0].fields["payment_method_details"], .object(["last4": .string("4421")]))
        XCTAssertEqual(recs[0].unmapped, [:], "ignored columns are not kept")
        var normalized = Normalizer(options: mapping.options).normalize(recs[0])
        Validator().validate(&normalized, objectType: "expense")
        XCTAssertEqual(normalized.issues, [])
        XCTAssertEqual(
            normalized.payload["amount"], .decimal(ExactDecimal("1250.00")!), "(1,250.00) negated: money out is a positive expense")
        XCTAssertEqual(normalized.payload["expense_date"], .string("2026-03-02"))
    }

    /// A row of a plain mapping comes unmade (`UnmadeRecord`): its shell has
    /// the made record's fingerprint and likely identity, and making it gives
    /// what `next()` gives. A row whose id cell is empty or padded (the
    /// normalizer would look further for an id), a ragged row, a row of only
    /// an id, and every row of a mapping with a rule come made.
    func testPlainRowsComeUnmadeAndMakeTheRecordNextGives() throws {
        let csv =
            "ID,Date,Vendor,Amount,Currency\ne1,2026-01-02,\"Acme, Inc\",5.00,USD\n e2,2026-01-02,Acme,5.00,USD\n"
            + "e3,2026-01-02\n,2026-01-02,Acme,1,USD\ne5,,,,\ne6,2026-01-03,Beta,-7,EUR\n"
        let path = try writeFile(Array(csv.utf8))
        let fingerprinter = RecordFingerprinter(catalog: .standard, options: NormalizeOptions())
        let rule = try writeFile(Array(#"{"amount": {"column": "Amount", "negative_is": "in"}}"#.utf8), name: "rule.json")
        let fills = try writeFile(
            Array(#"{"constants": {"payment_method_type": "card"}, "defaults": {"vendor_name": "?"}}"#.utf8), name: "fills.json")
        for (mapping, kinds) in [
            (CSVMapping(), ["unmade", "made", "made", "made", "made", "unmade"]),
            (try CSVMapping.load(path: fills), ["unmade", "made", "made", "made", "made", "unmade"]),
            (try CSVMapping.load(path: rule), Array(repeating: "made", count: 6)),
        ] {
            let connector = try CSVConnector(objectType: "expense", connectionID: "bank", mapping: mapping)
            let expected = try records(connector, path)
            var stream = try connector.open(path)
            var seen: [String] = []
            var made: [RawRecord] = []
            while let group = try stream.nextGroup() {
                switch group {
                case .made(let raw):
                    seen.append("made")
                    made.append(raw)
                case .unmade(let record):
                    seen.append("unmade")
                    let (shell, raw) = (record.shell(), record.make())
                    XCTAssertNotNil(fingerprinter.fingerprint(of: shell))
                    XCTAssertEqual(fingerprinter.fingerprint(of: shell), fingerprinter.fingerprint(of: raw))
                    XCTAssertEqual(Normalizer().likelyIdentity(shell), Normalizer().likelyIdentity(raw))
                    XCTAssertEqual(shell.origin, raw.origin)
                    XCTAssertEqual(shell.rawText, raw.rawText)
                    made.append(raw)
                case .deferred: XCTFail("a CSV row is one record")
                }
            }
            XCTAssertEqual(seen, kinds)
            XCTAssertEqual(made.map(\.fields), expected.map(\.fields))
            XCTAssertEqual(made.map(\.unmapped), expected.map(\.unmapped))
            XCTAssertEqual(made.map(\.issues), expected.map(\.issues))
            XCTAssertEqual(made.map(\.origin), expected.map(\.origin))
            XCTAssertEqual(made.map(\.rawText), expected.map(\.rawText))
            XCTAssertEqual(made.map { $0.madeFrom?.bytes }, expected.map { $0.madeFrom?.bytes })
        }
    }

    func testMappingErrorsNameTheFileAndPath() throws {
        let path = try writeFile(Array(#"{"columns": {"A": 3}}"#.utf8), name: "m.json")
        XCTAssertThrowsError(try CSVMapping.load(path: path)) { error in
            let e = error as! CSVMapping.MappingError
            XCTAssertEqual(e.path, "$.columns.A")
            XCTAssertTrue(e.description.hasPrefix(path))
        }
        let typo = try writeFile(Array(#"{"colums": {}}"#.utf8), name: "m.json")
        XCTAssertThrowsError(try CSVMapping.load(path: typo)) { XCTAssertEqual(($0 as! CSVMapping.MappingError).path, "$.colums") }
        let badDate = try writeFile(Array(#"{"date_formats": ["MM/DD"]}"#.utf8), name: "m.json")
        XCTAssertThrowsError(try CSVMapping.load(path: badDate)) {
            XCTAssertEqual(($0 as! CSVMapping.MappingError).path, "$.date_formats[0]")
        }
    }

    func testTwoColumnsFeedingOneFieldIsRefused() throws {
        let path = try writeFile(Array("amount,Amount\n1,2\n".utf8))
        XCTAssertThrowsError(try CSVConnector(objectType: "expense", connectionID: nil).open(path)) { error in
            XCTAssertTrue((error as! InputError).message.contains("both map to amount"))
        }
    }

    func testEmptyFileIsAnInputError() throws {
        XCTAssertThrowsError(try CSVConnector(objectType: "expense", connectionID: nil).open(try writeFile([]))) { error in
            XCTAssertEqual((error as! InputError).kind, .malformed)
        }
    }
}
