import Foundation

@testable import BackfillCore

/// A `RecordStore` in dictionaries, with transactions as snapshots: what the
/// pipeline needs of a store and nothing of SQLite. If the pipeline reached
/// around the protocol, it could not run on this.
final class InMemoryRecordStore: RecordStore {
    struct Row {
        var id: String
        var identity: RecordIdentity
        var version: Int
        var contentHash: String
        var payload: String
        var createdAt: String
        var updatedAt: String
        var runID: Int
        var origin: String
        var parentID: String?
        var removedAt: String?
        var columns: QueryColumns
        var fingerprint: [UInt8]?
    }

    struct State {
        var rows: [Row] = []
        var versions: [String: [RecordVersion]] = [:]
        var runs: [RunRecord] = []
        var rejects: [StoredReject] = []
        var cursors: [String: CursorRow] = [:]
        var scratch: [String: RunScratchEntry] = [:]
    }

    let catalog: ContractCatalog = .standard
    var state = State()
    private var snapshot: State?
    private(set) var transactions = 0

    func begin(_ kind: TransactionKind) throws {
        precondition(snapshot == nil, "transactions do not nest")
        snapshot = state
        transactions += 1
    }

    func commit() throws {
        precondition(snapshot != nil, "commit without begin")
        snapshot = nil
    }

    func rollback() {
        if let snapshot { state = snapshot }
        snapshot = nil
    }

    private func index(_ identity: RecordIdentity) -> Int? { state.rows.firstIndex { $0.identity == identity } }

    func lookup(_ identity: RecordIdentity) throws -> StoredRecord? {
        guard let i = index(identity) else { return nil }
        let row = state.rows[i]
        return StoredRecord(
            id: row.id, contentHash: row.contentHash, payload: row.payload, removedAt: row.removedAt,
            row: RowToken(i), fingerprint: row.fingerprint)
    }

