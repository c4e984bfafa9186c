/// Writes planned changes to the store. It is only ever called inside the
/// pipeline's transaction, so records, history, the run row, rejects and the
/// cursor commit together or not at all.
public struct Applier {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func apply(_ change: RecordChange, runID: Int, now: String) throws {
        switch change.action {
        case .unchanged:
            // Nothing to write: no new version, no timestamp churn.
            return
        case .create:
            try store.insertRecord(id: change.id, identity: change.identity, hash: change.contentHash,
                                   payload: change.payload, columns: columns(change), now: now, runID: runID,
                                   origin: change.origin.description, parentID: change.parentID)
        case .update:
            try store.updateRecord(id: change.id, rowID: change.rowID, hash: change.contentHash, payload: change.payload,
                                   columns: columns(change), now: now, runID: runID, origin: change.origin.description,
                                   parentID: change.parentID)
        case .remove:
            try store.tombstone(id: change.id, now: now, runID: runID)
        }
    }

    private func columns(_ change: RecordChange) -> QueryColumns {
        QueryColumns(values: change.values, contract: store.catalog.contract(for: change.identity.objectType))
    }
}
