import BackfillCore

/// Maps a bill's `line_items`, `additional_discount` and
/// `additional_sales_taxes` to canonical lines, and adds up the totals
/// exactly, at the currency's minor unit.
struct LayerLineMapper {
    let isExpense: Bool
    let sourceID: String

    struct Result {
        var lines: [Fields] = []
        /// Σ item line amounts (after line discounts, before taxes).
        var subtotal: ExactDecimal
        var lineTax: ExactDecimal
        var additionalDiscount: ExactDecimal
        var additionalTax: ExactDecimal

        /// Sums start at zero in the currency's scale, so a bill without tax
        /// says `0.00`, not `0`.
        init(scale: Int) {
            let zero = ExactDecimal(significand: 0, scale: scale)
            subtotal = zero
            lineTax = zero
            additionalDiscount = zero
            additionalTax = zero
        }
    }

    /// Account fields differ: an expense line has expense_account_*.
    private var accountIDField: String { isExpense ? "expense_account_id" : "account_id" }
    private var accountCodeField: String { isExpense ? "expense_account_code" : "account_code" }

    func lines(_ bill: JSONNode, reader: inout LayerValueReader) -> Result {
        let scale = reader.minorUnits
        var result = Result(scale: scale)
        for (j, item) in reader.objects(bill["line_items"], "line_items").enumerated() {
            let path = "line_items[\(j)]"
            var line: Fields = [:]
            var layer = item.fields(excluding: Self.mappedLineFields)
            reader.checkMetadata(item["metadata"], path + ".metadata")

            if let key = reader.string(item["external_id"], path + ".external_id") ?? reader.string(item["id"], path + ".id") {
                line["line_key"] = .string(key)
                if !isExpense { line["line_ref"] = .string(key) }
            }
            let productName = reader.string(item["product_name"], path + ".product_name")
            // A named product is a product line; an unnamed one is a service.
            line["line_type"] = .string(productName != nil ? "product" : "service")
            if let productName { line["product"] = .object(["name": .string(productName)]) }
            if let description = reader.string(item["description"], path + ".description") ?? productName {
                line["description"] = .string(description)
            }

            let unit = reader.amount(item["unit_price"], path + ".unit_price", required: true)
            let quantity = reader.quantity(item["quantity"], path + ".quantity")
            let discount = reader.amount(item["discount_amount"], path + ".discount_amount") ?? .zero
            if let unit { line["unit_amount"] = .decimal(unit) }
            if let quantity { line["quantity"] = .decimal(quantity) }
            if !discount.isZero { line["discount_amount"] = .decimal(discount) }
            if let unit, let quantity {
                // unit_price × quantity − discount_amount; a fractional quantity
                // can fall between cents: rounded half-to-even to the cent.
                let exact = reader.exact(path + ".unit_price") { () throws(ExactDecimal.Overflow) in
                    try unit * quantity - discount
                }
                var amount = exact?.rounded(toScale: scale)
                if let stated = reader.amount(item["subtotal"], path + ".subtotal"), let exact {
                    let halfCent = ExactDecimal(significand: 5, scale: scale + 1)
                    let gap = reader.exact(path + ".subtotal") { () throws(ExactDecimal.Overflow) in try stated - exact }
                    if let gap, (gap.isNegative ? gap.negated : gap) > halfCent {
                        reader.fail(
                            path + ".subtotal", .totalMismatch,
                            "states \(stated) but unit_price × quantity − discount_amount is \(exact)")
                    }
                    amount = stated
                }
                if let amount {
                    line["amount"] = .decimal(amount)
                    result.subtotal =
                        reader.exact(path) { () throws(ExactDecimal.Overflow) in try result.subtotal + amount }
                        ?? result.subtotal
                }
            }

            let account = LayerAccounts.resolve(item["account_identifier"] ?? item["ledger_account"])
            if let id = account.id { line[accountIDField] = .string(id) }
            if let code = account.code { line[accountCodeField] = .string(code) }

            let taxes = taxDetails(
                reader.objects(item["sales_taxes"], path + ".sales_taxes"), path: path + ".sales_taxes", reader: &reader)
            if !taxes.details.isEmpty {
                line["tax_details"] = .array(taxes.details.map(Value.object))
                line["tax_amount"] = .decimal(taxes.total)
                result.lineTax =
                    reader.exact(path + ".sales_taxes") { () throws(ExactDecimal.Overflow) in
                        try result.lineTax + taxes.total
                    } ?? result.lineTax
            }

            let tags = LayerAccounts.dimensions(
                reader.objects(
                    item["tags"] ?? item["transaction_tags"],
                    path + (item["tags"] != nil ? ".tags" : ".transaction_tags")))
            if !tags.dimensions.isEmpty { line["dimensions"] = .object(tags.dimensions) }
            if !tags.displayNames.isEmpty { layer["tag_display_names"] = .object(tags.displayNames) }
            if !layer.isEmpty { line["metadata"] = .object([LayerBillMapper.sourceSystem: .object(layer)]) }
            result.lines.append(line)
        }

        // Bill-level discount: a discount line that lowers the total.
        if let discount = reader.amount(bill["additional_discount"], "additional_discount"), !discount.isZero {
            result.additionalDiscount = discount
            result.lines.append([
                "line_type": .string("discount"), "line_key": .string("additional_discount"),
                "description": .string("Additional discount"), "amount": .decimal(discount.negated),
                "discount_amount": .decimal(discount),
            ])
        }
        // Bill-level taxes: one tax line each, its amount the tax.
        for (k, tax) in reader.objects(bill["additional_sales_taxes"], "additional_sales_taxes").enumerated() {
            let taxes = taxDetails([tax], path: "additional_sales_taxes", index: k, reader: &reader)
            guard let detail = taxes.details.first else { continue }
            result.additionalTax =
                reader.exact("additional_sales_taxes") { () throws(ExactDecimal.Overflow) in
                    try result.additionalTax + taxes.total
                } ?? result.additionalTax
            result.lines.append([
                "line_type": .string("tax"), "line_key": .string("additional_sales_tax-\(k + 1)"),
                "description": detail["tax_name"] ?? .string("Sales tax"),
                "amount": .decimal(taxes.total), "tax_details": .array([.object(detail)]),
            ])
        }
        return result
    }

