import BackfillCore
import Foundation

/// The PostgreSQL store: the same records, history, runs, rejects and sync
/// cursors as the SQLite store, in one schema of a shared database, for many
/// sync workers on many hosts.
///
/// The write path batches: `insertRecord`, `updateRecord`, `tombstone` and
/// `refreshFingerprint` stage their rows in memory, and `flush` sends a batch
/// with one `COPY` into a temporary table, then merges it with a few
/// statements (history first, then `INSERT … ON CONFLICT … DO UPDATE … WHERE
/// content_hash IS DISTINCT FROM …`, tombstones, fingerprints). A batch goes
/// at the latest at `commit`, inside the transaction, so each input's records
/// and its cursor still commit together or not at all. Reads in the same
/// transaction see what is staged (`pending`).
public final class PostgresStore: RecordStore {
    public let catalog: ContractCatalog
    public let location: PostgresLocation
    let connection: Connection
    /// Runs found `running` on this store's connections when their locks
    /// were taken: their process died without closing them, so they were
    /// marked `interrupted`.
    public private(set) var abandonedRuns: [Int] = []

    /// Scope and input numbers already known. Both tables are written by
    /// `dictionary`, a second session that commits at once: workers on other
    /// connections never wait on (or deadlock over) a row another worker
    /// has not committed, and a rollback leaves at most an unused number.
    private var scopes = ScopeNumbers()
    private var inputs: [String: Int] = [:]
    private var dictionaryConnection: Connection?
    private let applicationName: String

    private var staged = StagedWrites()
    /// Records read by `prefetch` for the batch in hand, misses included.
    private var prefetched: [String: StoredRecord?] = [:]
    private weak var scratch: SessionRunScratch?
    private var inTransaction = false
    private var analyzeRecords = AnalyzeSchedule()

    /// A batch is sent when it holds this many rows or bytes, or at commit.
    static let batchRows = 5000
    static let batchBytes = 8 << 20

    init(location: PostgresLocation, catalog: ContractCatalog, command: String) throws {
        self.location = location
        self.catalog = catalog
        applicationName = RunLocks.applicationName(command: command)
        connection = try Connection(parameters: location.connectionParameters(applicationName: applicationName))
        try connection.execute("SET search_path TO \"\(location.schema)\", pg_catalog")
        // The staging and scratch TEMP tables live in this session's own
        // buffers, 8 MB by default; a big run's scratch index outgrows that.
        try connection.execute("SET temp_buffers = '64MB'")
    }

    /// Connects, migrates, and takes the run lock of each id in
    /// `connections` (waiting up to `lockWait` seconds for another run).
    public static func openForWriting(
        _ location: PostgresLocation, catalog: ContractCatalog = .standard, connections: [String], lockWait: Double = 0,
        command: String = "backfill-sync"
    ) throws -> PostgresStore {
        let store = try PostgresStore(location: location, catalog: catalog, command: command)
        try store.migrate()
        try RunLocks.take(connections, schema: location.schema, on: store.connection, wait: lockWait)
        // The locks are ours, so no run of ours on those connections is still
        // going: a `running` row there is one whose process died.
        store.abandonedRuns = try store.closeAbandonedRuns(connections: connections, now: Timestamp.now())
        return store
    }

    /// Connects to read, or returns nil when the schema holds no store yet:
    /// a dry run or a report must not create one.
    public static func openForReading(_ location: PostgresLocation, catalog: ContractCatalog = .standard) throws -> PostgresStore? {
        let store = try PostgresStore(location: location, catalog: catalog, command: "backfill-sync (reading)")
        guard let version = try store.schemaVersion() else { return nil }
        if version > PostgresSchema.migrations.count {
            throw StoreError.newerSchema(path: location.display, version: version, supported: PostgresSchema.migrations.count)
        }
        if version < PostgresSchema.migrations.count { throw StoreError.olderSchema(path: location.display, version: version) }
        try store.connection.execute(PostgresSchema.stagingTable)
        return store
    }

    /// The schema version, or nil when there is no store in the schema.
    private func schemaVersion() throws -> Int? {
        guard try connection.scalar("SELECT to_regclass($1)", ["\"\(location.schema)\".store_meta"]) != nil else { return nil }
        return try connection.scalar("SELECT value FROM store_meta WHERE key = 'schema_version'").flatMap { Int($0) } ?? 0
    }

