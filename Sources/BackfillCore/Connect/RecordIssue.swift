/// Stable codes for problems in the data. Reports, the rejects table and tests
/// rely on these strings: add codes, never rename them.
public enum IssueCode: String, Sendable, CaseIterable {
    case missingRequired = "missing_required"
    case invalidDecimal = "invalid_decimal"
    case tooManyDecimals = "too_many_decimals"
    case invalidDate = "invalid_date"
    case invalidDateTime = "invalid_datetime"
    case invalidBoolean = "invalid_boolean"
    case invalidInteger = "invalid_integer"
    case invalidEnum = "invalid_enum"
    case invalidCurrency = "invalid_currency"
    case invalidType = "invalid_type"
    case unknownField = "unknown_field"
    case raggedRow = "ragged_row"
    case duplicateIdentity = "duplicate_identity"
    case invalidEncoding = "invalid_encoding"
    case malformedInput = "malformed_input"
    case unknownObjectType = "unknown_object_type"
    case totalMismatch = "total_mismatch"
    case invalidValue = "invalid_value"
    /// The record belongs to a document that was rejected.
    case parentRejected = "parent_rejected"
    /// An API resource could not be fetched (retries exhausted, refused).
    case fetchFailed = "fetch_failed"
    /// The API refused the credentials (401/403).
    case unauthorized = "unauthorized"
    /// A JSON object names the same member twice.
    case duplicateKey = "duplicate_key"
    /// JSON nested deeper than the documented limit.
    case tooDeep = "too_deep"
    /// A field, line, record or response larger than its documented limit.
    case tooLarge = "too_large"
    /// A failure of backfill-sync itself ended an input early (a bug, or
    /// the store failing); the input is tried again next run.
    case internalError = "internal_error"
    /// A CSV row that is a sub-heading or a total, not a record (one cell
    /// filled, or none, in a file of three or more columns).
    case notARecord = "not_a_record"
}

/// One problem with one record, located: file, line or JSON path, the record's
/// source id, the field, a stable code and a sentence for a person.
public struct RecordIssue: Sendable, Hashable, CustomStringConvertible {
    public var origin: Origin
    public var sourceID: String?
    public var field: String?
    public var code: IssueCode
    public var message: String
    /// The canonical field this issue already accounts for, when `field` is a
    /// provider's name for it (Layer `external_id` for `source_id`): the
    /// validator does not report that field again.
    public var covers: String?

    public init(
        origin: Origin, sourceID: String? = nil, field: String?, code: IssueCode, message: String,
        covers: String? = nil
    ) {
        self.origin = origin
        self.sourceID = sourceID
        self.field = field
        self.code = code
        self.message = message
        self.covers = covers
    }

    /// `bank.csv:7: error: [invalid_date] expense_date: 2026-02-30 is not a date`
    public var description: String {
        // A JSON path that already ends with the field names it once.
        let named = field.map { origin.jsonPath?.hasSuffix($0) == true } ?? true
        let fieldPart = named ? "" : "\(field!): "
        return "\(origin): error: [\(code.rawValue)] \(fieldPart)\(message)"
    }
}