    func insertRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        precondition(snapshot != nil, "writes happen inside a transaction")
        state.rows.append(
            Row(
                id: change.id, identity: change.identity, version: 1, contentHash: change.contentHash,
                payload: String(decoding: change.payload, as: UTF8.self), createdAt: now, updatedAt: now,
                runID: runID, origin: change.origin.description, parentID: change.parentID, columns: columns,
                fingerprint: change.fingerprint))
    }

    private func keep(_ i: Int, runID: Int) {
        let row = state.rows[i]
        state.versions[row.id, default: []].append(
            RecordVersion(
                version: row.version, writtenAt: row.updatedAt, runID: row.runID,
                origin: row.origin, payload: row.payload, removedAt: row.removedAt))
    }

    func updateRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        precondition(snapshot != nil, "writes happen inside a transaction")
        guard let i = change.row?.value ?? state.rows.firstIndex(where: { $0.id == change.id }) else { return }
        keep(i, runID: runID)
        state.rows[i].version += 1
        state.rows[i].contentHash = change.contentHash
        state.rows[i].payload = String(decoding: change.payload, as: UTF8.self)
        state.rows[i].updatedAt = now
        state.rows[i].runID = runID
        state.rows[i].removedAt = nil
        state.rows[i].columns = columns
        state.rows[i].fingerprint = change.fingerprint
    }

    func refreshFingerprint(_ change: RecordChange) throws {
        guard let i = index(change.identity) else { return }
        state.rows[i].fingerprint = change.fingerprint
    }

    func tombstone(_ change: RecordChange, runID: Int, now: String) throws {
        guard let i = index(change.identity) else { return }
        keep(i, runID: runID)
        state.rows[i].version += 1
        state.rows[i].removedAt = now
    }

    func liveChildren(parentID: String, parent: RecordIdentity, objectType: String) throws -> [(id: String, identity: RecordIdentity)] {
        state.rows.filter { $0.parentID == parentID && $0.identity.objectType == objectType && $0.removedAt == nil }
            .sorted { $0.identity.sourceID < $1.identity.sourceID }.map { ($0.id, $0.identity) }
    }

    func makeRunScratch() throws -> RunScratch {
        state.scratch = [:]
        return Scratch(store: self)
    }

    final class Scratch: RunScratch {
        unowned let store: InMemoryRecordStore
        init(store: InMemoryRecordStore) { self.store = store }

        func claim(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> RunScratchEntry? {
            if let seen = store.state.scratch[identity.key] { return seen }
            store.state.scratch[identity.key] = RunScratchEntry(input: input, line: line, id: nil, contentHash: nil, payload: nil)
            return nil
        }

        func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws {
            let e = store.state.scratch[identity.key]
            store.state.scratch[identity.key] = RunScratchEntry(
                input: input, line: line, id: e?.id, contentHash: e?.contentHash,
                payload: e?.payload)
        }

        func keep(_ change: RecordChange) throws {
            let e = store.state.scratch[change.identity.key]
            store.state.scratch[change.identity.key] = RunScratchEntry(
                input: e?.input ?? 0, line: e?.line, id: change.id,
                contentHash: change.contentHash,
                payload: String(decoding: change.payload, as: UTF8.self))
        }
    }

    func insertRun(mode: String, connector: String, connectionID: String?, inputs: [String], startedAt: String) throws -> Int {
        let id = state.runs.count + 1
        state.runs.append(
            RunRecord(
                id: id, mode: mode, connector: connector, connectionID: connectionID, inputs: "\(inputs)",
                startedAt: startedAt, finishedAt: nil, counts: RunCounts(), status: "running"))
        return id
    }

    func updateRun(id: Int, counts: RunCounts, status: String, finishedAt: String?) throws {
        let r = state.runs[id - 1]
        state.runs[id - 1] = RunRecord(
            id: id, mode: r.mode, connector: r.connector, connectionID: r.connectionID, inputs: r.inputs,
            startedAt: r.startedAt, finishedAt: finishedAt, counts: counts, status: status)
    }

    func insertReject(runID: Int, issue: RecordIssue, raw: String?, inputHeader: String?) throws {
        state.rejects.append(StoredReject(runID: runID, issue: issue, raw: raw, inputHeader: inputHeader))
    }

    func runs(limit: Int) throws -> [RunRecord] { Array(state.runs.reversed().prefix(limit)) }
    func hasRun(_ id: Int) throws -> Bool { state.runs.indices.contains(id - 1) }

    func rejects(runID: Int?) throws -> (runID: Int?, rejects: [StoredReject]) {
        guard let run = runID ?? state.rejects.last?.runID else { return (nil, []) }
        return (run, state.rejects.filter { $0.runID == run })
    }

    func cursor(connection: String, stream: String) throws -> String? { state.cursors["\(connection)\u{1F}\(stream)"]?.cursor }

    func setCursor(connection: String, stream: String, value: String, now: String) throws {
        state.cursors["\(connection)\u{1F}\(stream)"] = CursorRow(connection: connection, stream: stream, cursor: value, updatedAt: now)
    }

    func cursors() throws -> [CursorRow] { state.cursors.values.sorted { ($0.connection, $0.stream) < ($1.connection, $1.stream) } }

    func histories(objectType: String, sourceID: String, connectionID: String?, sourceSystem: String?) throws -> [RecordHistory] {
        state.rows.filter { $0.identity.objectType == objectType && $0.identity.sourceID == sourceID }.map { row in
            let current = RecordVersion(
                version: row.version, writtenAt: row.updatedAt, runID: row.runID, origin: row.origin,
                payload: row.payload, removedAt: row.removedAt)
            return RecordHistory(
                id: row.id, identity: row.identity, createdAt: row.createdAt, updatedAt: row.updatedAt,
                versions: (state.versions[row.id] ?? []) + [current])
        }
    }

    func exportRecords(
        objectType: String, connectionID: String?, sourceSystem: String?, includeRemoved: Bool,
        _ body: (ExportedRecord) throws -> Void
    ) throws {
        let rows = state.rows.filter { $0.identity.objectType == objectType && (includeRemoved || $0.removedAt == nil) }
            .sorted {
                ($0.identity.sourceSystem, $0.identity.connectionID, $0.identity.sourceID)
                    < ($1.identity.sourceSystem, $1.identity.connectionID, $1.identity.sourceID)
            }
        for row in rows {
            try body(
                ExportedRecord(
                    id: row.id, identity: row.identity, createdAt: row.createdAt, updatedAt: row.updatedAt,
                    payload: row.payload, removedAt: row.removedAt))
        }
    }
}
