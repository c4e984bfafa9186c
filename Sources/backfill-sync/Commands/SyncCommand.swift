import Foundation
import BackfillCore
import BackfillAPI
import CSVUpload
import LayerBills

/// A config checked as a whole before any work: the tokens from the
/// environment and the mappings, loaded once.
struct SyncPlan {
    var tokens: [String: String] = [:]
    var mappings: [String: CSVMapping] = [:]

    init(_ config: SyncConfig, connections: [SyncConfig.Connection], configPath: String) throws(CommandError) {
        var problems: [String] = []
        for c in connections {
            switch c.connector {
            case .backfillAPI:
                // A missing token names the variable, never a value.
                let variable = c.tokenEnv ?? ""
                guard let token = ProcessInfo.processInfo.environment[variable], !token.isEmpty else {
                    problems.append("\(configPath): \(c.keyPath).token_env: the environment variable \(variable) is not set")
                    continue
                }
                tokens[c.name] = token
                Secrets.register(token)
            case .csvUpload, .layerBills:
                if let path = c.mapping {
                    do { mappings[c.name] = try CSVMapping.load(path: path) } catch {
                        problems.append("\(configPath): \(c.keyPath).mapping: \(error)")
                    }
                }
                let folder = Self.fixedFolder(of: c.glob ?? "")
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
                    problems.append("\(configPath): \(c.keyPath).glob: the folder \(folder) does not exist")
                }
            }
        }
        let storeFolder = URL(fileURLWithPath: config.storePath).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: storeFolder) {
            problems.append("\(configPath): store.path: the folder \(storeFolder) does not exist")
        }
        guard let last = problems.popLast() else { return }
        for problem in problems { Diagnostics.error(problem) }
        throw .usage(last)
    }

    /// The part of a glob before its first wildcard's folder: `drops/bank/*.csv` → `drops/bank`.
    static func fixedFolder(of glob: String) -> String {
        let parts = glob.split(separator: "/", omittingEmptySubsequences: false)
        let fixed = parts.prefix { !$0.contains(where: { "*?[".contains($0) }) }
        let folder = fixed.count == parts.count ? parts.dropLast() : fixed
        let joined = folder.joined(separator: "/")
        return joined.isEmpty ? (glob.hasPrefix("/") ? "/" : ".") : joined
    }
}

