/// When a table this session fills needs `ANALYZE`. The planner takes a
/// table it has no statistics for as nearly empty, and plans each batch's
/// probes of it as a scan of the whole table: a first import of 100k rows
/// took 23 s instead of 3, growing with the square of the rows. Analyzing
/// each time the session has doubled what it added (from 1,000 rows on)
/// keeps the plans on the index, at about ten `ANALYZE`s, each of a
/// 30,000-row sample, for a million rows. `ANALYZE` inside a transaction
/// counts the transaction's own rows.
struct AnalyzeSchedule {
    private var added = 0
    private var atLastAnalyze = 0

    /// Counts `rows` more; true when the table should be analyzed now.
    mutating func add(_ rows: Int) -> Bool {
        added += rows
        guard added - atLastAnalyze >= max(1000, atLastAnalyze) else { return false }
        atLastAnalyze = added
        return true
    }
}
