import BackfillCore

/// Maps a bill's payments to canonical `bill_payment` records owned by the
/// bill: request `payments[]`, or response `payment_allocations[].payment`.
///
/// Layer's upsert rule: "omitting this field (or passing null) preserves any
/// existing dedicated payments; passing an empty array [] removes all
/// dedicated payments". So when the list is present it is the complete set:
/// payments imported before for this bill and missing now are marked removed
/// (tombstoned, never deleted); when it is absent nothing is touched.
struct LayerPaymentMapper {
    let bill: JSONNode
    let billType: String
    let billSourceID: String
    let connectionID: String?
    let currency: String
    let vendorReference: String?
    let file: String
    let billOrigin: Origin

    struct Result {
        var records: [RawRecord] = []
        /// The complete set of payment source ids, when the bill states one.
        var ownedSourceIDs: Set<String>?
    }

    var billIdentity: RecordIdentity {
        RecordIdentity(
            objectType: billType, sourceSystem: LayerBillMapper.sourceSystem,
            connectionID: connectionID ?? "", sourceID: billSourceID)
    }

    /// Payment fields that become canonical fields; the rest go to `metadata.layer`.
    private static let paymentNames = ["external_id", "amount", "processor", "reference_number"]
    static let mappedPaymentFields = JSONNames(paymentNames)
    /// An allocated payment's `at` becomes the allocation's date.
    static let mappedAllocatedPaymentFields = JSONNames(paymentNames + ["at"])
    static let mappedAllocationFields: JSONNames = ["payment"]

    func payments(reader: inout LayerValueReader) -> Result {
        var result = Result()
        let billID = billIdentity.derivedCanonicalID
        if let payments = bill["payments"], !payments.isNull {
            var owned: Set<String> = []
            for (k, payment) in reader.objects(payments, "payments").enumerated() {
                let path = "payments[\(k)]"
                // Without an external_id a payment is keyed by its bill and position.
                let sourceID = reader.string(payment["external_id"], path + ".external_id") ?? "\(billSourceID)-payment-\(k + 1)"
                owned.insert(sourceID)
                guard let amount = reader.amount(payment["amount"], path + ".amount", required: true) else { continue }
                reader.checkMetadata(payment["metadata"], path + ".metadata")
                var fields = common(sourceID: sourceID, amount: amount, billID: billID, payment: payment)
                fields["allocations"] = .array([.object(["bill_id": .string(billID), "amount": .decimal(amount)])])
                let layer = payment.fields(excluding: Self.mappedPaymentFields)
                result.records.append(record(fields, layer: layer, path: path, payment: payment))
            }
            result.ownedSourceIDs = owned
        } else if let allocations = bill["payment_allocations"], !allocations.isNull {
            var owned: Set<String> = []
            for (k, allocation) in reader.objects(allocations, "payment_allocations").enumerated() {
                let path = "payment_allocations[\(k)]"
                guard let payment = allocation["payment"], payment.isObject else {
                    reader.fail(path + ".payment", .missingRequired, "the allocation has no payment")
                    continue
                }
                guard
                    let sourceID = reader.string(payment["external_id"], path + ".payment.external_id")
                        ?? reader.string(payment["id"], path + ".payment.id")
                else {
                    reader.fail(path + ".payment", .missingRequired, "the payment has neither external_id nor id")
                    continue
                }
                owned.insert(sourceID)
                guard let amount = reader.amount(payment["amount"], path + ".payment.amount", required: true),
                    let allocated = reader.amount(allocation["amount"], path + ".amount", required: true)
                else { continue }
                var fields = common(sourceID: sourceID, amount: amount, billID: billID, payment: payment)
                var allocationFields: Fields = ["bill_id": .string(billID), "amount": .decimal(allocated)]
                if let at = reader.dateTime(payment["at"], path + ".payment.at") {
                    fields["payment_date"] = .string(at.date.description)
                    allocationFields["allocated_on"] = .string(at.date.description)
                }
                fields["allocations"] = .array([.object(allocationFields)])
                var layer = payment.fields(excluding: Self.mappedAllocatedPaymentFields)
                layer["allocation"] = .object(allocation.fields(excluding: Self.mappedAllocationFields))
                // One payment can be allocated to several bills of the file.
                var shared = record(fields, layer: layer, path: path + ".payment", payment: payment)
                shared.repeatKey = "bill_payment\u{1F}" + sourceID
                result.records.append(shared)
            }
            result.ownedSourceIDs = owned
        }
        return result
    }

    private func common(sourceID: String, amount: ExactDecimal, billID: String, payment: JSONNode) -> Fields {
        var fields: Fields = [
            "source_id": .string(sourceID), "amount": .decimal(amount), "currency": .string(currency),
            "bill_id": .string(billID), "status": .string("paid"),
        ]
        if let vendorReference { fields["vendor_id"] = .string(vendorReference) }
        if let processor = payment["processor"]?.string { fields["payment_method"] = .string(processor) }
        if let reference = payment["reference_number"]?.string { fields["payment_number"] = .string(reference) }
        return fields
    }

    private func record(_ fields: Fields, layer: Fields, path: String, payment: JSONNode) -> RawRecord {
        var origin = billOrigin
        origin.jsonPath = (billOrigin.jsonPath ?? "$") + "." + path
        var record = RawRecord(
            objectType: "bill_payment", origin: origin, sourceSystem: LayerBillMapper.sourceSystem,
            connectionID: connectionID, fields: fields, unmapped: layer,
            rawText: CanonicalJSON.string(payment.value))
        record.parent = billIdentity
        return record
    }
}
