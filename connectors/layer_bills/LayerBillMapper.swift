import BackfillCore

/// Maps one Layer bill (request or response shape) to raw canonical records:
/// the bill as a `vendor_bill` (or an `expense` when `is_expense`), the
/// embedded `vendor`, and one `bill_payment` per payment.
///
/// Every rule here is recorded in the README's Layer section with its reason;
/// the Layer document (`shared/seeds/layer-bills-bulk-create.txt`) states few
/// of them, so most are the careful reading, not a quotation.
struct LayerBillMapper {
    let file: String
    let connectionID: String?
    let currency: String
    let minorUnits: Int

    static let sourceSystem = "layer"

    /// Bill fields that become canonical fields or records; everything else a
    /// bill carries is kept under `metadata.layer`.
    static let mappedBillFields: JSONNames = [
        "external_id", "received_at", "due_at", "paid_at", "line_items", "additional_discount", "additional_sales_taxes",
        "tags", "transaction_tags", "reference_number", "vendor", "vendor_id", "subtotal", "total_amount",
        "payment_allocations", "payments", "is_expense",
    ]

    /// Vendor fields that become canonical fields (the rest: `metadata.layer`).
    static let mappedVendorFields: JSONNames = ["id", "external_id", "company_name", "email", "transaction_tags"]

