import BackfillCore

enum SyncCommand {
    static func spec(_ connectors: [ConnectorFactory]) -> CommandSpec {
        CommandSpec(
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
                .init(
                    name: "--check", valueName: nil,
                    help: "Validate the config (mappings, glob folders, tokens, store folder) and exit; no request, no write."),
                .init(
                    name: "--wait", valueName: "seconds", help: "If another run holds the store, wait this long for it.", defaultValue: "0"),
                .init(name: "--detailed-exitcode", valueName: nil, help: "With --dry-run: exit 2 when there are changes, 0 when none."),
            ] + ReportDelivery.commandOptions,
            run: { try run($0, connectors: connectors) }
        )
    }

    static func run(_ args: ParsedArguments, connectors: [ConnectorFactory]) throws -> ExitCode {
        let configPath = args.value("--config") ?? "backfill-sync.json"
        let plan = try SyncPlan(configPath: configPath, only: args.values["--connection"], connectors: connectors)
        if args.flag("--check") { return try plan.reportValid() }
        guard let wait = Double(args.value("--wait") ?? "0"), wait >= 0 else {
            throw CommandError.usage("--wait takes seconds (0 or more).")
        }
        let dryRun = args.flag("--dry-run")
        if args.flag("--detailed-exitcode") && !dryRun { throw CommandError.usage("--detailed-exitcode goes with --dry-run.") }

        let location = try StoreLocation(plan.config.storePath, passwordEnvironment: plan.config.storePasswordEnv)
        let report = try ReportDelivery(args, store: location)
        let store =
            try dryRun
            ? StoreOpening.forDryRun(location)
            : StoreOpening.forWriting(
                location, connections: plan.connections.map(\.entry.connectionID), wait: wait, command: "sync --config \(configPath)")
        let observer = CLIObserver(report: report.writer)
        let breakdown = BreakdownObserver(forwardingTo: observer)
        let runner = SyncRunner(
            store: store, mode: dryRun ? .dryRun : .apply, fullRefresh: args.flag("--full-refresh"), observer: breakdown)
        runner.warn = Diagnostics.warning
        let context = SyncContext(dryRun: dryRun) { Diagnostics.line($0) }
        var results: [RunResult] = []
        // A signal or a failing store stops the sync; each connection's run
        // row is closed by the runner, and the report of what committed is written.
        var stop: Error?
        for connection in plan.connections {
            do {
                try Interruption.check()
                let result = try runner.sync(connection, context: context)
                results.append(result)
                if result.stoppedBy != nil { break }
            } catch {
                stop = error
                break
            }
        }
        observer.finish()
        return try report.deliver(
            results, runner: runner, command: "backfill-sync sync", store: location.display, stoppedBy: stop,
            breakdown: breakdown.rows, detailedExitCode: args.flag("--detailed-exitcode"))
    }
}
