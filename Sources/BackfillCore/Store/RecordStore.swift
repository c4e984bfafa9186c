/// What the pipeline and the commands need of a store, and nothing of how
/// it keeps it. SQLite (`BackfillSQLite`) is the default backend; a test
/// fake and a PostgreSQL store sit behind the same protocol.
///
/// A store is used from one thread at a time: the thread that writes a run.
public protocol RecordStore: AnyObject {
    /// The contracts its records follow (the applier reads each type's
    /// headline money field from it).
    var catalog: ContractCatalog { get }

    // MARK: Transactions

    /// Opens a transaction. `.write` takes the write lock up front, so a
    /// concurrent writer fails at once rather than midway; `.readSnapshot`
    /// reads one consistent state. Transactions do not nest.
    func begin(_ kind: TransactionKind) throws
    func commit() throws
    /// Undoes everything since `begin`, the run scratch included. Never
    /// throws: it runs on the way out of a failure.
    func rollback()

    // MARK: Records

    /// The live or removed record with this identity.
    func lookup(_ identity: RecordIdentity) throws -> StoredRecord?
    /// A hint before a batch: the identities its records will look up. A
    /// store reads them all at once, so that each `lookup` is answered from
    /// memory: PostgreSQL saves a round trip per record, SQLite a statement.
    /// What the batch then writes, its lookups must see.
    func prefetch(_ identities: [RecordIdentity]) throws
    /// The first version of a new record (`change.action == .create`).
    func insertRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws
    /// A new version of a record (`.update`), the replaced one kept in its
    /// history; a removed record comes back to life.
    func updateRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws
    /// Marks the record of `change` (`.remove`) removed: a new version, never
    /// a physical delete.
    func tombstone(_ change: RecordChange, runID: Int, now: String) throws
    /// Stores `change.fingerprint` for an unchanged record
    /// (`change.refreshesFingerprint`), and nothing else: no version, no timestamp.
    func refreshFingerprint(_ change: RecordChange) throws
    /// The live children of one type of the record `parentID` (whose identity
    /// is `parent`), by source id.
    func liveChildren(parentID: String, parent: RecordIdentity, objectType: String) throws -> [(id: String, identity: RecordIdentity)]
    /// What one run has seen so far (see `RunScratch`).
    func makeRunScratch() throws -> RunScratch

    // MARK: Runs and rejects

    func insertRun(mode: String, connector: String, connectionID: String?, inputs: [String], startedAt: String) throws -> Int
    func updateRun(id: Int, counts: RunCounts, status: String, finishedAt: String?) throws
    /// Stores a reject. The backend redacts message, raw text and header
    /// (`Secrets.redact`): a server that quotes a request's headers back must
    /// not put the token into the store.
    func insertReject(runID: Int, issue: RecordIssue, raw: String?, inputHeader: String?) throws
    /// Every run, newest first.
    func runs(limit: Int) throws -> [RunRecord]
    func hasRun(_ id: Int) throws -> Bool
    /// The rejects of run `runID` in the order found; with no run, those of
    /// the newest run that has any.
    func rejects(runID: Int?) throws -> (runID: Int?, rejects: [StoredReject])

    // MARK: Sync cursors

    func cursor(connection: String, stream: String) throws -> String?
    /// Moves a cursor. Called inside the transaction that writes the records
    /// it covers, so records and cursor commit together.
    func setCursor(connection: String, stream: String, value: String, now: String) throws
    /// Every cursor, by connection and stream.
    func cursors() throws -> [CursorRow]

    // MARK: Reading back

    /// Records of `objectType` with `sourceID` and all their versions,
    /// optionally narrowed by connection and source system.
    func histories(objectType: String, sourceID: String, connectionID: String?, sourceSystem: String?) throws -> [RecordHistory]
    /// Every record of `objectType` in a stable order (source system,
    /// connection, source id), one at a time; removed ones only with
    /// `includeRemoved`.
    func exportRecords(
        objectType: String, connectionID: String?, sourceSystem: String?, includeRemoved: Bool,
        _ body: (ExportedRecord) throws -> Void) throws
}

public enum TransactionKind: Sendable {
    case write
    case readSnapshot
}

extension RecordStore {
    /// Runs `body` in one write transaction; rolls back and rethrows on error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin(.write)
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    public func runs() throws -> [RunRecord] { try runs(limit: 100) }

    public func prefetch(_ identities: [RecordIdentity]) throws {}

    public func exportRecords(
        objectType: String, connectionID: String? = nil, sourceSystem: String? = nil,
        includeRemoved: Bool = false, _ body: (ExportedRecord) throws -> Void
    ) throws {
        try exportRecords(
            objectType: objectType, connectionID: connectionID, sourceSystem: sourceSystem,
            includeRemoved: includeRemoved, body)
    }
}

/// A store's handle on one row, returned by `lookup` and handed back with
/// an update of the same record in the same transaction. Its meaning is the
/// backend's alone (SQLite: the rowid, so an update finds the row through
/// the table, which is in insertion order, rather than the index of random
/// ids).
public struct RowToken: Sendable, Hashable {
    public let value: Int
    public init(_ value: Int) { self.value = value }
}

