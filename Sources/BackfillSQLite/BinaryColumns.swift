import BackfillCore
import CSQLite

/// Canonical ids and hashes as bytes rather than hex text: 16 bytes for an
/// id instead of 36, 32 for a content hash instead of 64. The core speaks
/// text; this is the one place that turns one into the other.
enum BinaryColumns {
    /// An id as stored: a UUID in its canonical text (every derived id, and
    /// the Backfill API's) as its 16 bytes; any other id a provider assigns
    /// as the text itself, so nothing it sent is lost or reformatted.
    static func id(_ text: String) -> SQLValue {
        UUIDText.bytes(text).map(SQLValue.blob) ?? .text(text)
    }

    static func idText(_ s: Statement, _ column: Int) -> String {
        guard s.isBlob(column), let text = s.withBlob(column, { $0.count == 16 ? UUIDText.format($0) : nil }) else {
            return s.text(column) ?? ""
        }
        return text
    }

    /// A SHA-256 hash (lower-case hex in the core) as its 32 bytes.
    static func hash(_ hex: String) -> SQLValue {
        SHA256.bytes(hex: hex).map(SQLValue.blob) ?? .text(hex)
    }

    /// The content hash of `change`, from the bytes it carries when it has them.
    static func hash(of change: RecordChange) -> SQLValue {
        change.contentDigest.map(SQLValue.blob) ?? hash(change.contentHash)
    }

    static func hashText(_ s: Statement, _ column: Int) -> String {
        guard s.isBlob(column) else { return s.text(column) ?? "" }
        return s.withBlob(column) { SHA256.hexString($0) }
    }

    /// `backfill_id(text)` and `backfill_hash(text)` for SQL: what `id` and
    /// `hash` do, so the migration to schema v3 converts rows in one
    /// statement (SQLite 3.40, Debian 12's, has no `unhex`).
    static func register(on db: OpaquePointer) {
        sqlite3_create_function_v2(
            db, "backfill_id", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, args in
                BinaryColumns.convert(context, args) { UUIDText.bytes($0) }
            }, nil, nil, nil)
        sqlite3_create_function_v2(
            db, "backfill_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, args in
                BinaryColumns.convert(context, args) { SHA256.bytes(hex: $0) }
            }, nil, nil, nil)
    }

    /// The argument's bytes when `convert` gives them, else the argument unchanged.
    private static func convert(
        _ context: OpaquePointer?, _ args: UnsafeMutablePointer<OpaquePointer?>?,
        _ convert: (UnsafeBufferPointer<UInt8>) -> [UInt8]?
    ) {
        guard let value = args?[0] else { return sqlite3_result_null(context) }
        guard sqlite3_value_type(value) == SQLITE_TEXT, let text = sqlite3_value_text(value) else {
            return sqlite3_result_value(context, value)
        }
        let buffer = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
        guard let bytes = convert(buffer) else { return sqlite3_result_value(context, value) }
        bytes.withUnsafeBytes { sqlite3_result_blob(context, $0.baseAddress, Int32(bytes.count), csqlite_transient()) }
    }
}
