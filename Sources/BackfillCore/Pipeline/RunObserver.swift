import Foundation

/// Receives what a run does, as it does it. The core never prints: the
/// executable's report writers and progress display implement this.
public protocol RunObserver: AnyObject {
    func inputStarted(_ input: String)
    func recordProcessed(_ change: RecordChange)
    /// One rejected record: all its issues and its raw input.
    func recordRejected(_ issues: [RecordIssue], rawText: String)
    /// The input as a whole failed; `discarded` is true when what it had
    /// planned so far was rolled back (and should vanish from the report).
    func inputFailed(_ error: InputError, discarded: Bool)
    func inputFinished(_ input: String, counts: RunCounts)
    func progress(input: String, records: Int)
    /// Progress through an input of known size (a file): `bytes` of `total`.
    func progress(input: String, records: Int, bytes: Int, of total: Int)
    /// The input was rolled back by something that stops the whole run (a
    /// signal, the store failing): what it planned never happened.
    func inputRolledBack(_ input: String)
}

extension RunObserver {
    public func inputRolledBack(_ input: String) {}
    public func progress(input: String, records: Int, bytes: Int, of total: Int) { progress(input: input, records: records) }
}

/// Timestamps for `created_at`, `updated_at` and runs: UTC, milliseconds.
public enum Timestamp {
    public static func now() -> String {
        format(secondsSinceEpoch: Date().timeIntervalSince1970)
    }

    public static func format(secondsSinceEpoch t: Double) -> String {
        let millis = Int64((t * 1000).rounded())
        let seconds = Int(millis / 1000)
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return
            "\(CalendarDate(daysSinceEpoch: days))T\(pad(rest / 3600, 2)):\(pad(rest % 3600 / 60, 2)):\(pad(rest % 60, 2)).\(pad(Int(millis % 1000), 3))Z"
    }
}
