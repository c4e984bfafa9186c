import Foundation
import BackfillCore

/// The options every import shares, and the one way an import runs: open the
/// store, run each input through the pipeline, write the report, choose the
/// exit code. Connectors differ only in how an input becomes a record stream.
struct ImportOptions {
    static let common: [CommandSpec.Option] = [
        .init(name: "--db", valueName: "path", help: "The SQLite store.", defaultValue: StoreOpening.defaultPath),
        .init(name: "--dry-run", valueName: nil, help: "Plan and report every change; write nothing, not even a run row."),
        .init(name: "--strict", valueName: nil, help: "Apply nothing if anything is rejected."),
        .init(name: "--detailed-exitcode", valueName: nil, help: "With --dry-run: exit 2 when there are changes, 0 when none."),
        .init(name: "--wait", valueName: "seconds", help: "If another run holds the store, wait this long for it (then exit 75).",
              defaultValue: "0"),
        .init(name: "--max-field-mib", valueName: "MiB", help: "Largest CSV field or JSON string accepted (a larger one fails the file).",
              defaultValue: "16"),
        .init(name: "--max-record-mib", valueName: "MiB", help: "Largest CSV row or JSON array element (one bill) accepted.",
              defaultValue: "32"),
    ] + ReportDelivery.commandOptions

    /// The limits `--max-field-mib` and `--max-record-mib` set, checked.
    static func limits(_ args: ParsedArguments) throws -> InputLimits {
        var limits = InputLimits.standard
        for (option, keyPath) in [("--max-field-mib", \InputLimits.maxFieldBytes), ("--max-record-mib", \InputLimits.maxRecordBytes)] {
            guard let text = args.value(option) else { continue }
            guard let mib = Int(text), mib >= 1, mib <= 4096 else {
                throw CommandError.usage("\(option) takes a whole number of MiB from 1 to 4096, not '\(Excerpt(text))'.")
            }
            limits[keyPath: keyPath] = mib << 20
        }
        return limits
    }

    let dbPath: String
    let dryRun: Bool
    let strict: Bool
    let args: ParsedArguments
    let detailedExitCode: Bool
    let wait: Double

    init(_ args: ParsedArguments) throws {
        guard let wait = Double(args.value("--wait") ?? "0"), wait >= 0, wait <= 86400 else {
            throw CommandError.usage("--wait takes seconds, from 0 to 86400.")
        }
        self.wait = wait
        dbPath = args.value("--db") ?? StoreOpening.defaultPath
        dryRun = args.flag("--dry-run")
        strict = args.flag("--strict")
        self.args = args
        detailedExitCode = args.flag("--detailed-exitcode")
    }

    func run(command: String, connector: String, connectionID: String?, inputs: [String], normalizer: Normalizer,
             suggestion: ((String) -> String?)? = nil, process: (ImportRun, String) throws -> [String]) throws -> ExitCode {
        if detailedExitCode && !dryRun {
            throw CommandError.usage("--detailed-exitcode goes with --dry-run.")
        }
        // The report target first: a bad --report-file fails before any work.
        let report = try ReportDelivery(args, store: dbPath)
        // A file named twice (an overlapping glob) is imported once: its second
        // pass would otherwise reject every row as a duplicate of itself.
        var unique: [String] = []
        for input in inputs where !unique.contains(input) { unique.append(input) }
        if unique.count < inputs.count {
            Diagnostics.warning("\(inputs.count - unique.count) file(s) named more than once; each is imported once")
        }
        let inputs = unique
        let store = try dryRun ? StoreOpening.forDryRun(dbPath) : StoreOpening.forWriting(dbPath, wait: wait, command: command)
        let observer = CLIObserver(report: report.writer)
        observer.suggestion = suggestion
        let run: ImportRun
        do {
            run = try ImportRun(store: store, mode: dryRun ? .dryRun : .apply, strict: strict, connector: connector,
                                connectionID: connectionID, inputs: inputs, normalizer: normalizer, observer: observer)
        } catch {
            throw CommandError.failure(error, store: dbPath)
        }
        // Whatever stops the run midway (a signal, the store failing) still
        // closes its run row and writes its report of what was committed.
        var stop: CommandError?
        // What each input says about itself (columns kept only as metadata,
        // mapping columns it lacks, rows skipped): on stderr and in the report.
        var notes: [String] = []
        do {
            for input in inputs {
                try Interruption.check()
                do {
                    notes += try process(run, input)
                } catch let error as InputError {
                    try run.inputFailedToOpen(error)
                }
            }
        } catch {
            stop = CommandError.failure(error, store: dbPath)
        }
        let status: ImportRun.Status
        do {
            status = try run.finish(stopped: stop?.stoppedStatus)
        } catch {
            // Not even the run row could be written (the store is busy or
            // full): the next run that takes the lock marks it interrupted.
            stop = stop ?? CommandError.failure(error, store: dbPath)
            status = stop!.stoppedStatus
        }
        observer.finish()
        var summary = ReportSummary(mode: run.mode, status: status, counts: run.counts, runID: run.runID,
                                    store: dbPath, command: "backfill-sync \(command)")
        summary.notes = notes
        try report.deliver(summary, stoppedBy: stop)

        if run.inputErrors.contains(where: { $0.kind == .unreadable }) { return .noInput }
        if run.counts.failed > 0 { return .dataError }
        if dryRun && detailedExitCode && run.counts.changes > 0 { return .changesPresent }
        return .success
    }
}
