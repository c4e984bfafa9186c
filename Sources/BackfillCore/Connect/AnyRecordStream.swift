/// A stream that has something to say about its input beyond its records:
/// columns kept only as metadata, mapping columns it lacks, rows skipped.
/// Said on stderr and in the report.
public protocol NotingStream: RecordStream {
    var notes: [String] { get }
}

/// A record stream of any connector, so one runner serves them all.
public struct AnyRecordStream: RowFileStream, SizedStream, NotingStream {
    private var nextRecord: () throws(InputError) -> RawRecord?
    private var nextRecordGroup: () throws(InputError) -> RecordGroup?
    public let inputHeader: String?
    private let position: () -> Int
    private let currentNotes: () -> [String]
    public let totalBytes: Int?
    public var bytesRead: Int { position() }
    /// The stream's notes as they stand.
    public var notes: [String] { currentNotes() }

    public init<S: RecordStream>(_ stream: S) {
        // One captured variable shared by every closure: the notes and
        // position they read are those of the stream `next()` advances.
        var s = stream
        nextRecord = { () throws(InputError) -> RawRecord? in try s.next() }
        nextRecordGroup = { () throws(InputError) -> RecordGroup? in try s.nextGroup() }
        currentNotes = { (s as? any NotingStream)?.notes ?? [] }
        inputHeader = (stream as? any RowFileStream)?.inputHeader ?? nil
        totalBytes = (stream as? any SizedStream)?.totalBytes ?? nil
        position = { (s as? any SizedStream)?.bytesRead ?? 0 }
    }

    public mutating func next() throws(InputError) -> RawRecord? { try nextRecord() }
    public mutating func nextGroup() throws(InputError) -> RecordGroup? { try nextRecordGroup() }
}
