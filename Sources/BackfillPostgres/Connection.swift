import BackfillCore
import CLibpq

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Small on purpose: connect, execute a script, run a
/// statement with bound parameters (prepared once per SQL text and reused),
/// stream a result row by row, and `COPY … FROM STDIN`. Every value goes as a
/// bound parameter in text form; SQL text is never built from data.
final class Connection {
    private let handle: OpaquePointer
    /// Prepared statement names by SQL text: each statement is parsed and
    /// planned once per connection, however many records bind it.
    private var prepared: [String: String] = [:]

    /// Connects with libpq's keyword/value form. `expand_dbname` lets `dbname`
    /// be a whole `postgresql://` URL; a password given apart (from the
    /// environment) is added as its own keyword, so it is never part of a
    /// text the tool prints. libpq itself reads `PGPASSWORD` and `~/.pgpass`.
    init(parameters: [(String, String)]) throws(PostgresError) {
        let keys = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            for pointer in keys + values { free(pointer) }
        }
        let connection: OpaquePointer? = keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        PQconnectdbParams(kp, vp, 1)
                    }
                }
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            // libpq gives no SQLSTATE for a failed connection; a refused
            // login is a credentials problem (28P01), not an outage.
            let refused = message.contains("authentication failed") || message.contains("no password supplied")
            throw PostgresError(sqlState: refused ? "28P01" : "08001", message: message, sql: nil)
        }
        handle = connection
        // Notices (e.g. "relation already exists, skipping") are not the
        // user's business; libpq would print them to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// The server's process id for this session: what `pg_locks` names.
    var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs one or more statements with no parameters (DDL, BEGIN, COMMIT).
    func execute(_ sql: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with `parameters` bound ($1, $2, …), prepared on
    /// first use; nil binds NULL.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> Rows {
        let name = try statementName(sql, count: parameters.count)
        let result = withParameters(parameters) { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
        }
        do { try check(result, sql: sql) } catch {
            PQclear(result)
            throw error
        }
        return Rows(result!)
    }

    /// The first column of the first row, or nil.
    func scalar(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> String? {
        let rows = try query(sql, parameters)
        return rows.count > 0 ? rows.text(0, 0) : nil
    }

    /// Streams the rows of one statement to `body` one at a time (libpq's
    /// single-row mode), so an export of millions of records never holds
    /// them all. Nothing else may run on the connection until it returns.
    func stream(_ sql: String, _ parameters: [String?], _ body: (Rows) throws -> Void) throws {
        let name = try statementName(sql, count: parameters.count)
        let sent = withParameters(parameters) { values in
            PQsendQueryPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
        }
        guard sent == 1 else { throw PostgresError(connection: handle, sql: sql) }
        PQsetSingleRowMode(handle)
        var failure: Error?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            guard failure == nil else { continue }  // drain what is left
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE {
                do { try body(Rows(borrowing: result)) } catch { failure = error }
            } else if status != PGRES_TUPLES_OK {
                failure = PostgresError(result: result, sql: sql)
            }
        }
        if let failure { throw failure }
    }

    /// `COPY table (columns) FROM STDIN` with `data` in COPY's text format
    /// (`CopyText`): one round trip for a whole batch of rows.
    func copy(_ sql: String, data: [UInt8]) throws(PostgresError) {
        let start = PQexec(handle, sql)
        defer { PQclear(start) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            try check(start, sql: sql)
            throw PostgresError(sqlState: nil, message: "COPY did not start", sql: sql)
        }
        let sent = data.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map {
                $0.withMemoryRebound(to: CChar.self, capacity: buffer.count) { PQputCopyData(handle, $0, Int32(buffer.count)) }
            } ?? 1
        }
        guard sent == 1, PQputCopyEnd(handle, nil) == 1 else { throw PostgresError(connection: handle, sql: sql) }
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK && failure == nil { failure = PostgresError(result: result, sql: sql) }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    private func statementName(_ sql: String, count: Int) throws(PostgresError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(handle, name, sql, Int32(count), nil)
        defer { PQclear(result) }
        try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    private func withParameters<T>(_ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for copy in copies { free(copy) } }
        return copies.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { body($0) }
        }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(PostgresError) {
        guard let result else { throw PostgresError(connection: handle, sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN: return
        default: throw PostgresError(result: result, sql: sql)
        }
    }
}

/// A statement's result, in text form. Owns the libpq result unless it was
/// lent by `Connection.stream`, which frees each row's after the body returns.
final class Rows {
    private let result: OpaquePointer
    private let owned: Bool

    init(_ result: OpaquePointer) {
        self.result = result
        owned = true
    }

    init(borrowing result: OpaquePointer) {
        self.result = result
        owned = false
    }

    deinit { if owned { PQclear(result) } }

    var count: Int { Int(PQntuples(result)) }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    func text(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column) else { return nil }
        return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    func int(_ row: Int, _ column: Int) -> Int? { text(row, column).flatMap { Int($0) } }

    /// A `bytea` column, which the text form gives as `\x` and hex digits.
    func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard let pointer = isNull(row, column) ? nil : PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard length >= 2 else { return [] }
        return UnsafeRawBufferPointer(start: pointer + 2, count: length - 2).withMemoryRebound(to: UInt8.self) { hex in
            SHA256.bytes(hex: hex)
        }
    }
}