enum SyncCommand {
    static let spec = CommandSpec(
        name: "sync",
        abstract: "Pull every configured connection: Backfill API resources and file drops. Made for cron.",
        discussion: """
          Reads the config (see config.example.json). For each backfill_api connection it
          pages through GET /v1/<resource>?limit=&page= for each of its objects; each
          page's records and the cursor move commit in one transaction, so a run killed
          at any instant resumes where it stopped. For csv_upload and layer_bills
          connections it imports each file the glob matches once per content (path, size
          and SHA-256 are remembered); a changed file is re-imported, idempotently.

          Tokens come from the environment variable each connection names (token_env);
          they never appear in output, reports or the store. Only one run writes a store
          at a time: a second exits 75 naming the first, or waits with --wait.

          EXIT CODES: 0 all done; 65 some records or files rejected (the rest applied);
          75 temporary (store locked; a resource still failing after retries or past
          resource_deadline_seconds: its complete pages are committed and the next run
          resumes); 64 config error, credentials refused or a redirect; 73/74/77
          read-only file system / disk full or I/O error / permission denied; 143
          SIGTERM (run rows recorded as interrupted); 70 internal error. With
          --dry-run --detailed-exitcode: 2 when there are changes.

          CRON:
            */10 * * * * BACKFILL_TOKEN=… backfill-sync sync --config /etc/backfill-sync.json --report json --report-file /var/log/backfill-sync/last.json
          """,
        options: [
            .init(name: "--config", valueName: "path", help: "The sync config file.", defaultValue: "backfill-sync.json"),
            .init(name: "--connection", valueName: "name", help: "Only this connection (repeatable).", repeatable: true),
            .init(name: "--dry-run", valueName: nil, help: "Pull and diff, write nothing (no records, no cursors, no run rows)."),
            .init(name: "--full-refresh", valueName: nil, help: "Ignore cursors: read every page and every file again."),
            .init(name: "--check", valueName: nil, help: "Validate the config (mappings, glob folders, tokens, store folder) and exit; no request, no write."),
            .init(name: "--wait", valueName: "seconds", help: "If another run holds the store, wait this long for it.", defaultValue: "0"),
            .init(name: "--detailed-exitcode", valueName: nil, help: "With --dry-run: exit 2 when there are changes, 0 when none."),
        ] + ReportDelivery.commandOptions,
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let configPath = args.value("--config") ?? "backfill-sync.json"
        let config: SyncConfig
        do { config = try SyncConfig.load(path: configPath) } catch {
            guard error.isMissing else { throw CommandError.usage(error.description) }
            throw CommandError.usage("\(configPath): the config file is missing. Name one with --config PATH, or start from "
                + "the example: cp config.example.json \(configPath)")
        }
        for warning in config.warnings { Diagnostics.warning(warning) }

        var selected = config.connections
        if let names = args.values["--connection"] {
            for name in names where !config.connections.contains(where: { $0.name == name }) {
                let hint = CommandLineParser.closest(name, in: config.connections.map(\.name)).map { " Did you mean '\($0)'?" } ?? ""
                throw CommandError.usage("\(configPath): no connection named '\(name)'.\(hint)")
            }
            selected = config.connections.filter { names.contains($0.name) }
        }
        // The whole config is checked before any request or any write, and
        // every problem is named at once: a cron job should fail in a
        // second, not after minutes of pulls.
        let plan = try SyncPlan(config, connections: selected, configPath: configPath)
        if args.flag("--check") {
            let out = OutputSink.standardOutput()
            out.write("\(configPath): the config is valid: \(selected.count) connection(s), "
                + selected.map { "\($0.name) (\($0.connector.rawValue))" }.joined(separator: ", ")
                + "; store \(config.storePath). Nothing was pulled.\n")
            try out.close()
            return .success
        }
        guard let wait = Double(args.value("--wait") ?? "0"), wait >= 0 else { throw CommandError.usage("--wait takes seconds (0 or more).") }
        let dryRun = args.flag("--dry-run")
        if args.flag("--detailed-exitcode") && !dryRun { throw CommandError.usage("--detailed-exitcode goes with --dry-run.") }

        let report = try ReportDelivery(args, store: config.storePath)
        let store = try dryRun ? StoreOpening.forDryRun(config.storePath)
            : StoreOpening.forWriting(config.storePath, wait: wait, command: "sync --config \(configPath)")
        let observer = BreakdownObserver(forwardingTo: CLIObserver(report: report.writer))
        let sync = ConnectionSync(store: store, dryRun: dryRun, fullRefresh: args.flag("--full-refresh"), observer: observer)

        var totals = RunCounts()
        var status = ImportRun.Status.succeeded
        var lastRunID: Int?
        var failedConnections = 0
        // A signal or a failing store stops the sync; each connection's run
        // row is closed by `sync`, and the report of what committed is written.
        var stop: CommandError?
        for connection in selected {
            do {
                try Interruption.check()
                let run = try sync.sync(connection, token: plan.tokens[connection.name], mapping: plan.mappings[connection.name])
                totals = totals + run.counts
                lastRunID = run.runID ?? lastRunID
                if run.status != .succeeded { status = .partial }
            } catch let error as CommandError where error.exitCode == .usage {
                throw error
            } catch {
                let failure = CommandError.failure(error, store: config.storePath)
                if failure.exitCode != .internalError || ConnectionSync.stopsTheSync(error) {
                    stop = failure
                    totals = totals + sync.stoppedRun.counts
                    lastRunID = sync.stoppedRun.runID ?? lastRunID
                    status = failure.stoppedStatus
                    break
                }
                // One connection failing never stops the others, and the report is still written.
                failedConnections += 1
                status = .partial
                Diagnostics.error("connection '\(connection.name)' stopped: \(CommandError.text(of: error))")
            }
        }
        observer.forwarded.finish()
        var summary = ReportSummary(mode: dryRun ? .dryRun : .apply, status: status, counts: totals, runID: lastRunID,
                                    store: config.storePath, command: "backfill-sync sync")
        summary.breakdown = observer.rows
        summary.notes = sync.notes
        try report.deliver(summary, stoppedBy: stop)

        // Precedence (README, "Exit codes"): a failure of the tool first, then
        // what needs a person (config, token), then what the next run retries,
        // then rejected data.
        if failedConnections > 0 || sync.internalFailures > 0 { return .internalError }
        if sync.authFailures > 0 || sync.refusedRequests > 0 { return .usage }
        if sync.temporaryFailures > 0 { return .temporaryFailure }
        if totals.failed > 0 { return .dataError }
        if dryRun && args.flag("--detailed-exitcode") && totals.changes > 0 { return .changesPresent }
        return .success
    }
}

/// Counts changes per (connection, object type) on their way to the report.
final class BreakdownObserver: RunObserver {
    let forwarded: CLIObserver
    var connection = ""
    /// The object type rejects are counted under (their type is not known
    /// when a record fails before normalization).
    var stream = ""
    private var counts: [String: [String: RunCounts]] = [:]
    private var order: [(String, String)] = []

    init(forwardingTo observer: CLIObserver) { forwarded = observer }

    var rows: [ReportSummary.BreakdownRow] {
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

    func inputStarted(_ input: String) {
        mark = (counts, order.count)
        forwarded.inputStarted(input)
    }
    func inputRolledBack(_ input: String) {
        counts = mark.counts
        order.removeLast(order.count - mark.order)
        forwarded.inputRolledBack(input)
    }
    func recordProcessed(_ change: RecordChange) {
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
    func recordRejected(_ issues: [RecordIssue], rawText: String) {
        bump(stream) { $0.failed += 1 }
        forwarded.recordRejected(issues, rawText: rawText)
    }
    func inputFailed(_ error: InputError, discarded: Bool) {
        bump(stream) { $0.failed += 1 }
        forwarded.inputFailed(error, discarded: discarded)
    }
    func inputFinished(_ input: String, counts: RunCounts) { forwarded.inputFinished(input, counts: counts) }
    func progress(input: String, records: Int) { forwarded.progress(input: input, records: records) }
    func progress(input: String, records: Int, bytes: Int, of total: Int) {
        forwarded.progress(input: input, records: records, bytes: bytes, of: total)
    }
}