/// The record as stored, for classification against a new version.
public struct StoredRecord: Sendable {
    public let id: String
    public let contentHash: String
    /// The payload as the store holds it: the canonical record, or its
    /// compact form when `expansion` is set (`StoredForm`).
    public let payload: String
    /// Set when the record was marked removed (a tombstone).
    public var removedAt: String? = nil
    public var row: RowToken? = nil
    /// The fingerprint of the raw record last written (`RecordFingerprinter`).
    public var fingerprint: [UInt8]? = nil
    /// What turns a compact `payload` back into the canonical record.
    public var expansion: StoredForm.Expansion? = nil

    public init(
        id: String, contentHash: String, payload: String, removedAt: String? = nil, row: RowToken? = nil,
        fingerprint: [UInt8]? = nil, expansion: StoredForm.Expansion? = nil
    ) {
        self.id = id
        self.contentHash = contentHash
        self.payload = payload
        self.removedAt = removedAt
        self.row = row
        self.fingerprint = fingerprint
        self.expansion = expansion
    }

    /// The canonical record, for a field-by-field diff.
    public func canonicalPayload(identity: RecordIdentity) -> Value {
        guard let expansion else {
            guard case .object(let fields)? = try? JSONParser.parse(payload) else { return .object([:]) }
            return .object(fields)
        }
        let fields = StoredForm.expandedFields(payload, identity: identity, currency: expansion.currency, contract: expansion.contract)
        return .object(fields ?? [:])
    }

    /// Whether a raw record with `fingerprint` is this record as stored, so
    /// it needs no normalizing or comparing: the fast path's one test.
    public func isUnchanged(byFingerprint fingerprint: [UInt8]?) -> Bool {
        removedAt == nil && fingerprint != nil && self.fingerprint == fingerprint
    }
}

/// What one run has seen, per identity: the input and line that first had
/// it (a second occurrence in the same input is rejected) and, in a dry run,
/// the content that would have been written, so later inputs diff against it
/// as they would against the store had it been applied.
///
/// It belongs to the store's transactions: a rollback forgets what the
/// rolled-back input added. A backend keeps it out of memory when it can
/// (SQLite: TEMP tables, and one bit per store row), so memory stays flat
/// whatever the input size.
public protocol RunScratch: AnyObject {
    /// Records `identity` as first seen in `input` at `line`; when it was
    /// seen before, changes nothing and returns that earlier sighting. `row`
    /// is the store's row of the record as it stands, when there is one.
    func claim(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> RunScratchEntry?
    /// The fast path's claim, for a record found unchanged in the store at
    /// `row`: true for a first sighting; false for a repeat, which the slow
    /// path then meets through `claim`, earlier sighting and all. Every
    /// record of a no-op re-import passes here, so a backend may record it
    /// more cheaply than `claim` does (SQLite: a bit per row).
    func claimUnchanged(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> Bool
    /// The first sighting of a record the store does not hold, in a run that
    /// is about to create it in this transaction. No check is needed: had the
    /// run met it before, it would have created it then (and the store's
    /// unique identity would refuse a second one). A backend may pair the
    /// sighting with the row the create makes (SQLite).
    func claimNew(_ identity: RecordIdentity, input: Int, line: Int?) throws
    /// A record seen in an earlier input now belongs to this one: a repeat
    /// later in this input is a duplicate of this occurrence.
    func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws
    /// Dry runs: what would have been written for the change's identity.
    func keep(_ change: RecordChange) throws
}

extension RunScratch {
    public func claim(_ identity: RecordIdentity, input: Int, line: Int?) throws -> RunScratchEntry? {
        try claim(identity, row: nil, input: input, line: line)
    }

    public func claimUnchanged(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> Bool {
        try claim(identity, row: row, input: input, line: line) == nil
    }

    public func claimNew(_ identity: RecordIdentity, input: Int, line: Int?) throws {
        _ = try claim(identity, row: nil, input: input, line: line)
    }
}

public struct RunScratchEntry: Sendable {
    public let input: Int
    public let line: Int?
    public let id: String?
    public let contentHash: String?
    public let payload: String?

    public init(input: Int, line: Int?, id: String?, contentHash: String?, payload: String?) {
        self.input = input
        self.line = line
        self.id = id
        self.contentHash = contentHash
        self.payload = payload
    }
}

/// A store failure every later input would meet as well (busy, read-only,
/// full, damaged, unopenable): a run stops on it rather than recording it
/// against one input. Each backend's error type says which it is.
public protocol StoreFailure: Error, CustomStringConvertible {
    var storeFailureKind: StoreFailureKind? { get }
}

public enum StoreFailureKind: Sendable, Equatable {
    /// Another program holds the store.
    case busy
    case diskFull
    /// An I/O error, or a damaged store file (`damaged`).
    case io(damaged: Bool)
    /// The store cannot be written here; `permission` when the cause is
    /// permissions rather than a read-only file system.
    case readOnly(permission: Bool)
    case permissionDenied
    /// The store cannot be opened; the `errno` behind it, 0 when none.
    case cannotOpen(errno: Int32)
    /// The path holds something that is not a store of this backend.
    case notAStore
    /// A database server that cannot be reached, or went away: down,
    /// restarting, or refusing connections. Temporary: cron tries again.
    case unavailable
}

extension Error {
    /// Whether this error is a store failure that ends a whole run or sync.
    public var stopsTheRun: Bool {
        if self is Interrupted { return true }
        guard let failure = self as? StoreFailure, let kind = failure.storeFailureKind else { return false }
        return kind != .notAStore && kind != .permissionDenied
    }
}
