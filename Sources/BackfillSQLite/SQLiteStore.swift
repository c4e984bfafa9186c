import BackfillCore
import CSQLite
import Foundation

/// The local store: canonical records keyed by source identity, their
/// history, runs, rejects and sync cursors, in one SQLite file.
public final class SQLiteStore: RecordStore {
    public let database: Database
    public let catalog: ContractCatalog
    /// Held while this store is open for writing.
    private var lock: RunLock?
    /// Runs found `running` when the lock was taken: their process died
    /// (SIGKILL, power loss) without closing them, so they were marked
    /// `interrupted`.
    public private(set) var abandonedRuns: [Int] = []
    /// True when a read-only store was opened as an immutable snapshot.
    public private(set) var isImmutableSnapshot = false

    init(database: Database, catalog: ContractCatalog) {
        self.database = database
        self.catalog = catalog
    }

    /// Opens (creating if needed) and migrates the store for writing, after
    /// taking the run lock (waiting up to `lockWait` seconds for another run).
    public static func openForWriting(
        path: String, catalog: ContractCatalog = .standard, lockWait: Double = 0,
        command: String = "backfill-sync"
    ) throws -> SQLiteStore {
        try refuseDirectory(path)
        let lock = try RunLock(storePath: path, wait: lockWait, command: command)
        let store = SQLiteStore(database: try Database(path: path), catalog: catalog)
        store.lock = lock
        try store.migrate()
        // The lock is ours, so no run of ours is still going: a `running` row
        // is one whose process died without closing it.
        store.abandonedRuns = try store.closeAbandonedRuns(now: Timestamp.now())
        return store
    }

    /// The files a store at `path` consists of, with how to name each: what
    /// no output of the tool may ever be written over.
    public static func files(of path: String) -> [(path: String, what: String)] {
        [
            (path, "the store"), (path + "-wal", "the store's write-ahead log"), (path + "-shm", "the store's shared-memory index"),
            (path + "-journal", "the store's journal"), (path + RunLock.suffix, "the store's lock file"),
        ]
    }

