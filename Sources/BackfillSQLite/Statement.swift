import BackfillCore
import CSQLite

/// A value bound to a statement parameter. Money is bound as TEXT (its exact
/// decimal string), never REAL.
public enum SQLValue: Sendable {
    case null
    case int(Int)
    case text(String)
    case blob([UInt8])
}

/// A prepared statement. Finalized when released; reset and its bindings
/// cleared before each reuse.
public final class Statement {
    let handle: OpaquePointer
    let sql: String
    unowned let database: Database

    init(database: Database, sql: String) throws(SQLiteError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw database.error(rc, sql: sql) }
        self.handle = stmt
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values` to parameters 1, 2, … (or from one-based `at`).
    public func bind(_ values: [SQLValue], at first: Int = 1) throws(SQLiteError) {
        for (i, value) in values.enumerated() { try bind(value, at: first + i) }
    }

    /// Binds one value to the one-based parameter `at`: for a statement run
    /// once per record, with no array of values built for it.
    public func bind(_ value: SQLValue, at position: Int) throws(SQLiteError) {
        let index = Int32(position)
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .int(let v): rc = sqlite3_bind_int64(handle, index, Int64(v))
        case .text(let s):
            // In place, with its length: no C-string copy, no strlen.
            var s = s
            rc = s.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_text(handle, index, "", 0, csqlite_transient())  // '' is not NULL
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(bytes.count), csqlite_transient())
                }
            }
        case .blob(let b):
            rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32(b.count), csqlite_transient()) }
        }
        guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
    }

    /// Binds UTF-8 bytes as TEXT without building a String first.
    public func bindText(_ index: Int, bytes: [UInt8]) throws(SQLiteError) {
        let rc = bytes.withUnsafeBytes {
            sqlite3_bind_text(
                handle, Int32(index), $0.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), csqlite_transient())
        }
        guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc, sql: sql)
    }

    /// Binds, steps once and reads the first row (if any), then resets, so the
    /// cached statement holds no read open between uses: an active statement
    /// would keep a transaction from committing.
    public func firstRow<T>(_ values: [SQLValue] = [], _ read: (Statement) -> T) throws(SQLiteError) -> T? {
        reset()
        defer { sqlite3_reset(handle) }
        try bind(values)
        guard try step() else { return nil }
        return read(self)
    }

    /// Binds, runs to completion, resets.
    public func run(_ values: [SQLValue] = []) throws(SQLiteError) {
        reset()
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    public func isNull(_ column: Int) -> Bool { sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL }

    public func int(_ column: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(column))) }

    public func text(_ column: Int) -> String? {
        guard let p = sqlite3_column_text(handle, Int32(column)) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// A BLOB column's bytes (nil for NULL); TEXT comes back as its bytes.
    public func blob(_ column: Int) -> [UInt8]? {
        isNull(column) ? nil : withBlob(column) { Array($0) }
    }

    /// A BLOB column's bytes in place, valid only inside `body`: for what
    /// is turned into something else at once (an id's or a hash's text).
    public func withBlob<R>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // The pointer first, then its length: the order SQLite documents.
        let p = sqlite3_column_blob(handle, Int32(column))?.assumingMemoryBound(to: UInt8.self)
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        return body(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n))
    }

    public func isBlob(_ column: Int) -> Bool { sqlite3_column_type(handle, Int32(column)) == SQLITE_BLOB }

    public func bytes(_ column: Int) -> [UInt8] {
        guard let p = sqlite3_column_text(handle, Int32(column)) else { return [] }
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        return Array(UnsafeBufferPointer(start: p, count: n))
    }
}
