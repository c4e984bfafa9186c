import BackfillCore
import CSQLite

/// One SQLite connection. Small on purpose: open, execute, prepare (cached),
/// and one transaction helper. Everything else is built on these.
public final class Database {
    let handle: OpaquePointer
    private var statements: [String: Statement] = [:]
    /// Statements for SQL written in the source, keyed by the literal's
    /// address: hashing a few hundred characters of SQL for every record was
    /// a percent of an import on its own.
    private var literalStatements: [UnsafeRawPointer: Statement] = [:]
    public let path: String
    public let isReadOnly: Bool

    /// The page cache of a writing connection, in KiB: SQLite's default,
    /// chosen rather than inherited. Since schema v3 nothing on the write
    /// path is keyed at random, so a bigger cache buys nothing: at 1M bench
    /// rows, 16 MiB made the first import no faster (17.7 s against 18.7 s,
    /// within noise) and cost 14 MiB of the 64 MiB memory budget.
    static let pageCacheKiB = 2048

    /// Opens `path`. Read-only connections never create the file and never
    /// write to it; read-write connections turn on WAL (and check SQLite
    /// agreed), foreign keys and a busy timeout.
    ///
    /// `immutable` (read-only only) opens the file as
    /// `file:…?immutable=1` (https://sqlite.org/uri.html): no locks and no
    /// `-shm`, so a store on a read-only medium can be read at all.
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws(SQLiteError) {
        var db: OpaquePointer?
        var flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var name = path
        if immutable && readOnly {
            flags |= SQLITE_OPEN_URI
            name = "file:" + Self.uriEscaped(path) + "?immutable=1"
        }
        let rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            let systemErrno = db.map { sqlite3_system_errno($0) } ?? 0
            sqlite3_close_v2(db)  // SQLite allocates a handle even when opening fails.
            throw SQLiteError(code: rc, message: message, sql: nil, systemErrno: systemErrno)
        }
        self.handle = db
        self.path = path
        self.isReadOnly = readOnly
        sqlite3_extended_result_codes(db, 1)
        BinaryColumns.register(on: db)
        // https://sqlite.org/c3ref/busy_timeout.html: wait for a concurrent
        // writer's short transaction rather than failing at once.
        sqlite3_busy_timeout(db, 5000)
        try execute("PRAGMA foreign_keys = ON")
        if !readOnly && path != ":memory:" {
            // https://sqlite.org/wal.html: readers do not block the writer, and
            // a crash leaves the last committed transaction intact.
            let mode = try scalarText("PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(code: SQLITE_ERROR, message: "journal_mode WAL refused (got \(mode ?? "nil"))", sql: nil)
            }
            // https://sqlite.org/pragma.html#pragma_synchronous: in WAL mode
            // NORMAL syncs at checkpoints, not at every commit. A killed or
            // crashed process loses nothing it committed (the WAL is in the
            // OS's hands); a power cut or kernel crash can lose the last
            // commits before the next checkpoint, never the store's
            // consistency (README, "Durability").
            try execute("PRAGMA synchronous = NORMAL")
            try execute("PRAGMA cache_size = -\(Self.pageCacheKiB)")
        }
    }

    /// A path as a URI path: `%`, `?` and `#` (and bytes outside printable
    /// ASCII) percent-encoded, so no file name can add URI parameters.
    static func uriEscaped(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "?") && byte != UInt8(ascii: "#") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    deinit {
        statements.removeAll()
        literalStatements.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql, systemErrno: sqlite3_system_errno(handle))
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? "error"
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql, systemErrno: sqlite3_system_errno(handle))
        }
    }

    /// A prepared statement for `sql`, prepared once and reused: reset and
    /// cleared before each use. Values are always bound, never spliced.
    public func statement(_ sql: StaticString) throws(SQLiteError) -> Statement {
        let key = UnsafeRawPointer(sql.utf8Start)
        if let cached = literalStatements[key] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql.description)
        literalStatements[key] = statement
        return statement
    }

    /// The same for SQL built at run time (export filters, view names).
    public func statement(sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    public func scalarText(_ sql: String, _ values: [SQLValue] = []) throws(SQLiteError) -> String? {
        try statement(sql: sql).firstRow(values) { $0.text(0) } ?? nil
    }

    public func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws(SQLiteError) -> Int? {
        try statement(sql: sql).firstRow(values) { $0.isNull(0) ? nil : $0.int(0) } ?? nil
    }

    public var lastInsertRowID: Int { Int(sqlite3_last_insert_rowid(handle)) }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}
