import BackfillCore
import CSQLite

#if canImport(Glibc)
import Glibc
#endif

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
}

extension SQLiteError: StoreFailure {
    /// SQLite's primary result codes, by what a person must do about them.
    public var storeFailureKind: StoreFailureKind? {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        case SQLITE_FULL: return .diskFull
        case SQLITE_IOERR: return .io(damaged: false)
        case SQLITE_CORRUPT: return .io(damaged: true)
        case SQLITE_READONLY: return .readOnly(permission: systemErrno == EACCES || systemErrno == EPERM)
        case SQLITE_PERM: return .permissionDenied
        case SQLITE_CANTOPEN: return .cannotOpen(errno: systemErrno)
        case SQLITE_NOTADB: return .notAStore
        default: return nil
        }
    }
}
