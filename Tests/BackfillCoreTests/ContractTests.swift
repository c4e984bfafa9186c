import XCTest

@testable import BackfillCore

final class ContractTests: XCTestCase {
    let catalog = ContractCatalog.standard

    func testEveryAPIRecordTypeHasAContract() {
        let expected = [
            "customer", "vendor", "item", "account", "invoice", "payment", "sales_receipt", "credit_memo",
            "refund_receipt", "vendor_bill", "bill_payment", "expense", "vendor_credit", "quote", "sales_order",
            "purchase_order", "bank_account", "bank_transaction", "bank_transfer", "deposit", "journal_entry",
        ]
        XCTAssertEqual(catalog.objectTypes, expected)
        for type in expected {
            let c = catalog.contract(for: type)!
            XCTAssertEqual(c.fieldsByName["source_id"]?.required, true, type)
            XCTAssertEqual(c.fieldsByName["source_system"]?.required, true, type)
            XCTAssertNotNil(c.fieldsByName["connection_id"], type)
            if let shape = c.lineShapeName { XCTAssertNotNil(catalog.shape(shape), "\(type) lines shape \(shape)") }
        }
        XCTAssertEqual(catalog.contract(for: "bank_transaction")?.apiPath, "/v1/bank/transactions")
        XCTAssertEqual(catalog.contract(for: "journal_entry")?.collection, "journal_entries")
    }

    func testExpenseFollowsTheCanonicalContract() {
        let expense = catalog.contract(for: "expense")!
        let required = expense.fields.filter(\.required).map(\.name).sorted()
        XCTAssertEqual(required, ["amount", "currency", "source_id", "source_system", "status"])
        XCTAssertEqual(expense.fieldsByName["lines"]?.defaultValue, .array([]))
        XCTAssertEqual(expense.fieldsByName["dimensions"]?.defaultValue, .object([:]))
        XCTAssertEqual(expense.fieldsByName["metadata"]?.defaultValue, .object([:]))
        XCTAssertEqual(expense.fieldsByName["payment_method_details"]?.defaultValue, .object([:]))
        XCTAssertEqual(expense.fieldsByName["payment_method_type"]?.enumValues, ["check", "credit_card", "ach", "cash", "wire", "other"])
        XCTAssertEqual(expense.fieldsByName["approval_status"]?.enumValues, ["draft", "pending_approval", "approved", "rejected", "void"])
        XCTAssertEqual(expense.fieldsByName["amount"]?.type, .money)
        XCTAssertEqual(expense.fieldsByName["expense_date"]?.type, .date)
        XCTAssertEqual(expense.documentDateSource, "expense_date")
        let line = catalog.shape("expense_line")!
        XCTAssertEqual(line.fields.count, 21, "the contract's 21 line fields, no more")
        XCTAssertEqual(line.fieldsByName["quantity"]?.type, .decimal, "quantities keep their precision")
        XCTAssertEqual(catalog.shape("detail")?.fieldsByName["type"]?.enumValues, ["item", "discount", "subtotal", "description_only"])
        let tax = catalog.shape("tax_detail")!
        XCTAssertEqual(tax.fields.filter(\.required).map(\.name).sorted(), ["amount_includes_tax", "tax_amount", "tax_detail_ref"])
        XCTAssertEqual(tax.fields.count, 20)
    }

    /// The catalog is data, so its parser is strict: a misspelt object key
    /// would fall back to a default path, and a field naming a shape that
    /// does not exist would validate nothing inside it.
    func testTheCatalogParserRejectsUnknownOptionsAndDanglingShapes() {
        XCTAssertNoThrow(try ContractCatalog(text: "shape l\n  a string\nobject t collection=ts path=/v1/ts\n  lines [l]\n"))
        XCTAssertThrowsError(try ContractCatalog(text: "object t colection=ts\n  name string\n")) { error in
            XCTAssertEqual(
                "\(error)",
                "catalog line 1: unknown option 'colection=ts' of object t (known: alias, collection, docdate, "
                    + "native, path, total, each as key=value)")
        }
        XCTAssertThrowsError(try ContractCatalog(text: "object t total\n  name string\n"), "a key without a value")
        XCTAssertThrowsError(try ContractCatalog(text: "object t\n  name string\n  lines [nosuch_line]\n")) { error in
            XCTAssertEqual("\(error)", "catalog line 3: no shape named 'nosuch_line'")
        }
        XCTAssertThrowsError(try ContractCatalog(text: "object t\n  detail {nosuch}\n")) { error in
            XCTAssertEqual("\(error)", "catalog line 2: no shape named 'nosuch'")
        }
        XCTAssertThrowsError(try ContractCatalog(text: "object\n  name string\n"), "an object needs a name")
        XCTAssertNoThrow(try ContractCatalog(text: ContractCatalog.standardContracts), "the standard contracts pass the same checks")
    }
}