    /// The records one bill yields: its vendor, the bill, its payments.
    /// Those that can repeat across bills of one file (a vendor, a response
    /// payment split over bills) carry a `repeatKey`: only the first counts.
    func map(_ element: JSONArrayReader.Element) -> [RawRecord] {
        var reader = LayerValueReader(file: file, basePath: element.path, line: element.line, minorUnits: minorUnits)
        // The bill exactly as written in the file: what a reject keeps.
        let rawText = String(decoding: element.bytes, as: UTF8.self)
        if let issue = element.issue {
            // JSON, but with a string no text can be made of: this bill alone is rejected.
            return [
                RawRecord(
                    objectType: "vendor_bill", origin: reader.origin(), sourceSystem: Self.sourceSystem,
                    connectionID: connectionID, fields: [:], rawText: rawText, issues: [issue])
            ]
        }
        guard let bill = element.node, bill.isObject else {
            reader.fail("", .invalidType, "a bill must be a JSON object")
            return [
                RawRecord(
                    objectType: "vendor_bill", origin: reader.origin(), sourceSystem: Self.sourceSystem,
                    connectionID: connectionID, fields: [:], rawText: rawText, issues: reader.issues)
            ]
        }

        // Identity: external_id is Layer's idempotency key; a response bill
        // without one is keyed by its Layer id.
        let sourceID = reader.string(bill["external_id"], "external_id") ?? reader.string(bill["id"], "id")
        reader.sourceID = sourceID
        if sourceID == nil {
            reader.fail(
                "external_id", .missingRequired, "is required: it is the bill's idempotency key (or give the Layer id)",
                covers: "source_id")
        }

        var objectType = "vendor_bill"
        if let flag = bill["is_expense"], !flag.isNull {
            switch flag.bool {
            case true?: objectType = "expense"
            case false?: break
            case nil: reader.fail("is_expense", .invalidBoolean, "expected true or false")
            }
        }
        let isExpense = objectType == "expense"
        var fields: Fields = ["currency": .string(currency)]
        if let sourceID { fields["source_id"] = .string(sourceID) }
        var layer: Fields = bill.fields(excluding: Self.mappedBillFields)
        if isExpense, let memo = bill["memo"] {
            fields["memo"] = memo.value
            layer.removeValue(forKey: "memo")
        }
        reader.checkMetadata(bill["metadata"], "metadata")

        // Dates: received_at is the bill date (its calendar day in UTC).
        let received = reader.dateTime(bill["received_at"], "received_at")
        if let received {
            fields[isExpense ? "expense_date" : "bill_date"] = .string(received.date.description)
        }
        mapDueDate(bill, received: received, isExpense: isExpense, into: &fields, reader: &reader)
        let paid = reader.dateTime(bill["paid_at"], "paid_at")
        if let paid {
            if isExpense { layer["paid_at"] = bill["paid_at"]?.value } else { fields["paid_date"] = .string(paid.date.description) }
        }
        let voided = reader.dateTime(bill["voided_at"], "voided_at")
        fields["status"] = .string(voided != nil ? "void" : (paid != nil ? "paid" : "open"))
        if let reference = reader.string(bill["reference_number"], "reference_number") {
            if isExpense { layer["reference_number"] = .string(reference) } else { fields["document_number"] = .string(reference) }
        }

        // Vendor: exactly one of vendor_id / vendor_external_id (request), or
        // the embedded vendor object (response).
        var records: [RawRecord] = []
        let vendor = mapVendor(bill, reader: &reader)
        if var vendorRecord = vendor.record {
            vendorRecord.repeatKey = "vendor\u{1F}" + (vendorRecord.declaredSourceID ?? "")
            records.append(vendorRecord)
        }
        if let reference = vendor.reference { fields["vendor_id"] = .string(reference) }
        if isExpense, let name = vendor.name { fields["vendor_name"] = .string(name) }

        let tags = LayerAccounts.dimensions(
            reader.objects(
                bill["tags"] ?? bill["transaction_tags"],
                bill["tags"] != nil ? "tags" : "transaction_tags"))
        if !tags.dimensions.isEmpty { fields["dimensions"] = .object(tags.dimensions) }
        if !tags.displayNames.isEmpty { layer["tag_display_names"] = .object(tags.displayNames) }

        // Lines and totals, exactly.
        let lines = LayerLineMapper(isExpense: isExpense, sourceID: sourceID ?? "")
            .lines(bill, reader: &reader)
        fields["lines"] = .array(lines.lines.map(Value.object))
        let taxTotal =
            reader.exact("line_items") { () throws(ExactDecimal.Overflow) in try lines.lineTax + lines.additionalTax }
            ?? lines.lineTax
        let total =
            reader.exact("line_items") { () throws(ExactDecimal.Overflow) in
                try lines.subtotal - lines.additionalDiscount + taxTotal
            } ?? lines.subtotal
        if let stated = reader.amount(bill["subtotal"], "subtotal"), stated != lines.subtotal {
            reader.fail("subtotal", .totalMismatch, "states \(stated) but the lines add up to \(lines.subtotal)")
        }
        if let stated = reader.amount(bill["total_amount"], "total_amount"), stated != total {
            reader.fail("total_amount", .totalMismatch, "states \(stated) but lines, discount and taxes add up to \(total)")
        }
        if isExpense {
            fields["amount"] = .decimal(total)
            fields["tax_amount"] = .decimal(taxTotal)
        } else {
            fields["total_amount"] = .decimal(total)
            layer["subtotal"] = .decimal(lines.subtotal)
            layer["tax_total"] = .decimal(taxTotal)
        }

        var billRecord = RawRecord(
            objectType: objectType, origin: reader.origin(), sourceSystem: Self.sourceSystem,
            connectionID: connectionID, fields: fields, unmapped: layer, rawText: rawText)

        // Payments become bill_payment records owned by the bill.
        let payments = LayerPaymentMapper(
            bill: bill, billType: objectType, billSourceID: sourceID ?? "",
            connectionID: connectionID, currency: currency, vendorReference: vendor.reference,
            file: file, billOrigin: reader.origin()
        )
        .payments(reader: &reader)
        if let owned = payments.ownedSourceIDs {
            billRecord.ownedChildren = .init(objectType: "bill_payment", sourceIDs: owned)
        }
        billRecord.issues = reader.issues
        records.append(billRecord)
        // The payments of a bill that already failed would only be rejected
        // with it; they are left out rather than reported twice.
        if reader.issues.isEmpty { records += payments.records }
        // Every record here is made from this bill's bytes, the currency and
        // which of the bill's records it is (its path inside the bill): what
        // the fast path's fingerprint is taken over.
        let context = "layer_bills\u{1F}\(currency)\u{1F}"
        for i in records.indices {
            let path = records[i].origin.jsonPath ?? ""
            let inside = path.hasPrefix(element.path) ? String(path.dropFirst(element.path.count)) : path
            records[i].madeFrom = .init(context: context + inside, bytes: element.bytes)
        }
        return records
    }