    /// A directory as the store is a wrong path, said before a lock file
    /// is created beside it.
    private static func refuseDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw IOFailure(code: EISDIR, path: path, action: "cannot be used as the store (--db)")
        }
    }

    /// Opens an existing store without any write, or returns nil when there is
    /// no file: a dry run must not create one.
    ///
    /// A store this process may not write (a read-only file, directory or
    /// file system) cannot be opened the usual way once it is in WAL mode:
    /// SQLite needs to create `-shm`. It is then read as an immutable
    /// snapshot, which is exact as long as no writer is busy with it. That
    /// is not done when a non-empty `-wal` holds commits the main file lacks:
    /// an immutable read would silently miss them.
    public static func openForReading(path: String, catalog: ContractCatalog = .standard) throws -> SQLiteStore? {
        try refuseDirectory(path)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var store = SQLiteStore(database: try Database(path: path, readOnly: true), catalog: catalog)
        var version = 0
        do {
            version = try store.database.scalarInt("PRAGMA user_version") ?? 0
        } catch {
            guard [SQLITE_READONLY, SQLITE_CANTOPEN].contains(error.code & 0xFF), !hasPendingWAL(path) else { throw error }
            store = SQLiteStore(database: try Database(path: path, readOnly: true, immutable: true), catalog: catalog)
            store.isImmutableSnapshot = true
            version = try store.database.scalarInt("PRAGMA user_version") ?? 0
        }
        if version > Schema.migrations.count {
            throw StoreError.newerSchema(path: path, version: version, supported: Schema.migrations.count)
        }
        if version < Schema.migrations.count {
            throw StoreError.olderSchema(path: path, version: version)
        }
        return store
    }

    /// True when `<path>-wal` holds bytes: commits not yet in the main file.
    private static func hasPendingWAL(_ path: String) -> Bool {
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        return (size?.intValue ?? 0) > 0
    }

    /// An empty, migrated store in memory: what a dry run diffs against when
    /// the store file does not exist yet.
    public static func inMemory(catalog: ContractCatalog = .standard) throws -> SQLiteStore {
        let store = SQLiteStore(database: try Database(path: ":memory:"), catalog: catalog)
        try store.migrate()
        return store
    }

    func migrate() throws {
        let current = try database.scalarInt("PRAGMA user_version") ?? 0
        if current > Schema.migrations.count {
            throw StoreError.newerSchema(path: database.path, version: current, supported: Schema.migrations.count)
        }
        let views = Schema.viewStatements(catalog)
        let fingerprint = SHA256.hex(Array(views.joined(separator: ";").utf8))
        let storedFingerprint =
            current > 0
            ? try database.scalarText("SELECT value FROM store_meta WHERE key = 'views'") : nil
        if current == Schema.migrations.count && storedFingerprint == fingerprint { return }
        try transaction {
            for (index, sql) in Schema.migrations.enumerated() where index >= current {
                try database.execute(sql)
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
            // Views follow the contracts: rebuilt whenever the catalog changes.
            let existing = try database.statement("SELECT name FROM sqlite_master WHERE type = 'view'")
            var names: [String] = []
            while try existing.step() { if let n = existing.text(0) { names.append(n) } }
            for name in names { try database.execute("DROP VIEW \"\(name)\"") }
            try database.execute("DROP TABLE IF EXISTS currencies")
            for sql in views { try database.execute(sql) }
            // Rows from before migration 4 get the columns the views read.
            if current > 0 && current < Schema.queryColumnsMigration {
                for sql in Schema.queryColumnBackfill(catalog) { try database.execute(sql) }
            }
            try database.statement("INSERT OR REPLACE INTO store_meta(key, value) VALUES ('views', ?)")
                .run([.text(fingerprint)])
        }
    }

    // MARK: Transactions

    /// A write begins `IMMEDIATE`: the write lock is taken up front, so a
    /// concurrent writer fails at BEGIN rather than midway.
    public func begin(_ kind: TransactionKind) throws {
        try database.execute(kind == .write ? "BEGIN IMMEDIATE" : "BEGIN")
    }

    public func commit() throws { try database.execute("COMMIT") }

    public func rollback() { try? database.execute("ROLLBACK") }

    public func makeRunScratch() throws -> RunScratch { try SQLiteRunScratch(database: database) }

    // MARK: Records

    public func lookup(_ identity: RecordIdentity) throws -> StoredRecord? {
        let s = try database.statement(
            """
            SELECT id, content_hash, payload, removed_at, rowid FROM records
            WHERE object_type = ? AND source_system = ? AND connection_id = ? AND source_id = ?
            """)
        return try s.firstRow([
            .text(identity.objectType), .text(identity.sourceSystem), .text(identity.connectionID),
            .text(identity.sourceID),
        ]) { s in
            StoredRecord(id: s.text(0)!, contentHash: s.text(1)!, payload: s.text(2)!, removedAt: s.text(3), row: RowToken(s.int(4)))
        }
    }

    public func insertRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        let identity = change.identity
        let s = try database.statement(
            """
            INSERT INTO records (id, object_type, source_system, connection_id, source_id, version,
                                 content_hash, payload, created_at, updated_at, created_run, updated_run, origin, parent_id,
                                 currency, money, money_minor)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS REAL), ?)
            """)
        try s.bind([
            .text(change.id), .text(identity.objectType), .text(identity.sourceSystem), .text(identity.connectionID),
            .text(identity.sourceID), .text(change.contentHash),
        ])
        try s.bindText(7, bytes: change.payload)
        try s.bind(
            [
                .text(now), .text(now), .int(runID), .int(runID), .text(change.origin.description),
                change.parentID.map(SQLValue.text) ?? .null,
            ]
                + columns.bindings, at: 8)
        try s.step()
    }

    /// The row of record `id`, for a caller that did not read it with `lookup`.
    private func rowID(of id: String) throws -> Int? {
        try database.statement("SELECT rowid FROM records WHERE id = ?").firstRow([.text(id)]) { $0.int(0) }
    }

    /// Copies the current version of a record into `record_versions`, with the
    /// run that is about to replace it: nothing an update changes is lost.
    private func keepCurrentVersion(rowID: Int, now: String, runID: Int) throws {
        try database.statement(
            """
            INSERT INTO record_versions (record_id, version, content_hash, payload, valid_from, written_run,
                                         replaced_at, replaced_run, origin, removed_at)
            SELECT id, version, content_hash, payload, updated_at, updated_run, ?, ?, origin, removed_at
            FROM records WHERE rowid = ?
            """
        ).run([.text(now), .int(runID), .int(rowID)])
    }

    /// Replaces a record's content (and revives it if it was removed). Rows
    /// are written by rowid: `lookup` reads it in this transaction, and the
    /// table is in insertion order while the index of (random) ids is not.
    public func updateRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        guard let row = try change.row?.value ?? self.rowID(of: change.id) else { return }
        try keepCurrentVersion(rowID: row, now: now, runID: runID)
        let s = try database.statement(
            """
            UPDATE records SET version = version + 1, content_hash = ?, payload = ?, updated_at = ?,
                               updated_run = ?, origin = ?, parent_id = ?, removed_at = NULL, removed_run = NULL,
                               currency = ?, money = CAST(? AS REAL), money_minor = ?
            WHERE rowid = ?
            """)
        try s.bind([.text(change.contentHash)])
        try s.bindText(2, bytes: change.payload)
        try s.bind(
            [.text(now), .int(runID), .text(change.origin.description), change.parentID.map(SQLValue.text) ?? .null] + columns.bindings + [
                .int(row)
            ], at: 3)
        try s.step()
    }

    /// Marks a record removed: a new version with `removed_at` set, the
    /// content kept. Views and exports leave removed records out.
    public func tombstone(id: String, runID: Int, now: String) throws {
        guard let row = try rowID(of: id) else { return }
        try keepCurrentVersion(rowID: row, now: now, runID: runID)
        try database.statement(
            """
            UPDATE records SET version = version + 1, updated_at = ?, updated_run = ?, removed_at = ?, removed_run = ?
            WHERE rowid = ?
            """
        ).run([.text(now), .int(runID), .text(now), .int(runID), .int(row)])
    }

    /// The live (not removed) children of `parentID` of one type.
    public func liveChildren(parentID: String, objectType: String) throws -> [(id: String, identity: RecordIdentity)] {
        let s = try database.statement(
            """
            SELECT id, source_system, connection_id, source_id FROM records
            WHERE parent_id = ? AND object_type = ? AND removed_at IS NULL ORDER BY source_id
            """)
        try s.bind([.text(parentID), .text(objectType)])
        var out: [(id: String, identity: RecordIdentity)] = []
        while try s.step() {
            out.append(
                (
                    s.text(0)!,
                    RecordIdentity(
                        objectType: objectType, sourceSystem: s.text(1)!, connectionID: s.text(2)!,
                        sourceID: s.text(3)!)
                ))
        }
        return out
    }
}

extension QueryColumns {
    /// currency, money (cast to REAL by the statement), money_minor.
    var bindings: [SQLValue] {
        [currency.map(SQLValue.text) ?? .null, moneyText.map(SQLValue.text) ?? .null, moneyMinor.map(SQLValue.int) ?? .null]
    }
}