    /// Creates the schema or brings it up to date, and rebuilds the views
    /// when the contracts changed. Two workers starting at once serialize on
    /// a transaction-scoped advisory lock, so neither sees half a migration.
    func migrate() throws {
        let views = PostgresSchema.viewStatements(catalog)
        let fingerprint = SHA256.hex(Array(views.joined(separator: ";").utf8))
        try connection.execute("BEGIN")
        do {
            let key = RunLocks.key(schema: location.schema, connection: "\u{1F}migrations")
            try connection.query(
                "SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
                [String(Int32(bitPattern: key.0)), String(Int32(bitPattern: key.1))])
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \"\(location.schema)\"")
            try connection.execute("CREATE TABLE IF NOT EXISTS store_meta (key text PRIMARY KEY, value text NOT NULL)")
            let current = try schemaVersion() ?? 0
            if current > PostgresSchema.migrations.count {
                throw StoreError.newerSchema(path: location.display, version: current, supported: PostgresSchema.migrations.count)
            }
            let stored = try connection.scalar("SELECT value FROM store_meta WHERE key = 'views'")
            if current < PostgresSchema.migrations.count || stored != fingerprint {
                let existing = try connection.query(
                    "SELECT viewname FROM pg_views WHERE schemaname = $1", [location.schema])
                for i in 0..<existing.count { try connection.execute("DROP VIEW \"\(existing.text(i, 0) ?? "")\"") }
                for (index, sql) in PostgresSchema.migrations.enumerated() where index >= current {
                    try connection.execute(sql)
                    try setMeta("schema_version", String(index + 1))
                }
                for sql in views { try connection.execute(sql) }
                try setMeta("views", fingerprint)
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        try connection.execute(PostgresSchema.stagingTable)
    }

    private func setMeta(_ key: String, _ value: String) throws {
        try connection.query(
            "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value])
    }

    // MARK: Transactions

    /// A dry run's snapshot is `REPEATABLE READ READ ONLY`: one consistent
    /// state to diff against, and the server refuses any write.
    public func begin(_ kind: TransactionKind) throws {
        try connection.execute(kind == .write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        inTransaction = true
    }

    public func commit() throws {
        try flush()
        try scratch?.send()
        try connection.execute("COMMIT")
        inTransaction = false
        prefetched.removeAll()
    }

    public func rollback() {
        try? connection.execute("ROLLBACK")
        inTransaction = false
        staged.removeAll()
        prefetched.removeAll()
        scratch?.rolledBack()
    }

    public func makeRunScratch() throws -> RunScratch {
        let made = try SessionRunScratch(connection: connection)
        scratch = made
        return made
    }

    // MARK: Numbers

    /// The session that writes scopes and inputs, autocommitting.
    private func dictionary() throws -> Connection {
        if let dictionaryConnection { return dictionaryConnection }
        let made = try Connection(parameters: location.connectionParameters(applicationName: applicationName))
        try made.execute("SET search_path TO \"\(location.schema)\", pg_catalog")
        dictionaryConnection = made
        return made
    }

    func scope(of identity: RecordIdentity, create: Bool) throws -> Int? {
        try scopes.number(for: identity) {
            let values = [identity.objectType, identity.sourceSystem, identity.connectionID]
            let find = "SELECT id FROM scopes WHERE object_type = $1 AND source_system = $2 AND connection_id = $3"
            if let found = try connection.scalar(find, values).flatMap({ Int($0) }) { return found }
            guard create else { return nil }
            let writer = try dictionary()
            try writer.query(
                "INSERT INTO scopes (object_type, source_system, connection_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", values)
            return try writer.scalar(find, values).flatMap { Int($0) }
        }
    }

    private func input(named name: String) throws -> Int {
        if let number = inputs[name] { return number }
        let writer = try dictionary()
        try writer.query("INSERT INTO inputs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", [name])
        let number = try writer.scalar("SELECT id FROM inputs WHERE name = $1", [name]).flatMap { Int($0) } ?? 0
        inputs[name] = number
        return number
    }

    // MARK: Records

    private static let lookupColumns = "r.id, r.content_hash, r.payload, r.fingerprint, r.currency, r.removed_at"

    private func storedRecord(_ rows: Rows, _ i: Int, at column: Int, identity: RecordIdentity) -> StoredRecord {
        StoredRecord(
            id: rows.text(i, column) ?? "", contentHash: SHA256.hexString(rows.bytes(i, column + 1) ?? []),
            payload: rows.text(i, column + 2) ?? "", removedAt: rows.text(i, column + 5), row: nil, fingerprint: rows.bytes(i, column + 3),
            expansion: StoredForm.Expansion(currency: rows.text(i, column + 4), contract: catalog.contract(for: identity.objectType)))
    }

    /// Reads the stored records of a batch's identities with one query per
    /// scope (nearly always one), so the `lookup` of each is answered from
    /// memory, not by a round trip. Each key is a lateral probe of the
    /// identity constraint's index, whatever the table's statistics say: a
    /// plain join with `unnest` (or `= ANY`) was planned as a scan of the
    /// whole table while it was new, which made a first import quadratic.
    public func prefetch(_ identities: [RecordIdentity]) throws {
        try scratch?.load(identities)
        prefetched.removeAll(keepingCapacity: true)
        var byScope: [Int: [String: RecordIdentity]] = [:]
        for identity in identities where staged.pending[identity.key] == nil {
            prefetched[identity.key] = .some(nil)
            guard let scope = try scope(of: identity, create: false) else { continue }
            byScope[scope, default: [:]][identity.sourceID] = identity
        }
        for (scope, wanted) in byScope {
            let rows = try connection.query(
                """
                SELECT r.source_id, \(Self.lookupColumns) FROM unnest($2::text[]) AS k(source_id)
                CROSS JOIN LATERAL (SELECT * FROM record_rows WHERE scope = $1 AND source_id = k.source_id) r
                """,
                [String(scope), ArrayLiteral.texts(Array(wanted.keys))])
            for i in 0..<rows.count {
                guard let identity = wanted[rows.text(i, 0) ?? ""] else { continue }
                prefetched[identity.key] = storedRecord(rows, i, at: 1, identity: identity)
            }
        }
    }

    public func lookup(_ identity: RecordIdentity) throws -> StoredRecord? {
        if let pending = staged.pending[identity.key] {
            if let record = pending.record { return record }
            try flush()  // a staged tombstone or fingerprint: read the record as merged
        }
        if let found = prefetched[identity.key] { return found }
        guard let scope = try scope(of: identity, create: false) else { return nil }
        let rows = try connection.query(
            "SELECT \(Self.lookupColumns) FROM record_rows r WHERE r.scope = $1 AND r.source_id = $2", [String(scope), identity.sourceID])
        return rows.count > 0 ? storedRecord(rows, 0, at: 0, identity: identity) : nil
    }

    public func insertRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        try stage(.create, change, columns: columns, runID: runID, now: now)
    }

    public func updateRecord(_ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        try stage(.update, change, columns: columns, runID: runID, now: now)
    }

    public func tombstone(_ change: RecordChange, runID: Int, now: String) throws {
        try stage(.tombstone, change, columns: .none, runID: runID, now: now)
    }

    public func refreshFingerprint(_ change: RecordChange) throws {
        guard change.fingerprint != nil else { return }
        try stage(.fingerprint, change, columns: .none, runID: 0, now: "")
    }

    private func stage(_ op: StagedWrites.Op, _ change: RecordChange, columns: QueryColumns, runID: Int, now: String) throws {
        // One row per identity a batch: a second write of the same record
        // (rare: a child removed after it was written) goes in the next.
        if staged.pending[change.identity.key] != nil { try flush() }
        guard let scope = try scope(of: change.identity, create: op != .fingerprint) else { return }
        let input = op == .create || op == .update ? try self.input(named: change.origin.file) : nil
        staged.add(op, change, scope: scope, input: input, columns: columns, runID: runID, now: now, catalog: catalog)
        if staged.rows.rows >= Self.batchRows || staged.rows.bytes.count >= Self.batchBytes { try flush() }
    }

    /// Sends the staged batch and merges it. The counts the upsert returns
    /// must be the creates and updates staged: anything else means another
    /// session wrote these records, which the run lock rules out, so the
    /// transaction is failed rather than trusted.
    func flush() throws {
        guard !staged.rows.isEmpty else { return }
        defer { staged.removeAll() }
        try connection.copy(
            "COPY pg_temp.backfill_stage (op, scope, source_id, id, content_hash, fingerprint, payload, input, line, json_path, "
                + "parent_id, currency, money, money_minor, run, at) FROM STDIN",
            data: staged.rows.bytes)
        if staged.count(.update) + staged.count(.tombstone) + staged.count(.fingerprint) > 0 {
            // The joins below then find each row through the identity index
            // rather than scanning the table: the planner needs the batch's size.
            try connection.execute("ANALYZE pg_temp.backfill_stage")
        }
        if staged.count(.update) + staged.count(.tombstone) > 0 {
            try connection.query(
                """
                INSERT INTO version_rows (record_row, version, content_hash, payload, currency, written_run, replaced_run,
                                          input, line, json_path, removed_run, valid_from, replaced_at, removed_at)
                SELECT r.row, r.version, r.content_hash, r.payload, r.currency, r.updated_run, s.run, r.input, r.line,
                       r.json_path, r.removed_run, r.updated_at, s.at, r.removed_at
                FROM pg_temp.backfill_stage s JOIN record_rows r ON r.scope = s.scope AND r.source_id = s.source_id
                WHERE s.op IN ('u', 't')
                """)
        }
        if staged.count(.create) + staged.count(.update) > 0 {
            let merged = try connection.query(
                """
                INSERT INTO record_rows AS r (scope, source_id, id, version, content_hash, fingerprint, payload, created_run,
                                              updated_run, input, line, json_path, parent_id, currency, money, money_minor,
                                              created_at, updated_at)
                SELECT scope, source_id, id, 1, content_hash, fingerprint, payload, run, run, input, line, json_path, parent_id,
                       currency, money, money_minor, at, at
                FROM pg_temp.backfill_stage WHERE op IN ('c', 'u')
                ON CONFLICT ON CONSTRAINT record_identity DO UPDATE SET
                    version = r.version + 1, content_hash = excluded.content_hash, fingerprint = excluded.fingerprint,
                    payload = excluded.payload, updated_run = excluded.updated_run, input = excluded.input, line = excluded.line,
                    json_path = excluded.json_path, parent_id = excluded.parent_id, removed_run = NULL, removed_at = NULL,
                    currency = excluded.currency, money = excluded.money, money_minor = excluded.money_minor,
                    updated_at = excluded.updated_at
                WHERE r.content_hash IS DISTINCT FROM excluded.content_hash OR r.removed_run IS NOT NULL
                RETURNING (xmax = 0)
                """)
            var created = 0
            for i in 0..<merged.count where merged.text(i, 0) == "t" { created += 1 }
            let updated = merged.count - created
            guard created == staged.count(.create), updated == staged.count(.update) else {
                throw PostgresError(
                    sqlState: nil,
                    message: "the store changed under this run: \(staged.count(.create)) creates and \(staged.count(.update)) "
                        + "updates were staged, the merge made \(created) and \(updated); nothing of this input was kept",
                    sql: nil)
            }
        }
        if staged.count(.tombstone) > 0 {
            try connection.query(
                """
                UPDATE record_rows r SET version = r.version + 1, updated_run = s.run, updated_at = s.at, removed_run = s.run,
                                         removed_at = s.at
                FROM pg_temp.backfill_stage s WHERE s.op = 't' AND r.scope = s.scope AND r.source_id = s.source_id
                """)
        }
        if staged.count(.fingerprint) > 0 {
            try connection.query(
                """
                UPDATE record_rows r SET fingerprint = s.fingerprint
                FROM pg_temp.backfill_stage s WHERE s.op = 'f' AND r.scope = s.scope AND r.source_id = s.source_id
                """)
        }
        try connection.execute("TRUNCATE pg_temp.backfill_stage")
        if analyzeRecords.add(staged.count(.create)) { try connection.execute("ANALYZE record_rows") }
    }

    /// The live children of one type of `parent`: those stored, as changed
    /// by what this transaction has staged.
    public func liveChildren(
        parentID: String, parent: RecordIdentity, objectType: String
    ) throws -> [(
        id: String, identity: RecordIdentity
    )] {
        let rows = try connection.query(
            """
            SELECT r.id, s.source_system, s.connection_id, r.source_id FROM record_rows r JOIN scopes s ON s.id = r.scope
            WHERE r.parent_id = $1 AND s.object_type = $2 AND r.removed_run IS NULL
            """, [parentID, objectType])
        var children: [String: (id: String, identity: RecordIdentity)] = [:]
        for i in 0..<rows.count {
            let identity = RecordIdentity(
                objectType: objectType, sourceSystem: rows.text(i, 1) ?? "", connectionID: rows.text(i, 2) ?? "",
                sourceID: rows.text(i, 3) ?? "")
            children[identity.key] = (rows.text(i, 0) ?? "", identity)
        }
        for (key, write) in staged.pending where write.identity.objectType == objectType {
            if write.op == .tombstone {
                children[key] = nil
            } else if let record = write.record {
                children[key] = write.parentID == parentID ? (record.id, write.identity) : nil
            }
        }
        return children.values.sorted { Array($0.identity.sourceID.utf8).lexicographicallyPrecedes(Array($1.identity.sourceID.utf8)) }
    }
}

/// PostgreSQL array literals for `unnest($1::text[])`: one parameter for a
/// whole batch, each element quoted, `"` and `\` escaped.
enum ArrayLiteral {
    static func texts(_ values: [String]) -> String {
        var out = "{"
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for c in value.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }
}
