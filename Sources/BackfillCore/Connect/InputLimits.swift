/// How much of one input backfill-sync holds in memory at once. Each limit
/// is checked while reading, so an input over one is stopped with a located
/// `too_large` error instead of being buffered: `/dev/zero`, a 200 MB cell or
/// a 2 GB API response cost no more memory than a limit's worth.
///
/// The defaults are far above any real provider record and keep peak memory
/// well under 256 MiB. `--max-field-mib`/`--max-record-mib` (imports) and
/// `backfill_api.max_response_mib` (sync config) change them.
public struct InputLimits: Sendable, Equatable {
    /// One CSV field or one JSON string (an `external_id`, a description).
    public var maxFieldBytes: Int
    /// One CSV record (a row with its quoted line breaks) or one element of
    /// a streamed JSON array (one Layer bill).
    public var maxRecordBytes: Int
    /// One API response body.
    public var maxResponseBytes: Int
    /// JSON nesting; see `JSONParser.Limits.maxDepth`.
    public var maxDepth: Int

    public init(
        maxFieldBytes: Int = 16 << 20, maxRecordBytes: Int = 32 << 20, maxResponseBytes: Int = 64 << 20,
        maxDepth: Int = 256
    ) {
        self.maxFieldBytes = maxFieldBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxResponseBytes = maxResponseBytes
        self.maxDepth = maxDepth
    }

    public static let standard = InputLimits()

    public var json: JSONParser.Limits { JSONParser.Limits(maxDepth: maxDepth, maxStringBytes: maxFieldBytes) }

    /// `16 MiB` for messages.
    public static func describe(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
