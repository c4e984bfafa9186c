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
            // Views follow the contracts: dropped first (a migration may
            // replace the tables they read) and rebuilt whenever the catalog changes.
            let existing = try database.statement("SELECT name FROM sqlite_master WHERE type = 'view'")
            var names: [String] = []
            while try existing.step() { if let n = existing.text(0) { names.append(n) } }
            for name in names { try database.execute("DROP VIEW \"\(name)\"") }
            for (index, sql) in Schema.migrations.enumerated() where index >= current {
                try database.execute(sql)
                try database.execute("PRAGMA user_version = \(index + 1)")
                // Rows from before migration 4 get the columns the views read.
                if index + 1 == Schema.queryColumnsMigration && current > 0 {
                    for sql in Schema.queryColumnBackfill(catalog) { try database.execute(sql) }
                }
            }
            try database.execute("DROP TABLE IF EXISTS currencies")
            for sql in views { try database.execute(sql) }
            try database.statement("INSERT OR REPLACE INTO store_meta(key, value) VALUES ('views', ?)")
                .run([.text(fingerprint)])
        }
    }

    // MARK: Transactions

    /// A write begins `IMMEDIATE`: the write lock is taken up front, so a
    /// concurrent writer fails at BEGIN rather than midway.
    public func begin(_ kind: TransactionKind) throws {
        prefetched = Prefetched()
        try database.execute(kind == .write ? "BEGIN IMMEDIATE" : "BEGIN")
    }

    public func commit() throws {
        prefetched = Prefetched()
        try runScratch?.send()
        try database.execute("COMMIT")
    }

    /// Also forgets the scope and input numbers learnt since: rows that gave
    /// them may have gone with the transaction.
    public func rollback() {
        prefetched = Prefetched()
        try? database.execute("ROLLBACK")
        numbers = Numbers()
        runScratch?.rolledBack()
    }

    /// The scratch of the run in progress, which keeps part of itself in
    /// memory and so must hear of commits and rollbacks.
    private weak var runScratch: SQLiteRunScratch?

    public func makeRunScratch() throws -> RunScratch {
        let scratch = try SQLiteRunScratch(database: database)
        runScratch = scratch
        return scratch
    }

    // MARK: Records

    /// Scope and input numbers already looked up or created, and the start
    /// of the runs this store has written for: each is asked for once, not
    /// once per record.
    struct Numbers {
        var scopes = ScopeNumbers()
        var inputs: [String: Int] = [:]
        var runStarts: [Int: String] = [:]
    }
    var numbers = Numbers()

    /// The scope number of `identity`'s type, source system and connection;
    /// created when `create` and none exists yet.
    func scope(of identity: RecordIdentity, create: Bool) throws -> Int? {
        try numbers.scopes.number(for: identity) {
            let values: [SQLValue] = [.text(identity.objectType), .text(identity.sourceSystem), .text(identity.connectionID)]
            let find = try database.statement("SELECT id FROM scopes WHERE object_type = ? AND source_system = ? AND connection_id = ?")
            if let number = try find.firstRow(values, { $0.int(0) }) { return number }
            guard create else { return nil }
            try database.statement("INSERT INTO scopes (object_type, source_system, connection_id) VALUES (?, ?, ?)").run(values)
            return database.lastInsertRowID
        }
    }

    private func input(named name: String) throws -> Int {
        if let number = numbers.inputs[name] { return number }
        try database.statement("INSERT INTO inputs (name) VALUES (?) ON CONFLICT (name) DO NOTHING").run([.text(name)])
        let number = try database.statement("SELECT id FROM inputs WHERE name = ?").firstRow([.text(name)]) { $0.int(0) } ?? 0
        numbers.inputs[name] = number
        return number
    }

    /// `now` as a timestamp column: NULL when it is run `runID`'s start,
    /// which the views and reads take from `runs` instead of every row.
    private func timestamp(_ now: String, of runID: Int) throws -> SQLValue {
        if numbers.runStarts[runID] == nil {
            numbers.runStarts[runID] = try database.scalarText("SELECT started_at FROM runs WHERE id = ?", [.int(runID)]) ?? ""
        }
        return numbers.runStarts[runID] == now ? .null : .text(now)
    }

    func noteRunStart(_ id: Int, _ startedAt: String) { numbers.runStarts[id] = startedAt }

    /// The origin as three columns from parameter `first` on: input number,
    /// line, JSON path.
    private func bindOrigin(_ origin: Origin, to s: Statement, at first: Int) throws {
        try s.bind(.int(try input(named: origin.file)), at: first)
        try s.bind(origin.line.map(SQLValue.int) ?? .null, at: first + 1)
        try s.bind(origin.jsonPath.map(SQLValue.text) ?? .null, at: first + 2)
    }

    /// What `lookup` reads of a row, after the columns a query puts first.
    private static let lookupColumns = """
        id, content_hash, payload, row, fingerprint, currency,
        CASE WHEN removed_run IS NOT NULL OR removed_at IS NOT NULL
             THEN coalesce(removed_at, (SELECT started_at FROM runs WHERE id = removed_run)) END
        """

    private static let lookupOne = "SELECT \(lookupColumns) FROM record_rows WHERE scope = ? AND source_id = ?"

    private func storedRecord(_ s: Statement, at c: Int, contract: ObjectContract?) -> StoredRecord {
        StoredRecord(
            id: BinaryColumns.idText(s, c), contentHash: BinaryColumns.hashText(s, c + 1), payload: s.text(c + 2) ?? "",
            removedAt: s.text(c + 6), row: RowToken(s.int(c + 3)), fingerprint: s.blob(c + 4),
            expansion: StoredForm.Expansion(currency: s.text(c + 5), contract: contract))
    }

    /// Reads the stored records of a batch's identities with one statement
    /// per scope and 256 keys, and keeps them, misses too, until one of them
    /// is written or the transaction ends. A statement's binding, stepping
    /// and resetting are then paid once per batch, not once per row: in a
    /// 100k-row re-import the store thread's samples fell by a quarter
    /// (323 to 241).
    public func prefetch(_ identities: [RecordIdentity]) throws {
        prefetched.records.removeAll(keepingCapacity: true)
        var wanted: [Int: (objectType: String, sourceIDs: [String])] = [:]
        for identity in identities {
            guard let scope = try scope(of: identity, create: false) else { continue }
            let key = Prefetched.Key(scope: scope, sourceID: identity.sourceID)
            guard prefetched.records.updateValue(StoredRecord?.none, forKey: key) == nil else { continue }
            wanted[scope, default: (identity.objectType, [])].sourceIDs.append(identity.sourceID)
        }
        for (scope, batch) in wanted {
            let contract = catalog.contract(for: batch.objectType)
            var from = 0
            while from < batch.sourceIDs.count {
                let keys = batch.sourceIDs[from..<min(from + Self.prefetchKeys, batch.sourceIDs.count)]
                from += keys.count
                let s = try database.statement(sql: Self.prefetchSQL(keys: keys.count))
                try s.bind([.int(scope)] + keys.map(SQLValue.text))
                while try s.step() {
                    guard let sourceID = s.text(0) else { continue }
                    prefetched.records[Prefetched.Key(scope: scope, sourceID: sourceID)] = storedRecord(s, at: 1, contract: contract)
                }
            }
        }
    }

    /// Keys per prefetch statement: a batch of 256 records of one type fits.
    private static let prefetchKeys = 256
    private static let fullPrefetchSQL = makePrefetchSQL(keys: prefetchKeys)

    private static func prefetchSQL(keys: Int) -> String { keys == prefetchKeys ? fullPrefetchSQL : makePrefetchSQL(keys: keys) }

    private static func makePrefetchSQL(keys: Int) -> String {
        "SELECT source_id, \(lookupColumns) FROM record_rows WHERE scope = ? AND source_id IN ("
            + repeatElement("?", count: keys).joined(separator: ",") + ")"
    }

    /// The rows `prefetch` read, by scope and source id; nil inside for a
    /// key it found no row for.
    struct Prefetched {
        struct Key: Hashable {
            let scope: Int
            let sourceID: String
        }
        var records: [Key: StoredRecord?] = [:]
    }
    var prefetched = Prefetched()

    /// Drops what `prefetch` read of a record about to be written.
    private func forgetPrefetched(_ identity: RecordIdentity) throws {
        guard !prefetched.records.isEmpty, let scope = try scope(of: identity, create: false) else { return }
        prefetched.records[Prefetched.Key(scope: scope, sourceID: identity.sourceID)] = nil
    }

    public func lookup(_ identity: RecordIdentity) throws -> StoredRecord? {
        guard let scope = try scope(of: identity, create: false) else { return nil }
        if let found = prefetched.records[Prefetched.Key(scope: scope, sourceID: identity.sourceID)] { return found }
        let s = try database.statement(sql: Self.lookupOne)
        let contract = catalog.contract(for: identity.objectType)
        return try s.firstRow([.int(scope), .text(identity.sourceID)]) { storedRecord($0, at: 0, contract: contract) }
    }

    /// The row of `identity`, for a caller that did not read it with `lookup`.
    private func row(of identity: RecordIdentity) throws -> Int? {
        guard let scope = try scope(of: identity, create: false) else { return nil }
        return try database.statement("SELECT row FROM record_rows WHERE scope = ? AND source_id = ?")
            .firstRow([.int(scope), .text(identity.sourceID)]) { $0.int(0) }
    }

    public func insertRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        let identity = change.identity
        try forgetPrefetched(identity)
        guard let scope = try scope(of: identity, create: true) else { return }
        let s = try database.statement(
            """
            INSERT INTO record_rows (scope, source_id, id, version, content_hash, fingerprint, payload, created_run, updated_run,
                                     input, line, json_path, parent_row, currency, money, money_minor, created_at, updated_at)
            VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS REAL), ?, ?, ?)
            """)
        let at = try timestamp(now, of: runID)
        // One value at a time: this runs for every new record, and arrays
        // of values joined for it were a tenth of the insert's own time.
        try s.bind(.int(scope), at: 1)
        try s.bind(.text(identity.sourceID), at: 2)
        try s.bind(BinaryColumns.id(change.id), at: 3)
        try s.bind(BinaryColumns.hash(of: change), at: 4)
        try s.bind(change.fingerprint.map(SQLValue.blob) ?? .null, at: 5)
        try s.bindText(6, bytes: change.storedPayload ?? change.payload)
        try s.bind(.int(runID), at: 7)
        try s.bind(.int(runID), at: 8)
        try bindOrigin(change.origin, to: s, at: 9)
        try s.bind(change.parentRow.map { .int($0.value) } ?? .null, at: 12)
        try columns.bind(to: s, at: 13)
        try s.bind(at, at: 16)
        try s.bind(at, at: 17)
        try s.step()
        try runScratch?.created(row: database.lastInsertRowID, for: identity)
    }

    /// Copies the current version of a record into `version_rows`, with the
    /// run that is about to replace it: nothing an update changes is lost.
    private func keepCurrentVersion(row: Int, now: String, runID: Int) throws {
        try database.statement(
            """
            INSERT INTO version_rows (record_row, version, content_hash, payload, currency, written_run, replaced_run,
                                      input, line, json_path, removed_run, legacy_origin, valid_from, replaced_at, removed_at)
            SELECT row, version, content_hash, payload, currency, updated_run, ?, input, line, json_path, removed_run,
                   legacy_origin, updated_at, ?, removed_at
            FROM record_rows WHERE row = ?
            """
        ).run([.int(runID), try timestamp(now, of: runID), .int(row)])
    }

    /// Replaces a record's content (and revives it if it was removed). Rows
    /// are written by row number, which `lookup` read in this transaction.
    public func updateRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        try forgetPrefetched(change.identity)
        guard let row = try change.row?.value ?? self.row(of: change.identity) else { return }
        try keepCurrentVersion(row: row, now: now, runID: runID)
        let s = try database.statement(
            """
            UPDATE record_rows SET version = version + 1, content_hash = ?, fingerprint = ?, payload = ?, updated_run = ?,
                                   input = ?, line = ?, json_path = ?, legacy_origin = NULL, parent_row = ?,
                                   removed_run = NULL, removed_at = NULL, currency = ?, money = CAST(? AS REAL),
                                   money_minor = ?, updated_at = ?
            WHERE row = ?
            """)
        try s.bind([BinaryColumns.hash(of: change), change.fingerprint.map(SQLValue.blob) ?? .null])
        try s.bindText(3, bytes: change.storedPayload ?? change.payload)
        try s.bind(.int(runID), at: 4)
        try bindOrigin(change.origin, to: s, at: 5)
        try s.bind(change.parentRow.map { .int($0.value) } ?? .null, at: 8)
        try columns.bind(to: s, at: 9)
        try s.bind(try timestamp(now, of: runID), at: 12)
        try s.bind(.int(row), at: 13)
        try s.step()
    }

    /// Marks a record removed: a new version with `removed_run` set, the
    /// content kept. Views and exports leave removed records out.
    public func tombstone(_ change: RecordChange, runID: Int, now: String) throws {
        try forgetPrefetched(change.identity)
        guard let row = try change.row?.value ?? row(of: change.identity) else { return }
        try keepCurrentVersion(row: row, now: now, runID: runID)
        let at = try timestamp(now, of: runID)
        try database.statement(
            """
            UPDATE record_rows SET version = version + 1, updated_run = ?, updated_at = ?, removed_run = ?, removed_at = ?
            WHERE row = ?
            """
        ).run([.int(runID), at, .int(runID), at, .int(row)])
    }

    public func refreshFingerprint(_ change: RecordChange) throws {
        try forgetPrefetched(change.identity)
        guard let fingerprint = change.fingerprint, let row = try change.row?.value ?? row(of: change.identity) else { return }
        try database.statement("UPDATE record_rows SET fingerprint = ? WHERE row = ?").run([.blob(fingerprint), .int(row)])
    }

    /// The live (not removed) children of one type of the record `parent`.
    public func liveChildren(
        parentID: String, parent: RecordIdentity, objectType: String
    ) throws -> [(
        id: String, identity: RecordIdentity
    )] {
        guard let parentRow = try row(of: parent) else { return [] }
        let s = try database.statement(
            """
            SELECT c.id, s.source_system, s.connection_id, c.source_id FROM record_rows c JOIN scopes s ON s.id = c.scope
            WHERE c.parent_row = ? AND s.object_type = ? AND c.removed_run IS NULL AND c.removed_at IS NULL
            ORDER BY c.source_id
            """)
        try s.bind([.int(parentRow), .text(objectType)])
        var out: [(id: String, identity: RecordIdentity)] = []
        while try s.step() {
            out.append(
                (
                    BinaryColumns.idText(s, 0),
                    RecordIdentity(
                        objectType: objectType, sourceSystem: s.text(1)!, connectionID: s.text(2)!,
                        sourceID: s.text(3)!)
                ))
        }
        return out
    }
}

extension QueryColumns {
    /// currency, money (cast to REAL by the statement), money_minor, from
    /// parameter `first` on.
    func bind(to s: Statement, at first: Int) throws {
        try s.bind(currency.map(SQLValue.text) ?? .null, at: first)
        try s.bind(moneyText.map(SQLValue.text) ?? .null, at: first + 1)
        try s.bind(moneyMinor.map(SQLValue.int) ?? .null, at: first + 2)
    }
}
