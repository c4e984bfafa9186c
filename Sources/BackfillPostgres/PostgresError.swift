import BackfillCore
import CLibpq

/// A PostgreSQL failure: the SQLSTATE, the server's (or libpq's) message and
/// the SQL text. Never the bound values, and never a password: the message
/// goes through `Secrets.redact`, where the store registered its password.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Five characters (https://www.postgresql.org/docs/15/errcodes-appendix.html);
    /// nil when libpq gave none.
    public let sqlState: String?
    public let message: String
    public let sql: String?

    init(sqlState: String?, message: String, sql: String?) {
        self.sqlState = sqlState
        self.message = Secrets.redact(message.trimmingCharacters(in: .whitespacesAndNewlines))
        self.sql = sql
    }

    init(result: OpaquePointer, sql: String?) {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        self.init(sqlState: state, message: String(cString: PQresultErrorMessage(result)), sql: sql)
    }

    init(connection: OpaquePointer, sql: String?) {
        // A lost connection has no SQLSTATE: class 08 says what it is.
        let lost = PQstatus(connection) != CONNECTION_OK
        self.init(sqlState: lost ? "08006" : nil, message: String(cString: PQerrorMessage(connection)), sql: sql)
    }

    public var description: String {
        var text = "PostgreSQL error"
        if let sqlState { text += " \(sqlState)" }
        text += ": \(message)"
        if let sql { text += " (in: \(sql.prefix(200)))" }
        return text
    }
}

extension PostgresError: StoreFailure {
    /// SQLSTATE classes by what a person must do about them.
    public var storeFailureKind: StoreFailureKind? {
        guard let sqlState else { return nil }
        switch sqlState {
        case "53100": return .diskFull
        case "42501": return .permissionDenied
        case "25006": return .readOnly(permission: false)
        case "55P03", "40001", "40P01": return .busy
        case "28000", "28P01": return .permissionDenied
        default: break
        }
        switch sqlState.prefix(2) {
        case "08", "57": return .unavailable
        case "53", "58", "XX": return .io(damaged: sqlState.hasPrefix("XX"))
        default: return nil
        }
    }
}
