import Foundation
import XCTest

@testable import BackfillAPI
@testable import BackfillCore

final class BackfillAPIConnectorTests: XCTestCase {
    func page(_ items: String, extras: Fields = [:]) throws -> PagedList.Page {
        PagedList.Page(
            number: 1, items: try JSONParser.parse(items).arrayValue!, isLast: true,
            label: "GET /v1/x?limit=2&page=1", extras: extras)
    }

    func testIdentityFollowsTheRecordThenTheNativeIDThenTheEnvelope() throws {
        let connector = BackfillAPIConnector(connectionID: "conn_acme")
        let expenses = connector.records(
            of: try page(
                """
                [{"data": {"source_id": "e-1", "source_system": "expensify", "connection_id": "exp_7", "amount": "1.00",
                           "currency": "USD", "status": "draft", "updated_at": "2026-05-02T00:00:00Z",
                           "line_items": [{"amount": "1.00"}]}, "id": "11111111-1111-4111-8111-111111111111", "object": "expense"},
                 {"data": {"amount": "2.00", "currency": "USD", "status": "draft", "updated_at": "2026-05-03T00:00:00Z"},
                  "id": "22222222-2222-4222-8222-222222222222", "object": "expense"}]
                """), objectType: "expense")
        XCTAssertEqual(expenses.maxUpdatedAt, "2026-05-03T00:00:00Z")
        let first = expenses.records[0]
        XCTAssertEqual(first.sourceSystem, "expensify")
        XCTAssertEqual(first.connectionID, "exp_7")
        XCTAssertEqual(first.canonicalID, "11111111-1111-4111-8111-111111111111", "the envelope id is the canonical id")
        XCTAssertEqual(first.origin, Origin(file: "GET /v1/x?limit=2&page=1", jsonPath: "$.data[0]"))
        let second = expenses.records[1]
        XCTAssertEqual(second.sourceSystem, "backfill", "no identity of its own")
        XCTAssertEqual(second.connectionID, "conn_acme")
        XCTAssertEqual(second.fields["source_id"], .string("22222222-2222-4222-8222-222222222222"))

        var normalized = Normalizer().normalize(first)
        Validator().validate(&normalized, objectType: "expense")
        XCTAssertEqual(normalized.issues, [])
        XCTAssertEqual(normalized.payload["lines"]?.arrayValue?.count, 1, "line_items is the API's name for lines")
        XCTAssertEqual(
            normalized.payload["metadata"]?["expensify"]?["updated_at"], .string("2026-05-02T00:00:00Z"),
            "provider timestamps are kept, not dropped")

        let customers = connector.records(
            of: try page(
                """
                [{"data": {"customer_id": "cus_1001", "name": "Acme"}, "id": "33333333-3333-4333-8333-333333333333", "object": "customer"}]
                """), objectType: "customer")
        XCTAssertEqual(customers.records[0].fields["source_id"], .string("cus_1001"), "customer_id is stored as source_id")
        XCTAssertEqual(customers.records[0].sourceSystem, "backfill")
    }

    func testMalformedItemsAndWrongObjectsAreRejectsNotCrashes() throws {
        let connector = BackfillAPIConnector(connectionID: "c")
        let records = connector.records(
            of: try page(#"[{"oops": 1}, {"data": {"name": "x"}, "id": "i", "object": "vendor"}]"#),
            objectType: "customer"
        ).records
        XCTAssertEqual(records[0].issues.map(\.code), [.malformedInput])
        XCTAssertEqual(records[1].issues.map(\.code), [.invalidValue])
    }

    func testEveryObjectTypeHasItsEndpoint() {
        let connector = BackfillAPIConnector(connectionID: "c")
        XCTAssertEqual(connector.path(for: "bank_account"), "/v1/bank/accounts")
        XCTAssertEqual(connector.path(for: "journal_entry"), "/v1/journal_entries")
        XCTAssertEqual(ContractCatalog.standard.objectTypes.compactMap(connector.path(for:)).count, 21)
    }
}
