import Foundation
import XCTest

/// The exports banks, cards and expense tools really write, imported through
/// the shipped mappings: every amount's sign and value and every date checked.
final class RealWorldCSVEndToEndTests: CLITestCase {
    func importSample(
        _ file: String, object: String, mapping: String, connection: String = "demo",
        file line: StaticString = #filePath, _ l: UInt = #line
    ) throws -> Result {
        try run([
            "import", "csv", "samples/\(file)", "--object", object, "--connection", connection,
            "--mapping", "samples/mappings/\(mapping)", "--report", "json",
        ])
    }

    func testTheDutchBankExportWithAPreambleDecimalCommasAndAfBij() throws {
        let r = try importSample("eu_bank_export.csv", object: "bank_transaction", mapping: "eu_bank.json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows(
                "select posted_at || ' ' || printf('%.2f', amount) || ' ' || currency || ' ' || merchant_name from bank_transactions order by posted_at"
            ),
            [
                "2026-03-02T00:00:00Z -23.45 EUR Albert Heijn 1402",
                "2026-03-03T00:00:00Z -8.90 EUR Café De Zwaan",
                "2026-03-05T00:00:00Z -1250.00 EUR Müller Drogerie B.V.",
                "2026-03-10T00:00:00Z 3105.62 EUR Werkgever Noord B.V.",
                "2026-03-12T00:00:00Z -112.00 EUR Gemeente Utrecht",
                "2026-03-15T00:00:00Z 34.99 EUR Bol.com retour",
                "2026-03-20T00:00:00Z -17.60 EUR NS Reizigers",
            ], "Af is money out: negative on a bank transaction; Windows-1252 decoded")
        let again = try importSample("eu_bank_export.csv", object: "bank_transaction", mapping: "eu_bank.json")
        XCTAssertEqual(
            try summary(again),
            ["created": 0, "updated": 0, "unchanged": 7, "failed": 0, "removed": 0], "derived ids are stable")
    }

    func testTheUSCheckingExportWithDebitCreditColumnsAndIdenticalRows() throws {
        let r = try importSample("us_checking_export.csv", object: "expense", mapping: "us_checking.json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows(
                "select expense_date || ' ' || printf('%.2f', amount) || ' ' || vendor_name from expenses order by expense_date, amount"),
            [
                "2026-03-02 6.75 BLUE BOTTLE COFFEE #12",
                "2026-03-02 6.75 BLUE BOTTLE COFFEE #12",
                "2026-03-03 -1000.00 ONLINE TRANSFER FROM SAVINGS",
                "2026-03-05 1250.00 STAPLES 0441",
                "2026-03-09 -32.50 REFUND STAPLES 0441",
                "2026-03-12 44.00 GITHUB INC",
            ], "debits are money spent (positive), credits negative; both identical coffees kept")
        XCTAssertEqual(try sqlite("select count(distinct source_id) from expenses"), "6")
        let again = try importSample("us_checking_export.csv", object: "expense", mapping: "us_checking.json")
        XCTAssertEqual(try summary(again)?["unchanged"], 6)

        // A later export: the same rows plus five new ones, one a third identical coffee.
        var extended = try String(contentsOf: dir.appendingPathComponent("samples/us_checking_export.csv"), encoding: .utf8)
        extended += """
            03/02/2026,BLUE BOTTLE COFFEE #12,$6.75,,"$4,718.25"
            03/14/2026,AMTRAK 0921,$89.00,,"$4,629.25"
            03/15/2026,DEPOSIT MOBILE,,$250.00,"$4,879.25"
            03/16/2026,WHOLE FOODS #101,$61.12,,"$4,818.13"
            03/18/2026,USPS PO 0123,$12.40,,"$4,805.73"

            """
        _ = write(extended, to: "extended.csv")
        let later = try run([
            "import", "csv", "extended.csv", "--object", "expense", "--connection", "demo",
            "--mapping", "samples/mappings/us_checking.json", "--report", "json",
        ])
        XCTAssertEqual(later.status, 0, later.stderr)
        XCTAssertEqual(
            try summary(later),
            ["created": 5, "updated": 0, "unchanged": 6, "failed": 0, "removed": 0],
            "exactly the five new rows, the third identical coffee among them")
        XCTAssertEqual(try sqlite("select count(*) from expenses where vendor_name = 'BLUE BOTTLE COFFEE #12'"), "3")
    }

    func testTheCardStatementWithMonthNamesCRFlagsAndAPendingRow() throws {
        let r = try importSample("card_statement.csv", object: "expense", mapping: "card_statement.json")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows("select source_id || ' ' || expense_date || ' ' || printf('%.2f', amount) from expenses order by source_id"),
            [
                "320260302001 2026-02-28 412.30",
                "320260304002 2026-03-03 23.18",
                "320260305003 2026-03-04 -1000.00",
                "320260310004 2026-03-09 -120.00",
            ], "charges positive, CR (payments, refunds) negative")
        XCTAssertTrue(r.stderr.contains("samples/card_statement.csv: 1 row(s) skipped by the mapping's skip_if"), r.stderr)
        XCTAssertTrue(
            (try json(r.stdout)["notes"] as? [String] ?? []).contains { $0.contains("1 row(s) skipped") },
            "the skipped pending row is counted in the report")
        let again = try importSample("card_statement.csv", object: "expense", mapping: "card_statement.json")
        XCTAssertEqual(try summary(again)?["unchanged"], 4)
    }

    func testMappingMistakesAndUnmatchedColumnsAreSaid() throws {
        let typo = write(
            #"{"columns": {"Transaction Date": "expense_date", "Posted Date": "metadata.posted", "Reference": "source_id", "Descripton": "vendor_name"}, "amount": {"column": "Amount", "negative_is": "in"}, "skip_if": [{"column": "Status", "equals": "Pending"}], "constants": {"currency": "USD", "status": "approved"}, "date_formats": ["DD MMM YYYY"]}"#,
            to: "typo.json")
        let r = try run(["import", "csv", "samples/card_statement.csv", "--object", "expense", "--mapping", typo])
        XCTAssertTrue(
            r.stderr.contains("warning: samples/card_statement.csv: the mapping names column(s) this file does not have: 'Descripton'"),
            r.stderr)
        let bills = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "expense"])
        XCTAssertTrue(bills.stderr.contains("column(s) match no expense field and are kept under metadata.csv_upload:"), bills.stderr)
        XCTAssertTrue(bills.stderr.contains("'Bill Date'") || bills.stderr.contains("'bill_date'"), bills.stderr)

        // Unfamiliar headers: one diagnosis for the file, not four errors per row.
        _ = write("When,What,HowMuch\n2026-03-01,Coffee,3.00\n2026-03-02,Tea,2.00\n2026-03-03,Cake,4.00\n", to: "odd.csv")
        let odd = try run(["import", "csv", "odd.csv", "--object", "expense"])
        XCTAssertEqual(odd.status, 65, odd.stderr)
        XCTAssertEqual(
            odd.stderr.split(separator: "\n").filter { $0.contains("error:") },
            [
                "odd.csv: error: [missing_required] all 3 rows lack amount, currency, source_id, status: no column supplies them "
                    + "(see the columns listed above); propose a mapping with: backfill-sync mapping init odd.csv --object expense"
            ])
        XCTAssertTrue(
            odd.stderr.contains("3 column(s) match no expense field and are kept under metadata.csv_upload: 'When', 'What', 'HowMuch'"))
        XCTAssertTrue(odd.stdout.contains("nothing was applied"), odd.stdout)
        XCTAssertEqual(try sqlite("select count(*) from rejects where file = 'odd.csv'"), "12", "the store still has every reject")
    }

    func testStrictFlagsTurnTheWarningsIntoErrorsAndNothingAppliedIsNotCalledApplied() throws {
        let typo = write(
            #"{"columns": {"Descripton": "vendor_name", "Reference": "source_id", "Transaction Date": "expense_date", "Posted Date": "metadata.posted"}, "ignore_columns": ["Status"], "amount": {"column": "Amount", "negative_is": "in"}, "constants": {"currency": "USD", "status": "approved"}, "date_formats": ["DD MMM YYYY"]}"#,
            to: "typo.json")
        let strict = try run(["import", "csv", "samples/card_statement.csv", "--object", "expense", "--mapping", typo, "--strict"])
        XCTAssertEqual(strict.status, 65, strict.stderr)
        XCTAssertTrue(
            strict.stderr.contains(
                "samples/card_statement.csv:1: error: [malformed_input] the mapping names column(s) this file does not have: 'Descripton' (--strict)"
            ),
            strict.stderr)
        let columns = try run(["import", "csv", "samples/vendor_bills.csv", "--object", "expense", "--strict-columns"])
        XCTAssertEqual(columns.status, 65, columns.stderr)
        XCTAssertTrue(columns.stderr.contains("match no expense field (--strict-columns)"), columns.stderr)
        XCTAssertTrue(columns.stdout.contains("nothing was applied to backfill.sqlite"), "not 'applied': \(columns.stdout)")
        XCTAssertFalse(columns.stdout.contains(": applied to"), columns.stdout)
    }

    func testDateTimesWithoutAZoneTakeTheMappingsTimezoneAndSeparateColumnsCombine() throws {
        _ = write(
            #"{"columns": {"Booked": "posted_at", "Ref": "source_id"}, "timezone": "Europe/Amsterdam", "constants": {"currency": "EUR", "bank_account_id": "x"}}"#,
            to: "tz.json")
        _ = write(
            "Ref,Booked,Amount\nT1,2026-03-02 17:41,-5.00\nT2,2026-07-01T09:00:30,-6.00\nT3,2026-07-01 09:00 +05:30,-7.00\n", to: "tz.csv")
        let tz = try run(["import", "csv", "tz.csv", "--object", "bank_transaction", "--mapping", "tz.json"])
        XCTAssertEqual(tz.status, 0, tz.stderr)
        XCTAssertEqual(
            try rows("select source_id || ' ' || posted_at from bank_transactions order by source_id"),
            ["T1 2026-03-02T16:41:00Z", "T2 2026-07-01T07:00:30Z", "T3 2026-07-01T03:30:00Z"],
            "CET in March, CEST in July; an explicit offset wins")

        _ = write(
            #"{"columns": {"Transaction ID": "source_id", "Name": "merchant_name", "Gross": "amount"}, "datetime": {"field": "posted_at", "date": "Date", "time": "Time", "zone": "TimeZone"}, "date_formats": ["MM/DD/YYYY"], "constants": {"currency": "USD", "bank_account_id": "pp"}}"#,
            to: "pp.json")
        _ = write(
            "Date,Time,TimeZone,Name,Gross,Transaction ID\n03/02/2026,17:41:05,PST,Acme,-12.00,P1\n03/02/2026,5:41 PM,America/New_York,Globex,-3.00,P2\n03/02/2026,17:41:05,,Initech,-1.00,P3\n03/02/2026,17:41:05,CST,Hooli,-1.00,P4\n",
            to: "pp.csv")
        let pp = try run(["import", "csv", "pp.csv", "--object", "bank_transaction", "--mapping", "pp.json"])
        XCTAssertEqual(pp.status, 65, pp.stderr)
        XCTAssertEqual(
            try rows("select source_id || ' ' || posted_at from bank_transactions where source_id like 'P%' order by source_id"),
            ["P1 2026-03-03T01:41:05Z", "P2 2026-03-02T22:41:00Z"])
        XCTAssertTrue(
            pp.stderr.contains(
                "pp.csv:4: error: [invalid_datetime] posted_at: '03/02/2026 17:41:05' has no time zone; set the mapping's timezone"),
            pp.stderr)
        XCTAssertTrue(
            pp.stderr.contains("pp.csv:5: error: [invalid_datetime] posted_at: '03/02/2026 17:41:05 CST': 'CST' is not a time zone"),
            pp.stderr)
    }

    func testLatin9TextIsDecodedAndProposed() throws {
        let bytes: [UInt8] =
            Array("Id,Date,Amount,Currency,Vendor,Status\nL1,2026-03-01,12.00,EUR,Caf".utf8) + [0xE9, 0x20, 0xA4, 0x20, 0xBD]
            + Array(",approved\n".utf8)
        try Data(bytes).write(to: dir.appendingPathComponent("latin9.csv"))
        let r = try run(["import", "csv", "latin9.csv", "--object", "expense", "--encoding", "iso-8859-15"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try sqlite("select vendor_name from expenses"), "Café € œ")
        let proposal = try run(["mapping", "init", "latin9.csv", "--object", "expense"])
        XCTAssertTrue(proposal.stdout.contains(#""encoding": "iso-8859-15""#), proposal.stdout)
    }

    func testAmbiguousAmountsBothDebitAndCreditUnknownDirectionsAndBadMonthsAreRejectedWithWhere() throws {
        _ = write(
            #"{"columns": {"Date": "expense_date", "Id": "source_id"}, "amount": {"column": "Amount"}, "amounts": {"style": "auto"}, "constants": {"currency": "USD", "status": "approved"}, "date_formats": ["DD-MMM-YYYY"]}"#,
            to: "auto.json")
        _ = write("Id,Date,Amount\nA1,28-Mar-2020,\"1,234\"\nA2,31-Foo-2020,12.00\nA3,28-Mar-2020,\"1,234.50\"\n", to: "auto.csv")
        let a = try run(["import", "csv", "auto.csv", "--object", "expense", "--mapping", "auto.json"])
        XCTAssertEqual(a.status, 65, a.stderr)
        XCTAssertTrue(a.stderr.contains("auto.csv:2: error: [invalid_decimal] amount: '1,234' in column 'Amount' is ambiguous"), a.stderr)
        XCTAssertTrue(
            a.stderr.contains(
                "auto.csv:3: error: [invalid_date] expense_date: '31-Foo-2020' is not a date (expected YYYY-MM-DD or DD-MMM-YYYY)"),
            a.stderr)
        XCTAssertEqual(try sqlite("select printf('%.2f', amount) from expenses"), "1234.50")

        _ = write(
            #"{"columns": {"Date": "expense_date"}, "amount": {"debit": "Debit", "credit": "Credit"}, "source_id": {"derive": ["Date", "Debit", "Credit"]}, "constants": {"currency": "USD", "status": "approved"}}"#,
            to: "dc.json")
        _ = write("Date,Memo,Debit,Credit\n2026-03-01,a,5.00,7.00\n2026-03-02,b,,\n2026-03-03,c,,7.00\n", to: "dc.csv")
        let d = try run(["import", "csv", "dc.csv", "--object", "expense", "--mapping", "dc.json"])
        XCTAssertEqual(d.status, 65, d.stderr)
        XCTAssertTrue(
            d.stderr.contains("dc.csv:2: error: [invalid_value] amount: both 'Debit' (5.00) and 'Credit' (7.00) are filled"), d.stderr)
        XCTAssertTrue(d.stderr.contains("dc.csv:3: error: [missing_required] amount: neither 'Debit' nor 'Credit' has an amount"), d.stderr)

        _ = write(
            #"{"columns": {"Datum": "posted_at", "Id": "source_id"}, "delimiter": ";", "amount": {"column": "Bedrag", "direction": {"column": "Af Bij", "out": ["Af"], "in": ["Bij"]}}, "amounts": {"decimal_separator": ","}, "constants": {"currency": "EUR", "bank_account_id": "x"}}"#,
            to: "dir.json")
        _ = write("Id;Datum;Af Bij;Bedrag\nB1;2026-03-01;Af;5,00\nB2;2026-03-02;Credit;7,00\n", to: "dir.csv")
        let x = try run(["import", "csv", "dir.csv", "--object", "bank_transaction", "--mapping", "dir.json"])
        XCTAssertEqual(x.status, 65, x.stderr)
        XCTAssertTrue(
            x.stderr.contains(
                "dir.csv:3: error: [invalid_value] amount: direction 'Credit' in column 'Af Bij' is neither money out (Af) nor money in (Bij); not guessed"
            ),
            x.stderr)
        XCTAssertEqual(try sqlite("select printf('%.2f', amount) from bank_transactions"), "-5.00")

        _ = write(#"{"date_formats": ["DD-MON-YYYY"]}"#, to: "badpattern.json")
        let p = try run(["import", "csv", "auto.csv", "--object", "expense", "--mapping", "badpattern.json"])
        XCTAssertEqual(p.status, 64, "an unknown pattern token is a mapping error: \(p.stderr)")
        XCTAssertTrue(p.stderr.contains("'DD-MON-YYYY' is not a date pattern"), p.stderr)
    }

    func testHeaderShapesTrailingCommaRepeatedNamesAndTheDelimiterFlag() throws {
        _ = write(
            #"{"columns": {"Name": "vendor_name", "Name#2": "memo"}, "constants": {"currency": "USD", "status": "approved"}}"#,
            to: "names.json")
        _ = write("ID|Date|Name|Name|Amount|\nN1|2026-03-01|Acme|Team lunch|12.00|\nN2|2026-03-02|Globex|Taxi|8.50\n", to: "names.csv")
        let r = try run(["import", "csv", "names.csv", "--object", "expense", "--mapping", "names.json", "--delimiter", "|"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows(
                "select source_id || ' ' || vendor_name || ' ' || memo || ' ' || printf('%.2f', amount) from expenses order by source_id"),
            ["N1 Acme Team lunch 12.00", "N2 Globex Taxi 8.50"],
            "a trailing delimiter in the header is no column; the second Name is Name#2")
        let bad = try run(["import", "csv", "names.csv", "--object", "expense", "--delimiter", "ab"])
        XCTAssertEqual(bad.status, 64, bad.stderr)

        // A sub-heading and a total among the rows, without a skip rule: named as what they are.
        _ = write(
            "ID,Date,Vendor,Amount,Currency,Status\nMarch 2026\nS1,2026-03-01,Acme,12.00,USD,approved\n,,,12.00,,\n", to: "sections.csv")
        let sections = try run(["import", "csv", "sections.csv", "--object", "expense"])
        XCTAssertEqual(sections.status, 65, sections.stderr)
        XCTAssertTrue(
            sections.stderr.contains("sections.csv:2: error: [not_a_record] has 1 filled cell of 6: a sub-heading or total"),
            sections.stderr)
        XCTAssertTrue(sections.stderr.contains("sections.csv:4: error: [not_a_record]"), sections.stderr)
        XCTAssertEqual(try sqlite("select count(*) from expenses where source_id = 'S1'"), "1")
    }
}

/// `mapping init` on each shipped export: a proposal that imports it
/// correctly, with exactly the undecidable named.
final class MappingInitEndToEndTests: CLITestCase {
    func propose(_ sample: String, object: String) throws -> (undecided: [String], mapping: [String: Any]) {
        let r = try run(["mapping", "init", "samples/\(sample)", "--object", object, "--output", "proposal.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("next: backfill-sync import csv samples/\(sample) --object \(object) --mapping proposal.json --dry-run"))
        let undecided = r.stderr.split(separator: "\n").filter { $0.hasPrefix("could not decide: ") }.map { String($0.dropFirst(18)) }
        let mapping = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("proposal.json"))) as? [String: Any])
        XCTAssertTrue((mapping["$comment"] as? String ?? "").contains("Guessed: "), "the notes are in the file too")
        return (undecided, mapping)
    }

    /// Imports `sample` with the proposal plus `decisions` (what the user sets).
    func importWith(
        _ sample: String, object: String, _ mapping: [String: Any], decisions: [String: [String: String]] = [:]
    ) throws -> Result {
        var m = mapping
        for (key, values) in decisions { m[key] = ((m[key] as? [String: Any]) ?? [:]).merging(values) { $1 } }
        try JSONSerialization.data(withJSONObject: m).write(to: dir.appendingPathComponent("decided.json"))
        return try run(["import", "csv", "samples/\(sample)", "--object", object, "--mapping", "decided.json", "--connection", "c"])
    }

    func testTheOutputIsNeverAStore() throws {
        XCTAssertEqual(try run(["import", "csv", "samples/expenses.csv", "--object", "expense"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        for target in ["backfill.sqlite", "backfill.sqlite.lock"] {
            let r = try run(["mapping", "init", "samples/card_statement.csv", "--object", "expense", "--output", target])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(target): refusing to write the mapping over"), r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before, "the store is untouched")
        let input = try run([
            "mapping", "init", "samples/card_statement.csv", "--object", "expense", "--output", "samples/card_statement.csv",
        ])
        XCTAssertEqual(input.status, 64, "nor the export it reads: \(input.stderr)")
    }

    func testTheDutchExportImportsWithoutEdits() throws {
        let (undecided, mapping) = try propose("eu_bank_export.csv", object: "bank_transaction")
        XCTAssertEqual(undecided, [], "encoding, ';', preamble, decimal comma, Af/Bij, EUR and the IBAN are all in the file")
        let r = try importWith("eu_bank_export.csv", object: "bank_transaction", mapping)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows(
                "select posted_at || ' ' || printf('%.2f', amount) || ' ' || currency || ' ' || bank_account_id from bank_transactions order by posted_at"
            ),
            [
                "2026-03-02T00:00:00Z -23.45 EUR NL91ABNA0417164300", "2026-03-03T00:00:00Z -8.90 EUR NL91ABNA0417164300",
                "2026-03-05T00:00:00Z -1250.00 EUR NL91ABNA0417164300", "2026-03-10T00:00:00Z 3105.62 EUR NL91ABNA0417164300",
                "2026-03-12T00:00:00Z -112.00 EUR NL91ABNA0417164300", "2026-03-15T00:00:00Z 34.99 EUR NL91ABNA0417164300",
                "2026-03-20T00:00:00Z -17.60 EUR NL91ABNA0417164300",
            ])
    }

    func testTheUSExportNamesItsDateOrderDollarAndStatus() throws {
        let (undecided, mapping) = try propose("us_checking_export.csv", object: "expense")
        XCTAssertEqual(
            undecided,
            [
                "Date: dates read as MM/DD/YYYY or DD/MM/YYYY; MM/DD/YYYY was chosen, check date_formats",
                "currency: '$' was read as USD; change constants.currency for CAD, AUD or another dollar",
                "status: required by expense, not in the file; set constants.status or defaults.status",
            ])
        let r = try importWith("us_checking_export.csv", object: "expense", mapping, decisions: ["defaults": ["status": "approved"]])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows("select expense_date || ' ' || printf('%.2f', amount) from expenses order by expense_date, amount"),
            [
                "2026-03-02 6.75", "2026-03-02 6.75", "2026-03-03 -1000.00", "2026-03-05 1250.00", "2026-03-09 -32.50", "2026-03-12 44.00",
            ])
    }

    func testTheCardStatementNamesItsCurrencyAndStatus() throws {
        let (undecided, mapping) = try propose("card_statement.csv", object: "expense")
        XCTAssertEqual(
            undecided,
            [
                "currency: nothing in the file names it; set constants.currency",
                "status: required by expense, not in the file; set constants.status or defaults.status",
            ])
        let r = try importWith(
            "card_statement.csv", object: "expense", mapping,
            decisions: ["constants": ["currency": "USD"], "defaults": ["status": "approved"]])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(
            try rows("select source_id || ' ' || expense_date || ' ' || printf('%.2f', amount) from expenses order by source_id"),
            [
                "320260302001 2026-02-28 412.30", "320260304002 2026-03-03 23.18", "320260305003 2026-03-04 -1000.00",
                "320260310004 2026-03-09 -120.00",
            ], "the pending row skipped, CR negative")
    }
}
