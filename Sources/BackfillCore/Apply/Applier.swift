/// Writes planned changes to the store. It is only ever called inside the
/// pipeline's transaction, so records, history, the run row, rejects and the
/// cursor commit together or not at all.
public struct Applier {
    let store: any RecordStore

    public init(store: any RecordStore) {
        self.store = store
    }

    public func apply(_ change: RecordChange, runID: Int, now: String) throws {
        switch change.action {
        case .unchanged:
            // Nothing to write: no new version, no timestamp churn. Only a
            // stale fast-path fingerprint is brought up to date.
            if change.refreshesFingerprint { try store.refreshFingerprint(change) }
        case .create:
            try store.insertRecord(change, columns: columns(change), runID: runID, now: now)
        case .update:
            try store.updateRecord(change, columns: columns(change), runID: runID, now: now)
        case .remove:
            try store.tombstone(change, runID: runID, now: now)
        }
    }

    private func columns(_ change: RecordChange) -> QueryColumns {
        change.columns ?? QueryColumns(values: change.values, contract: store.catalog.contract(for: change.identity.objectType))
    }
}