    /// Line fields that become canonical fields; the rest go to the line's
    /// `metadata.layer`.
    static let mappedLineFields: JSONNames = [
        "external_id", "product_name", "description", "unit_price", "quantity", "discount_amount", "subtotal",
        "sales_taxes", "tags", "transaction_tags",
    ]

    /// Tax fields that become canonical fields.
    static let mappedTaxFields: JSONNames = ["amount", "tax_account"]

    /// `sales_taxes[]` → `tax_details[]`: tax_amount from `amount`, tax_name
    /// from `tax_account.name`, amount_includes_tax false (Layer prices are net
    /// of tax). The required `tax_detail_ref` is built from the tax name and
    /// position, stable across imports.
    private func taxDetails(
        _ taxes: [JSONNode], path: String, index: Int? = nil, reader: inout LayerValueReader
    )
        -> (details: [Fields], total: ExactDecimal)
    {
        var details: [Fields] = []
        var total = ExactDecimal.zero
        for (k, tax) in taxes.enumerated() {
            let position = index ?? k
            let itemPath = "\(path)[\(position)]"
            guard let amount = reader.amount(tax["amount"], itemPath + ".amount", required: true) else { continue }
            let account = tax["tax_account"].flatMap { $0.isObject ? $0 : nil }
            let name = account?["name"]?.string
            var detail: Fields = [
                "tax_detail_ref": .string("\(name ?? "tax")-\(position + 1)"),
                "tax_amount": .decimal(amount),
                "amount_includes_tax": .bool(false),
            ]
            if let name { detail["tax_name"] = .string(name) }
            var layer = tax.fields(excluding: Self.mappedTaxFields)
            if let type = account?["type"] { layer["tax_account_type"] = type.value }
            if !layer.isEmpty { detail["metadata"] = .object([LayerBillMapper.sourceSystem: .object(layer)]) }
            details.append(detail)
            total = reader.exact(itemPath + ".amount") { () throws(ExactDecimal.Overflow) in try total + amount } ?? total
        }
        return (details, total)
    }
}
