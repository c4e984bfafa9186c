import BackfillCore

/// The writes of one batch, waiting for `PostgresStore.flush`: their rows in
/// COPY text (the columns of `backfill_stage`), and per identity what each
/// will leave in the store, so reads in the same transaction see it.
struct StagedWrites {
    enum Op: Character {
        case create = "c"
        case update = "u"
        case tombstone = "t"
        case fingerprint = "f"
    }

    struct Pending {
        let op: Op
        let identity: RecordIdentity
        /// The record as `lookup` must now return it.
        let record: StoredRecord?
        let parentID: String?
    }

    private(set) var rows = CopyText()
    private(set) var pending: [String: Pending] = [:]
    private var counts: [Character: Int] = [:]

    func count(_ op: Op) -> Int { counts[op.rawValue] ?? 0 }

    mutating func add(
        _ op: Op, _ change: RecordChange, scope: Int, input: Int?, columns: QueryColumns, runID: Int, now: String,
        catalog: ContractCatalog
    ) {
        let identity = change.identity
        let writesContent = op == .create || op == .update
        let stored = change.storedPayload ?? change.payload
        rows.field(String(op.rawValue))
        rows.field(scope)
        rows.field(identity.sourceID)
        rows.field(change.id)
        rows.field(bytea: writesContent ? (change.contentDigest ?? SHA256.bytes(hex: change.contentHash)) : nil)
        rows.field(bytea: change.fingerprint)
        if writesContent { rows.field(utf8: stored) } else { rows.field(nil as String?) }
        rows.field(input)
        rows.field(writesContent ? change.origin.line : nil)
        rows.field(writesContent ? change.origin.jsonPath : nil)
        rows.field(change.parentID)
        rows.field(columns.currency)
        rows.field(columns.moneyText)
        rows.field(columns.moneyMinor)
        rows.field(runID)
        rows.field(now)
        rows.endRow()
        counts[op.rawValue, default: 0] += 1

        let record: StoredRecord?
        switch op {
        case .create, .update:
            record = StoredRecord(
                id: change.id, contentHash: change.contentHash, payload: String(decoding: stored, as: UTF8.self),
                fingerprint: change.fingerprint,
                expansion: StoredForm.Expansion(currency: columns.currency, contract: catalog.contract(for: identity.objectType)))
        case .tombstone, .fingerprint:
            // Read back from the store after the flush; a removed record is
            // looked up again only by a later input.
            record = nil
        }
        pending[identity.key] = Pending(op: op, identity: identity, record: record, parentID: change.parentID)
    }

    mutating func removeAll() {
        rows.removeAll()
        pending.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
    }
}
