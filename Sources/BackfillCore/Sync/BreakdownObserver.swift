/// Counts changes per (connection, object type) on their way to the report.
public final class BreakdownObserver: RunObserver {
    let forwarded: any RunObserver
    public var connection = ""
    /// The object type rejects are counted under (their type is not known
    /// when a record fails before normalization).
    public var stream = ""
    private var counts: [String: [String: RunCounts]] = [:]
    private var order: [(String, String)] = []

    public init(forwardingTo observer: any RunObserver) { forwarded = observer }

    public var rows: [ReportSummary.BreakdownRow] {
        order.map { ReportSummary.BreakdownRow(connection: $0.0, object: $0.1, counts: counts[$0.0]![$0.1]!) }
    }

    private func bump(_ object: String, _ change: (inout RunCounts) -> Void) {
        if counts[connection]?[object] == nil {
            counts[connection, default: [:]][object] = RunCounts()
            order.append((connection, object))
        }
        change(&counts[connection]![object]!)
    }

    /// The counts as the current input found them, restored if it rolls back.
    private var mark: (counts: [String: [String: RunCounts]], order: Int) = ([:], 0)

    public func inputStarted(_ input: String) {
        mark = (counts, order.count)
        forwarded.inputStarted(input)
    }
    public func inputRolledBack(_ input: String) {
        counts = mark.counts
        order.removeLast(order.count - mark.order)
        forwarded.inputRolledBack(input)
    }
    public func recordProcessed(_ change: RecordChange) {
        bump(change.identity.objectType) {
            switch change.action {
            case .create: $0.created += 1
            case .update: $0.updated += 1
            case .unchanged: $0.unchanged += 1
            case .remove: $0.removed += 1
            }
        }
        forwarded.recordProcessed(change)
    }
    public func recordRejected(_ issues: [RecordIssue], rawText: String) {
        bump(stream) { $0.failed += 1 }
        forwarded.recordRejected(issues, rawText: rawText)
    }
    public func inputFailed(_ error: InputError, discarded: Bool) {
        bump(stream) { $0.failed += 1 }
        forwarded.inputFailed(error, discarded: discarded)
    }
    public func inputFinished(_ input: String, counts: RunCounts) { forwarded.inputFinished(input, counts: counts) }
    public func progress(input: String, records: Int) { forwarded.progress(input: input, records: records) }
    public func progress(input: String, records: Int, bytes: Int, of total: Int) {
        forwarded.progress(input: input, records: records, bytes: bytes, of: total)
    }
}
