/// A record in canonical shape, with whatever problems normalization and
/// validation found. Only a record without issues goes on to the differ.
public struct NormalizedRecord: Sendable {
    public var identity: RecordIdentity?
    public var canonicalID: String?
    /// The canonical payload: contract field names, typed values.
    public var payload: Fields
    public var origin: Origin
    public var rawText: String
    public var issues: [RecordIssue]

    public var sourceID: String? { identity?.sourceID ?? payload["source_id"]?.stringValue }
}
