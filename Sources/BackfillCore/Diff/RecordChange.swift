/// What applying one record does to the store.
public enum ChangeAction: String, Sendable {
    case create, update, unchanged
    /// Marked removed: the provider stated a complete set without it.
    case remove
}

/// One changed leaf: `amount` from `"10.00"` to `"12.00"`, `lines[1].description`.
public struct FieldChange: Sendable, Equatable {
    public let path: String
    /// nil = the field was absent.
    public let from: Value?
    public let to: Value?

    public init(path: String, from: Value?, to: Value?) {
        self.path = path
        self.from = from
        self.to = to
    }

    /// `amount: "1234.56" → "1243.56"`, as text reports and `history` show it.
    public var text: String {
        "\(path): \(from?.quotedText ?? "(absent)") → \(to?.quotedText ?? "(absent)")"
    }

    /// `{path: {"from": …, "to": …}}`, as the JSON report and `history` write changes.
    public static func json(_ changes: [FieldChange]) -> Value {
        var fields: Fields = [:]
        for f in changes { fields[f.path] = .object(["from": f.from ?? .null, "to": f.to ?? .null]) }
        return .object(fields)
    }
}

/// The plan for one record: the differ's output, the applier's input and a
/// line of the report.
public struct RecordChange: Sendable {
    public let action: ChangeAction
    public let identity: RecordIdentity
    /// The canonical id: the stored one for updates, the new one for creates.
    public let id: String
    public let origin: Origin
    /// Every changed field (updates only), in path order.
    public let fields: [FieldChange]
    /// Canonical payload bytes and their content hash (creates and updates).
    public let payload: [UInt8]
    public let contentHash: String
    /// The canonical id of the record that owns this one (a bill's payment).
    public var parentID: String? = nil
    /// The record as it will be (creates and updates): what a report shows
    /// of a new record and totals per currency. Shared with the payload the
    /// normalizer built, so it costs no copy.
    public var values: Fields? = nil
    /// The stored row of an update, when the store said which (`RowToken`).
    public var row: RowToken? = nil
    /// The payload as a store keeps it (`StoredForm`), for creates and updates.
    public var storedPayload: [UInt8]? = nil
    /// `contentHash` as bytes and the query columns, when the record was
    /// prepared ahead (`Differ.Content`); a store works them out otherwise.
    public var contentDigest: [UInt8]? = nil
    public var columns: QueryColumns? = nil
    /// The raw record's fingerprint, stored with creates and updates
    /// (`RecordFingerprinter`).
    public var fingerprint: [UInt8]? = nil
    /// An unchanged record whose stored fingerprint is missing or stale: the
    /// store refreshes it, and writes nothing else (no version, no timestamp).
    public var refreshesFingerprint = false
    /// The owning record's stored row, when it is known (`parentID`).
    public var parentRow: RowToken? = nil

    /// The record `stored`, as it is: nothing to write. What the differ
    /// finds by content and the fast path by fingerprint.
    public static func unchanged(_ identity: RecordIdentity, stored: StoredRecord, origin: Origin) -> RecordChange {
        var change = RecordChange(
            action: .unchanged, identity: identity, id: stored.id, origin: origin, fields: [], payload: [],
            contentHash: stored.contentHash)
        change.row = stored.row
        return change
    }
}
