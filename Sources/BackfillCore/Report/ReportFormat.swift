/// The report formats. JSON is the one scripts read; its shape is versioned by
/// `format_version` and only ever grows.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, markdown, html
}

/// The facts about a finished run that head and close a report.
public struct ReportSummary: Sendable {
    public var mode: ImportRun.Mode
    public var status: ImportRun.Status
    public var counts: RunCounts
    public var runID: Int?
    public var store: String
    public var command: String
    /// Counts per connection and object type (sync).
    public var breakdown: [BreakdownRow] = []
    /// Facts a reader should know (`--full-refresh: cursors ignored`).
    public var notes: [String] = []

    public struct BreakdownRow: Sendable {
        public var connection: String
        public var object: String
        public var counts: RunCounts
        public init(connection: String, object: String, counts: RunCounts) {
            self.connection = connection
            self.object = object
            self.counts = counts
        }
    }

    public init(mode: ImportRun.Mode, status: ImportRun.Status, counts: RunCounts, runID: Int?, store: String, command: String) {
        self.mode = mode
        self.status = status
        self.counts = counts
        self.runID = runID
        self.store = store
        self.command = command
    }
}
