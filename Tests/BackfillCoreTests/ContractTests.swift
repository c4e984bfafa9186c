import XCTest
@testable import BackfillCore

final class ContractTests: XCTestCase {
    let catalog = ContractCatalog.standard

    func testEveryAPIRecordTypeHasAContract() {
        let expected = ["customer", "vendor", "item", "account", "invoice", "payment", "sales_receipt", "credit_memo",
                        "refund_receipt", "vendor_bill", "bill_payment", "expense", "vendor_credit", "quote", "sales_order",
                        "purchase_order", "bank_account", "bank_transaction", "bank_transfer", "deposit", "journal_entry"]
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
}
