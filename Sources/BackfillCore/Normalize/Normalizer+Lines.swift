extension Normalizer.Context {
    /// Which flat line fields each `detail.type` carries into the typed detail
    /// (contract, `detail`: "normalizes selected flat line fields into item,
    /// discount, subtotal, or description_only shapes"). The flat fields stay.
    static let detailFields: [String: [String]] = [
        "item": ["item_id", "sku", "quantity", "unit_amount", "account_id", "class_id", "location_id", "product"],
        "discount": ["discount_amount", "discount_percent", "basis_amount", "account_id", "class_id", "location_id"],
        "subtotal": ["subtotal_amount"],
        "description_only": [],
    ]

    /// `line_type` → `detail.type` (contract: "item covers product or service
    /// rows; discount, subtotal, and description_only represent non-item
    /// rows"). The contract gives no detail variant for `tax` and `shipping`
    /// lines, so those get no `detail` rather than an invented one; their flat
    /// fields are complete. A line with no `line_type` is an ordinary amount
    /// row (`item`), or `description_only` when it has no amount.
    static func detailType(lineType: String?, hasAmount: Bool) -> String? {
        switch lineType {
        case "product"?, "service"?: return "item"
        case "discount"?, "subtotal"?, "description_only"?: return lineType
        case "tax"?, "shipping"?: return nil
        case nil: return hasAmount ? "item" : "description_only"
        default: return nil
        }
    }

    /// The document's lines in canonical shape: one-based `line_number` in
    /// document order, a stable `line_key`, and the typed `detail`.
    mutating func lines(_ value: Value, shapeName: String, lineOrigins: [Origin]) -> Value? {
        guard case .array(let items) = value, let shape = catalog.shape(shapeName) else {
            fail("lines", .invalidType, "expected a list of lines")
            return nil
        }
        let detailShape = shape.fieldsByName["detail"] != nil ? catalog.shape("detail") : nil
        let documentCurrency = currency
        var out: [Value] = []
        for (index, item) in items.enumerated() {
            let path = "lines[\(index)]"
            lineOrigin = index < lineOrigins.count ? lineOrigins[index] : nil
            defer {
                lineOrigin = nil
                currency = documentCurrency
            }
            guard case .object(var fields) = item else {
                fail(path, .invalidType, "expected an object")
                continue
            }
            // Fields that only the typed detail has (an expense line has no flat
            // unit_amount or sku) are carried into the detail, not lost.
            var detailInput = fields["detail"]?.objectValue ?? [:]
            if let detailShape {
                for (name, v) in fields where shape.fieldsByName[name] == nil && detailShape.fieldsByName[name] != nil {
                    detailInput[name] = v
                    fields.removeValue(forKey: name)
                }
            }
            fields.removeValue(forKey: "detail")
            if case .string(let c)? = fields["currency"], !c.trimmingSpaces().isEmpty {
                currency = c.trimmingSpaces().uppercased()
                fields["currency"] = .string(currency!)
            }
            var line = object(fields, shape: shape, path: path)
            line["line_number"] = .integer(index + 1)
            if line["line_key"] == nil {
                if let ref = line["line_ref"] {
                    line["line_key"] = ref
                } else {
                    line["line_key"] = .string("\(sourceID ?? "")-L\(index + 1)")
                }
            }
            if let detailShape {
                var detail = object(detailInput, shape: detailShape, path: path + ".detail")
                let type =
                    detail["type"]?.stringValue
                    ?? Self.detailType(lineType: line["line_type"]?.stringValue, hasAmount: line["amount"] != nil)
                if let type {
                    detail["type"] = .string(type)
                    for name in Self.detailFields[type] ?? [] where detail[name] == nil {
                        if let v = line[name] { detail[name] = v }
                    }
                    if type == "subtotal", detail["subtotal_amount"] == nil, let amount = line["amount"] {
                        detail["subtotal_amount"] = amount
                    }
                    line["detail"] = .object(detail)
                } else if !detail.isEmpty {
                    line["detail"] = .object(detail)
                }
            }
            out.append(.object(line))
        }
        return .array(out)
    }
}