    /// `due_at`, or `bill_terms` counted from the received date; Layer's rule:
    /// "Either due_at or bill_terms must be specified, but not both."
    private func mapDueDate(
        _ bill: JSONNode, received: CanonicalDateTime?, isExpense: Bool,
        into fields: inout Fields, reader: inout LayerValueReader
    ) {
        let hasDueAt = !(bill["due_at"]?.isNull ?? true)
        let hasTerms = !(bill["bill_terms"]?.isNull ?? true)
        if hasDueAt && hasTerms {
            reader.fail("due_at", .invalidValue, "give either due_at or bill_terms, not both (Layer's rule)")
            return
        }
        if !hasDueAt && !hasTerms {
            reader.fail("due_at", .missingRequired, "give either due_at or bill_terms (Layer's rule)")
            return
        }
        let dueDate: CalendarDate?
        if hasDueAt {
            dueDate = reader.dateTime(bill["due_at"], "due_at")?.date
        } else {
            guard let text = reader.string(bill["bill_terms"], "bill_terms"), let terms = LayerBillTerms(rawValue: text) else {
                reader.fail(
                    "bill_terms", .invalidEnum,
                    "'\(Excerpt(CanonicalJSON.string(bill["bill_terms"]!.value)))' is not one of \(LayerBillTerms.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                return
            }
            guard let received else {
                reader.fail("bill_terms", .missingRequired, "bill_terms counts from received_at, which is missing")
                return
            }
            dueDate = received.date.adding(days: terms.days)
        }
        // An expense has no due date field; the Layer value stays in metadata.
        if let dueDate, !isExpense { fields["due_date"] = .string(dueDate.description) }
    }

    private func mapVendor(
        _ bill: JSONNode, reader: inout LayerValueReader
    )
        -> (reference: String?, name: String?, record: RawRecord?)
    {
        if let vendor = bill["vendor"], vendor.isObject {
            let path = "vendor"
            var vendorReader = LayerValueReader(
                file: file, basePath: reader.basePath + "." + path, line: reader.line,
                minorUnits: minorUnits)
            let id = vendorReader.string(vendor["id"], "id")
            let externalID = vendorReader.string(vendor["external_id"], "external_id")
            let name =
                vendorReader.string(vendor["company_name"], "company_name")
                ?? vendorReader.string(vendor["individual_name"], "individual_name")
            guard let key = externalID ?? id else {
                reader.fail(path, .missingRequired, "the vendor has neither external_id nor id")
                return (nil, name, nil)
            }
            vendorReader.sourceID = key
            var fields: Fields = ["source_id": .string(key)]
            if let id { fields["vendor_id"] = .string(id) }
            if let name { fields["name"] = .string(name) }
            for (from, to) in [("company_name", "company_name"), ("email", "email")] {
                if let v = vendorReader.string(vendor[from], from) { fields[to] = .string(v) }
            }
            if let phone = vendorReader.string(vendor["office_phone"], "office_phone")
                ?? vendorReader.string(vendor["mobile_phone"], "mobile_phone")
            {
                fields["phone"] = .string(phone)
            }
            let tags = LayerAccounts.dimensions(vendorReader.objects(vendor["transaction_tags"], "transaction_tags"))
            var layer = vendor.fields(excluding: Self.mappedVendorFields)
            if !tags.dimensions.isEmpty { layer["tags"] = .object(tags.dimensions) }
            let record = RawRecord(
                objectType: "vendor", origin: vendorReader.origin(), sourceSystem: Self.sourceSystem,
                connectionID: connectionID, fields: fields, unmapped: layer,
                rawText: CanonicalJSON.string(vendor.value), issues: vendorReader.issues)
            return (id ?? externalID, name, record)
        }
        let vendorID = reader.string(bill["vendor_id"], "vendor_id")
        let externalID = reader.string(bill["vendor_external_id"], "vendor_external_id")
        switch (vendorID, externalID) {
        case (let id?, nil): return (id, nil, nil)
        case (nil, let external?): return (external, nil, nil)
        case (.some, .some):
            reader.fail("vendor_id", .invalidValue, "give vendor_id or vendor_external_id, not both")
        case (nil, nil):
            reader.fail("vendor_id", .missingRequired, "give vendor_id or vendor_external_id (Layer's rule)")
        }
        return (nil, nil, nil)
    }
}
