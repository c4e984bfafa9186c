/// A stream of raw records from one input (a file, an API resource).
///
/// `next()` returns nil at the end. It throws only for failures of the input
/// as a whole (unreadable, not UTF-8, not JSON): those stop this input, never
/// the others. Problems with one record travel inside the record as issues.
public protocol RecordStream: SendableMetatype {
    mutating func next() throws(InputError) -> RawRecord?
    /// The records of the next piece of input, or nil at the end. The
    /// default is `next()`'s record, made. A stream whose records are costly
    /// to make from a piece it has read (a Layer bill into its vendor, bill
    /// and payments) returns the making instead, and the read-ahead runs it
    /// on a worker thread, so the one reader thread only reads.
    mutating func nextGroup() throws(InputError) -> RecordGroup?
}

extension RecordStream {
    public mutating func nextGroup() throws(InputError) -> RecordGroup? { try next().map(RecordGroup.made) }
}

/// The records of one piece of input: made, or to be made on any thread.
/// Making must be pure (the same piece always gives the same records), and
/// a record that other pieces may give again carries a `repeatKey`, so the
/// first one in input order is kept however the making was scheduled.
public enum RecordGroup: Sendable {
    case made(RawRecord)
    case deferred(@Sendable () -> [RawRecord])
    /// One record described before it is made (`UnmadeRecord`): on a
    /// re-import, most are found unchanged by that description alone.
    case unmade(any UnmadeRecord)
}

/// A record its connector can describe without making it: a CSV row whose
/// id is one column, so that splitting its other cells into fields is
/// needed only when the fast path misses. Both calls are pure and may run
/// on any thread.
public protocol UnmadeRecord: Sendable {
    /// What the fast path reads of the record, and the same as the made
    /// record's: object type, source system, connection, origin, raw text,
    /// `madeFrom`, and of the fields only `source_id`. Its fingerprint and
    /// likely identity are the made record's; it is never normalized.
    func shell() -> RawRecord
    /// The record itself.
    func make() -> RawRecord
}

/// The rule for `RawRecord.repeatKey`, in one place for every consumer of
/// a stream: a record whose key came earlier in the same input is dropped.
public struct FirstSightings {
    private var seen: Set<String> = []
    public init() {}

    /// Whether `record` is kept: it has no key, or the first with its key.
    public mutating func keeps(_ record: RawRecord) -> Bool {
        guard let key = record.repeatKey else { return true }
        return seen.insert(key).inserted
    }
}

/// A stream of rows from a text file (CSV) whose rejected rows can be
/// written back out as a file the user fixes and imports again: it knows
/// the text above its rows.
public protocol RowFileStream: RecordStream {
    /// JSON `{"text": preamble and header exactly as read, "delimiter": ","}`;
    /// nil when the stream wraps one that has none.
    var inputHeader: String? { get }
}

/// A stream that knows how far through its file it is, so progress can
/// show a percentage, a rate and the time left.
public protocol SizedStream: RecordStream {
    var bytesRead: Int { get }
    /// nil when the size is not known (a pipe).
    var totalBytes: Int? { get }
}

/// A failure of a whole input, as opposed to a problem with one record.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The file is missing or unreadable (exit 66).
        case unreadable
        /// The content cannot be read as the format at all (exit 65).
        case malformed
    }

    public var kind: Kind
    public var origin: Origin
    public var code: IssueCode
    public var message: String

    public init(kind: Kind, origin: Origin, code: IssueCode, message: String) {
        self.kind = kind
        self.origin = origin
        self.code = code
        self.message = message
    }

    public var description: String { "\(origin): error: [\(code.rawValue)] \(message)" }

    public var asIssue: RecordIssue {
        RecordIssue(origin: origin, field: nil, code: code, message: message)
    }
}

/// A file connector's reader: a name (its `source_system`) and a way to open
/// an input as a record stream. How the tool finds a connector, its command
/// and its sync settings is its `ConnectorFactory`; HTTP, retries and rate
/// limits are shared in `Connect/HTTP/`.
public protocol Connector {
    associatedtype Stream: RecordStream
    /// `csv_upload`, `layer`, `jsonl`.
    var sourceSystem: String { get }
    func open(_ input: String) throws(InputError) -> Stream
}
