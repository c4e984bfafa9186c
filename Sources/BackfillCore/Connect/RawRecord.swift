/// One provider record, before normalization: canonical (or aliased) field
/// names mapped to values as the provider gave them.
///
/// Connectors produce these and nothing else; they never touch the store.
public struct RawRecord: Sendable {
    public var objectType: String
    public var origin: Origin
    public var sourceSystem: String
    public var connectionID: String?
    /// The canonical id, when the provider assigns it (Backfill API envelope
    /// `id`); otherwise the store derives one from the identity.
    public var canonicalID: String?
    /// Field values keyed by canonical name; `lines` is an array of objects.
    public var fields: Fields
    /// Fields the connector could not map, kept under `metadata.<source_system>`.
    public var unmapped: Fields
    /// The input exactly as read (a CSV row's text), stored with a reject.
    public var rawText: String
    /// Problems the connector already found. An issue with no `field` says
    /// the input is not readable as a record at all (a ragged row): such a
    /// record is rejected for that alone, without normalizing it.
    public var issues: [RecordIssue]
    /// For documents assembled from several rows: the origin of each line, so
    /// an error in the third line names its own row. Empty otherwise.
    public var lineOrigins: [Origin] = []
    /// For a record owned by another (a bill's payment): the owner's identity.
    /// If the owner is rejected in this run, so is this record.
    public var parent: RecordIdentity?
    /// When the input states the complete set of this record's children of
    /// one type (Layer: a bill's `payments` array), those previously imported
    /// and not in `sourceIDs` are marked removed.
    public var ownedChildren: OwnedChildren?
    /// The bytes this record was made from, when its connector can name
    /// them (a Layer bill as written in the file): the fast path's
    /// fingerprint hashes them instead of serializing the record.
    public var madeFrom: SourceBytes?
    /// Set on a record that several pieces of one input carry (a vendor
    /// embedded in each of its bills): only the first is imported, the
    /// others would be rejected as repeats of it (`FirstSightings`).
    public var repeatKey: String?

    /// Bytes that, read by the same build with the same `context`, give
    /// exactly this raw record: every field, its parent and the children it
    /// states. The connector vouches for that; anything it reads besides
    /// the bytes (its settings, which of the records the bytes yield this is)
    /// goes in `context`. Object type, source system and connection are
    /// hashed besides, so they need not be in it.
    public struct SourceBytes: Sendable {
        public var context: String
        public var bytes: [UInt8]
        public init(context: String, bytes: [UInt8]) {
            self.context = context
            self.bytes = bytes
        }
    }

    public struct OwnedChildren: Sendable {
        public var objectType: String
        public var sourceIDs: Set<String>
        public init(objectType: String, sourceIDs: Set<String>) {
            self.objectType = objectType
            self.sourceIDs = sourceIDs
        }
    }

    public init(
        objectType: String, origin: Origin, sourceSystem: String, connectionID: String?,
        canonicalID: String? = nil, fields: Fields, unmapped: Fields = [:],
        rawText: String, issues: [RecordIssue] = []
    ) {
        self.objectType = objectType
        self.origin = origin
        self.sourceSystem = sourceSystem
        self.connectionID = connectionID
        self.canonicalID = canonicalID
        self.fields = fields
        self.unmapped = unmapped
        self.rawText = rawText
        self.issues = issues
    }

    /// The source id as given, for messages about a record that failed before
    /// normalization.
    public var declaredSourceID: String? {
        switch fields["source_id"] {
        case .string(let s)?: return s.isEmpty ? nil : s
        case .number(let n)?: return n
        default: return nil
        }
    }
}
