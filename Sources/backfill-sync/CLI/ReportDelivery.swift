import BackfillCore
import BackfillSQLite

/// A command's report: its target opened, and checked, before any work, so
/// a bad `--report-file` fails before anything is committed; written whole
/// at the end however the run ended, so every run that committed anything
/// has its report.
final class ReportDelivery {
    let writer: ReportWriter
    private let sink: OutputSink

    /// The report options every command that runs the pipeline has.
    static let commandOptions: [CommandSpec.Option] = [
        .init(
            name: "--report", valueName: "format",
            help: "Report format: text and markdown for people, json for scripts, "
                + "html for a page to review or attach to a ticket.", allowed: ReportFormat.allCases.map(\.rawValue), defaultValue: "text"),
        .init(name: "--report-file", valueName: "path", help: "Write the report here instead of standard output."),
        .init(name: "--show-unchanged", valueName: nil, help: "List unchanged records too (text, markdown); else they are only counted."),
        .init(
            name: "--verbose", valueName: nil, help: "Show every field of a created record, not only its date, money, currency and party."),
        .init(
            name: "--quiet", valueName: nil,
            help: "Text report: only the closing counts line; no warnings or progress (errors still shown)."),
    ]

    convenience init(_ args: ParsedArguments, store: StoreLocation) throws(CommandError) {
        let options = ReportOptions(
            showUnchanged: args.flag("--show-unchanged"), verbose: args.flag("--verbose"),
            quiet: args.flag("--quiet"))
        if options.quiet { Diagnostics.quiet = true }
        try self.init(
            format: ReportFormat(rawValue: args.value("--report") ?? "text") ?? .text, options: options,
            file: args.value("--report-file"), store: store)
    }

    init(format: ReportFormat, options: ReportOptions = ReportOptions(), file: String?, store: StoreLocation) throws(CommandError) {
        do {
            // Never written over: what a typo in --report-file must not destroy.
            sink = try file.map { try OutputSink.file($0, protecting: store.files) } ?? .standardOutput()
            writer = try ReportWriter(format: format, options: options)
        } catch {
            throw CommandError.failure(error, store: store.display)
        }
    }

    /// Writes the report of a sync or an import (`results`: one per run it
    /// made), then returns its exit code, or throws what stopped it.
    func deliver(
        _ results: [RunResult], runner: SyncRunner, command: String, store: String, stoppedBy: Error? = nil,
        breakdown: [ReportSummary.BreakdownRow] = [], detailedExitCode: Bool
    ) throws(CommandError) -> ExitCode {
        let counts = results.reduce(RunCounts()) { $0 + $1.counts }
        let stop = stoppedBy ?? results.lazy.compactMap(\.stoppedBy).first
        let status: ImportRun.Status
        if let stop {
            status = .stopped(by: stop)
        } else if results.count == 1 {
            status = results[0].status
        } else {
            status = results.allSatisfy { $0.status == .succeeded } ? .succeeded : .partial
        }
        var summary = ReportSummary(
            mode: runner.mode, status: status, counts: counts, runID: results.last { $0.runID != nil }?.runID,
            store: store, command: command)
        summary.breakdown = breakdown
        summary.notes = runner.notes
        try deliver(summary, stoppedBy: stop.map { CommandError.failure($0, store: store) })
        return ExitCode(
            counts: counts, unreadableInputs: results.contains(where: \.unreadableInputs), failures: runner.failures,
            detailedExitCode: detailedExitCode && runner.mode == .dryRun)
    }

    /// Writes the report of a run, then, if `stop` ended it, throws that with
    /// what of the run stays. The stop wins over a failing report, which is
    /// then only printed.
    func deliver(_ summary: ReportSummary, stoppedBy stop: CommandError?) throws(CommandError) {
        do {
            try deliver(summary)
        } catch {
            guard stop != nil else { throw error }
            Diagnostics.error(error.message)
        }
        if let stop { throw stop.stopping(runID: summary.runID, counts: summary.counts, dryRun: summary.mode == .dryRun) }
    }

    /// Writes the report. A failure here comes after the run committed, so
    /// the message says what did happen.
    private func deliver(_ summary: ReportSummary) throws(CommandError) {
        do {
            try writer.write(summary: summary, to: sink)
            try sink.close()
        } catch {
            sink.discard()
            let failure = CommandError.failure(error, store: summary.store)
            let applied =
                summary.mode == .apply
                ? summary.runID.map { "; the run's changes were applied (run \($0)), only its report is missing" } : nil
            throw CommandError(exitCode: failure.exitCode, message: failure.message + (applied ?? ""))
        }
    }
}

extension CommandError {
    var isInterruption: Bool { exitCode == .interrupted || exitCode == .terminated }

    /// How a run row records a run this error stopped.
    var stoppedStatus: ImportRun.Status { isInterruption ? .interrupted : .failed }

    /// The one line printed for a stopped run: what stopped it and what of
    /// it stays.
    func stopping(runID: Int?, counts: RunCounts, dryRun: Bool) -> CommandError {
        guard !dryRun else { return self }
        let kept =
            runID.map {
                "; run \($0) was closed as \(stoppedStatus.rawValue): \(counts.created) created, \(counts.updated) updated, "
                    + "\(counts.removed) removed were committed, the input in flight was rolled back"
            } ?? "; nothing was committed"
        return CommandError(exitCode: exitCode, message: message + kept)
    }
}
