import BackfillCore

enum RunsCommand {
    static let spec = CommandSpec(
        name: "runs",
        abstract: "List past runs, newest first: mode, inputs, counts and status.",
        discussion: """
            A dry run leaves no run row (it writes nothing). Rejected rows of a run are
            in the rejects table: sqlite3 backfill.sqlite 'select * from rejects where run_id = 3'.
            """,
        options: [
            StoreOpening.option,
            .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["text", "json"], defaultValue: "text"),
            .init(name: "--limit", valueName: "n", help: "How many runs to list.", defaultValue: "20"),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        guard let limit = Int(args.value("--limit") ?? "20"), limit > 0 else {
            throw CommandError.usage("--limit takes a positive whole number.")
        }
        let store = try StoreOpening.forReading(StoreLocation(args))
        let runs = try store.runs(limit: limit)
        let out = OutputSink.standardOutput()
        if args.value("--format") == "json" {
            for r in runs {
                let value: Value = .object([
                    "id": .integer(r.id), "mode": .string(r.mode), "connector": .string(r.connector),
                    "connection_id": r.connectionID.map(Value.string) ?? .null,
                    "inputs": (try? JSONParser.parse(r.inputs)) ?? .array([]),
                    "started_at": .string(r.startedAt), "finished_at": r.finishedAt.map(Value.string) ?? .null,
                    "created": .integer(r.counts.created), "updated": .integer(r.counts.updated),
                    "unchanged": .integer(r.counts.unchanged), "failed": .integer(r.counts.failed),
                    "removed": .integer(r.counts.removed),
                    "status": .string(r.status),
                ])
                out.write(CanonicalJSON.bytes(value) + [0x0A])
            }
        } else if runs.isEmpty {
            out.write("No runs yet.\n")
        } else {
            out.write(
                "RUN  STARTED                   MODE    CONNECTOR    CONNECTION  CREATED  UPDATED  UNCHANGED  FAILED  REMOVED  STATUS     INPUTS\n"
            )
            for r in runs {
                let inputs = ((try? JSONParser.parse(r.inputs))?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
                out.write(
                    [
                        TerminalText.pad(String(r.id), 4), TerminalText.pad(r.startedAt, 25), TerminalText.pad(r.mode, 7),
                        TerminalText.pad(r.connector, 12),
                        TerminalText.pad(TerminalText.escape(r.connectionID ?? "-"), 11), TerminalText.pad(String(r.counts.created), 8),
                        TerminalText.pad(String(r.counts.updated), 8),
                        TerminalText.pad(String(r.counts.unchanged), 10), TerminalText.pad(String(r.counts.failed), 7),
                        TerminalText.pad(String(r.counts.removed), 8), TerminalText.pad(r.status, 10), TerminalText.safe(inputs),
                    ]
                    .joined(separator: " ") + "\n")
            }
        }
        try out.close()
        return .success
    }
}
