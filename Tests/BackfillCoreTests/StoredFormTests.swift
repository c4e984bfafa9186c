import XCTest

@testable import BackfillCore

/// The compact payload a store keeps (`StoredForm`) must expand to the
/// canonical record byte for byte, and the fingerprint behind the fast path
/// (`RecordFingerprinter`) must change with anything that shapes a record.
final class StoredFormTests: XCTestCase {
    let catalog = ContractCatalog.standard

    func normalized(_ raw: RawRecord) -> (Fields, RecordIdentity) {
        let record = Normalizer().normalize(raw)
        XCTAssertEqual(record.issues, [], "\(raw.fields)")
        return (record.payload, record.identity!)
    }

    func roundTrip(_ payload: Fields, _ identity: RecordIdentity, file: StaticString = #filePath, line: UInt = #line) -> Fields {
        let contract = catalog.contract(for: identity.objectType)
        let currency = payload["currency"]?.stringValue
        let compact = StoredForm.compact(payload, identity: identity, currency: currency, contract: contract)
        let text = CanonicalJSON.string(.object(compact))
        let cut = StoredForm.compactBytes(
            of: Differ().content(of: payload), payload: payload, identity: identity, currency: currency, contract: contract)
        XCTAssertEqual(String(decoding: cut, as: UTF8.self), text, "cut from the payload's bytes as written", file: file, line: line)
        XCTAssertEqual(
            StoredForm.expandedText(text, identity: identity, currency: currency, contract: contract),
            CanonicalJSON.string(.object(payload)), "expands to the canonical record", file: file, line: line)
        return compact
    }

    func testAnExpenseKeepsOnlyWhatNothingElseHolds() {
        let (payload, identity) = normalized(expenseRecord("exp-1", amount: "12.50"))
        let compact = roundTrip(payload, identity)
        XCTAssertEqual(compact.keys, ["amount", "expense_date", "status"], "identity, currency, derived dates and defaults left out")
        XCTAssertLessThan(CanonicalJSON.string(.object(compact)).utf8.count * 3, CanonicalJSON.string(.object(payload)).utf8.count)
    }

    func testWhatDiffersFromTheContractsRulesIsKept() {
        var raw = expenseRecord("exp-2", amount: "3.00")
        raw.fields["effective_date"] = .string("2026-04-01")
        raw.fields["document_date"] = .string("2026-03-31")
        raw.fields["memo"] = .string("kept")
        raw.unmapped = ["bank_ref": .string("R1")]
        let (payload, identity) = normalized(raw)
        let compact = roundTrip(payload, identity)
        XCTAssertEqual(compact["effective_date"], .string("2026-04-01"))
        XCTAssertEqual(compact["document_date"], .string("2026-03-31"), "not the expense date's: kept")
        XCTAssertNotNil(compact["metadata"], "metadata that is not the default {} is kept")
        XCTAssertNil(compact["source_id"])
    }

    /// The stored form is cut from the bytes written for the content hash,
    /// not written again: members with escapes, decimals with trailing
    /// zeros, nested objects and lines come out as the writer writes them,
    /// whichever members are left out (first, last, all but one).
    func testTheCompactFormIsCutFromThePayloadAsWritten() {
        var raw = expenseRecord("exp-3", amount: "7.50")
        raw.fields["description"] = .string("a \"quoted\" word,\nthen a line")
        raw.fields["memo"] = .string("tab\tand back\\slash")
        raw.fields["lines"] = .array([
            .object(["amount": .string("7.50"), "description": .string("ünïcode"), "quantity": .string("1.000")])
        ])
        raw.fields["dimensions"] = .object(["department": .string("R&D")])
        raw.unmapped = ["z_last": .string("kept")]
        let (payload, identity) = normalized(raw)
        let compact = roundTrip(payload, identity)
        XCTAssertNotNil(compact["lines"])
        XCTAssertNotNil(compact["metadata"])
    }

    func testEveryTypeRoundTripsWithItsDefaults() {
        for type in catalog.objectTypes {
            let identity = RecordIdentity(objectType: type, sourceSystem: "s", connectionID: "", sourceID: "x-1")
            var payload = catalog.contract(for: type)!.defaults
            payload["source_id"] = .string("x-1")
            payload["source_system"] = .string("s")
            let compact = roundTrip(payload, identity)
            XCTAssertEqual(compact.keys, [], "\(type): nothing but what the contract and the row restore")
        }
    }

    func testAPayloadWrittenBeforeCompactionExpandsToItself() {
        let (payload, identity) = normalized(expenseRecord("exp-3", amount: "9.99"))
        let full = CanonicalJSON.string(.object(payload))
        XCTAssertEqual(
            StoredForm.expandedText(full, identity: identity, currency: "USD", contract: catalog.contract(for: "expense")), full)
    }

    func testTheFingerprintChangesWithTheRecordAndWithWhatShapesIt() throws {
        let plain = RecordFingerprinter(catalog: catalog, options: NormalizeOptions())
        let raw = expenseRecord("exp-1", amount: "12.50")
        let base = try XCTUnwrap(plain.fingerprint(of: raw))
        XCTAssertEqual(base.count, 16)
        XCTAssertEqual(plain.fingerprint(of: raw), base, "deterministic")
        var moved = raw
        moved.origin = Origin(file: "other.csv", line: 90)
        XCTAssertEqual(plain.fingerprint(of: moved), base, "where the row sits does not shape the record")
        var edited = raw
        edited.fields["amount"] = .string("12.51")
        XCTAssertNotEqual(plain.fingerprint(of: edited), base)
        var otherConnection = raw
        otherConnection.connectionID = "other"
        XCTAssertNotEqual(plain.fingerprint(of: otherConnection), base)
        var unmapped = raw
        unmapped.unmapped = ["x": .string("1")]
        XCTAssertNotEqual(plain.fingerprint(of: unmapped), base)

        var comma = NormalizeOptions()
        comma.amountFormat.decimalSeparator = ","
        XCTAssertNotEqual(RecordFingerprinter(catalog: catalog, options: comma).fingerprint(of: raw), base, "other options")
        var dates = NormalizeOptions()
        dates.datePatterns = [try XCTUnwrap(DatePattern("DD-MM-YYYY"))]
        XCTAssertNotEqual(RecordFingerprinter(catalog: catalog, options: dates).fingerprint(of: raw), base, "other date formats")
        let otherCatalog = try ContractCatalog(text: ContractCatalog.standardContracts + "\n")
        XCTAssertNotEqual(RecordFingerprinter(catalog: otherCatalog, options: NormalizeOptions()).fingerprint(of: raw), base)

        var flagged = raw
        flagged.issues = [RecordIssue(origin: raw.origin, field: "amount", code: .invalidDecimal, message: "bad")]
        XCTAssertNil(plain.fingerprint(of: flagged), "a record its connector flagged never takes the fast path")
    }
}
