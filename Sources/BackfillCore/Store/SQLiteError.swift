import CSQLite

/// A SQLite failure: the result code, SQLite's message and the SQL text.
/// Never the bound values, so a secret or a customer's data cannot leak
/// through an error message.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?
    /// The `errno` behind an I/O or open failure (0 when none): tells a
    /// missing directory from a permission problem.
    public var systemErrno: Int32 = 0

    public init(code: Int32, message: String, sql: String?, systemErrno: Int32 = 0) {
        self.code = code
        self.message = message
        self.sql = sql
        self.systemErrno = systemErrno
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql.prefix(200)))" }
        return text
    }

    /// SQLITE_BUSY / SQLITE_LOCKED: another process holds the store.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }

    /// The store itself is busy, read-only, full, damaged or cannot be
    /// opened: every later input would meet the same, so a run stops on it
    /// rather than recording it against one input.
    public var isStoreFailure: Bool {
        isBusy || [SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN].contains(code & 0xFF)
    }
}
