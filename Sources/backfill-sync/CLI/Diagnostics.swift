import BackfillCore
import Foundation

/// Standard error: diagnostics (`file:line: error: [code] message`) and, when
/// stderr is a terminal, a progress line. Standard output carries only the
/// report, so `--report json | jq` works.
enum Diagnostics {
    static let isTerminal = isatty(2) == 1
    /// `--quiet`: warnings and progress are not shown; errors always are.
    nonisolated(unsafe) static var quiet = false

    /// A usage error's own second lines ("See '… --help'", "Choices: …")
    /// are printed as lines. Any other line break, such as one inside a
    /// file name, stays escaped: it cannot forge a diagnostic.
    static func error(_ message: String) {
        var lines = [Substring(message)]
        for marker in ["\nSee '", "\nChoices: "] {
            guard let last = lines.last, let range = last.range(of: marker) else { continue }
            lines[lines.count - 1] = last[..<range.lowerBound]
            lines.append(last[last.index(after: range.lowerBound)...])
        }
        line("backfill-sync: error: \(lines[0])")
        for more in lines.dropFirst() { line(String(more)) }
    }

    static func warning(_ message: String) {
        if quiet { return }
        line("backfill-sync: warning: \(message)")
    }

    /// One diagnostic line. Everything shown passes through here: secrets
    /// removed, then control characters escaped, so a file name holding a
    /// newline or an ANSI escape cannot forge a line or drive the terminal.
    static func line(_ text: String) {
        write(TerminalText.safe(text) + "\n")
    }

    /// Raw bytes: only for the progress line's own cursor controls.
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Forwards run events to the report and shows rejects and progress on stderr.
final class CLIObserver: RunObserver {
    let report: ReportWriter
    private var shownRejects = 0
    private var hiddenRejects = 0
    private static let rejectLimit = 50
    private var lastProgress = Date.distantPast
    private var inputStartedAt = Date()
    private var progressShown = false
    /// The current input's rejects, held while none of its records has
    /// landed: if every row fails on the same missing fields, one diagnosis
    /// replaces them.
    private var held: [RecordIssue] = []
    private var holding = true
    private var sameMissing: Set<String>?
    private var rejectedRecords = 0
    /// What to suggest for an input none of whose rows supplied the fields
    /// (`backfill-sync mapping init FILE --object TYPE`).
    var suggestion: ((String) -> String?)?

    init(report: ReportWriter) {
        self.report = report
    }

    func inputStarted(_ input: String) {
        inputStartedAt = Date()
        report.inputStarted(input)
        held = []
        holding = true
        sameMissing = nil
        rejectedRecords = 0
    }

    func recordProcessed(_ change: RecordChange) {
        report.recordProcessed(change)
        if holding { release() }
    }

    func recordRejected(_ issues: [RecordIssue], rawText: String) {
        report.recordRejected(issues, rawText: rawText)
        guard holding else {
            for issue in issues { show(issue.description) }
            return
        }
        rejectedRecords += 1
        let missing = Set(issues.map { $0.code == .missingRequired ? ($0.field ?? "?") : "\u{0}" + $0.code.rawValue })
        sameMissing = sameMissing == nil || sameMissing == missing ? missing : []
        held += issues
        if held.count > Self.rejectLimit { release() }
    }

    /// Shows what was held, one line per issue as usual.
    private func release() {
        holding = false
        for issue in held { show(issue.description) }
        held = []
    }

    func inputFailed(_ error: InputError, discarded: Bool) {
        if holding { release() }
        report.inputFailed(error, discarded: discarded)
        clearProgress()
        Diagnostics.line(error.description + (discarded ? " (nothing from this file was applied)" : ""))
    }

    func inputRolledBack(_ input: String) { report.inputRolledBack(input) }

    func inputFinished(_ input: String, counts: RunCounts) {
        report.inputFinished(input, counts: counts)
        clearProgress()
        // Only where columns are to blame (a CSV import says what to run);
        // an API page whose records all lack a field gets its rows' errors.
        if holding, rejectedRecords >= 2, let suggest = suggestion?(input), let fields = sameMissing, !fields.isEmpty,
            fields.allSatisfy({ !$0.hasPrefix("\u{0}") })
        {
            // Every row fails the same way: the columns, not the rows, are wrong.
            let first = held.first.map { "\($0.origin.file)" } ?? input
            held = []
            holding = false
            Diagnostics.line(
                "\(first): error: [missing_required] all \(rejectedRecords) rows lack \(fields.sorted().joined(separator: ", ")): "
                    + "no column supplies \(fields.count == 1 ? "it" : "them") (see the columns listed above); propose a mapping with: \(suggest)"
            )
        } else if holding {
            release()
        }
    }

    func progress(input: String, records: Int) {
        showProgress(input: input, records: records, bytes: nil, total: nil)
    }

    func progress(input: String, records: Int, bytes: Int, of total: Int) {
        showProgress(input: input, records: records, bytes: bytes, total: total)
    }

    /// On a terminal only, at most twice a second, on one line rewritten in place.
    private func showProgress(input: String, records: Int, bytes: Int?, total: Int?) {
        guard Diagnostics.isTerminal, !Diagnostics.quiet else { return }
        let now = Date()
        guard now.timeIntervalSince(lastProgress) >= 0.5 else { return }
        lastProgress = now
        progressShown = true
        let line = ProgressText.line(
            input: input, records: records, bytes: bytes, of: total,
            elapsed: now.timeIntervalSince(inputStartedAt))
        Diagnostics.write("\r\u{1B}[K  " + TerminalText.safe(line))
    }

    func finish() {
        clearProgress()
        if hiddenRejects > 0 {
            Diagnostics.line("… and \(hiddenRejects) more rejects; the report and the rejects table list them all")
        }
    }

    private func show(_ line: String) {
        clearProgress()
        if shownRejects < Self.rejectLimit {
            shownRejects += 1
            Diagnostics.line(line)
        } else {
            hiddenRejects += 1
        }
    }

    private func clearProgress() {
        if progressShown {
            Diagnostics.write("\r\u{1B}[K")
            progressShown = false
        }
    }
}
