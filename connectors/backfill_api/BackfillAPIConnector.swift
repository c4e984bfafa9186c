import BackfillCore

/// The `backfill_api` connector: turns pages of a Backfill API list endpoint
/// into raw records. Fetching, paging, retries and rate limits are the core's
/// (`PagedList`, `APIClient`); this only knows the envelope and the identity.
///
/// Envelope (API reference, every list endpoint):
/// `{"data": [{"data": {…record…}, "id": "<uuid>", "object": "<type>"}], "pagination": {…}}`.
public struct BackfillAPIConnector: Sendable {
    /// The `source_system` of records that carry no identity of their own.
    public static let sourceSystem = "backfill"
    public let connectionID: String
    public let catalog: ContractCatalog

    public init(connectionID: String, catalog: ContractCatalog = .standard) {
        self.connectionID = connectionID
        self.catalog = catalog
    }

    /// The list path of an object type (`bank_transaction` → `/v1/bank/transactions`).
    public func path(for objectType: String) -> String? {
        catalog.contract(for: objectType)?.apiPath
    }

    /// The raw records of one page, and the highest `updated_at` among them.
    ///
    /// Identity: the record's own `source_system`, `connection_id` and
    /// `source_id` where it has them (a provider-native id documented as
    /// "stored as source_id", such as `customer_id`, counts as a source id);
    /// otherwise `source_system` `backfill` with the envelope `id`. The
    /// connection is the record's `connection_id`, else the configured one.
    /// The envelope `id` is always the canonical id.
    public func records(of page: PagedList.Page, objectType: String) -> (records: [RawRecord], maxUpdatedAt: String?) {
        let contract = catalog.contract(for: objectType)
        var out: [RawRecord] = []
        var maxUpdatedAt: String?
        for (i, item) in page.items.enumerated() {
            let origin = Origin(file: page.label, jsonPath: "$.data[\(i)]")
            let rawText = CanonicalJSON.string(item)
            guard case .object(let envelope) = item, case .object(var data)? = envelope["data"] else {
                out.append(
                    RawRecord(
                        objectType: objectType, origin: origin, sourceSystem: Self.sourceSystem, connectionID: connectionID,
                        fields: [:], rawText: rawText,
                        issues: [
                            RecordIssue(
                                origin: origin, field: nil, code: .malformedInput,
                                message: "a list item must be {\"data\": {…}, \"id\": …, \"object\": …}")
                        ]))
                continue
            }
            var issues: [RecordIssue] = []
            if let object = envelope["object"]?.stringValue, object != objectType {
                issues.append(
                    RecordIssue(
                        origin: origin, field: "object", code: .invalidValue,
                        message: "'\(Excerpt(object))' in the \(objectType) list"))
            }
            let envelopeID = envelope["id"]?.stringValue
            let nativeID = contract?.nativeIDField.flatMap { nonEmpty(data[$0]) }
            let ownID = nonEmpty(data["source_id"]) ?? nativeID
            var sourceSystem = Self.sourceSystem
            if let ownID {
                sourceSystem = nonEmpty(data["source_system"]) ?? Self.sourceSystem
                data["source_id"] = .string(ownID)
            } else if let envelopeID {
                data["source_id"] = .string(envelopeID)
            }
            let connection = nonEmpty(data["connection_id"]) ?? connectionID
            // The record's `id` is the canonical id the envelope carries too.
            data.removeValue(forKey: "id")
            if let updated = data["updated_at"]?.stringValue, updated > (maxUpdatedAt ?? "") { maxUpdatedAt = updated }
            var unmapped: Fields = [:]
            for (key, value) in page.extras { unmapped["list_" + key] = value }
            out.append(
                RawRecord(
                    objectType: objectType, origin: origin, sourceSystem: sourceSystem, connectionID: connection,
                    canonicalID: envelopeID, fields: data, unmapped: unmapped, rawText: rawText, issues: issues))
        }
        return (out, maxUpdatedAt)
    }

    private func nonEmpty(_ value: Value?) -> String? {
        switch value {
        case .string(let s)? where !s.isEmpty: return s
        case .number(let n)?: return n
        default: return nil
        }
    }
}
