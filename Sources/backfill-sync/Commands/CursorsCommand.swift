import BackfillCore

enum CursorsCommand {
    static let spec = CommandSpec(
        name: "cursors",
        abstract: "Show the sync cursors: where each connection's resources and file drops stand.",
        discussion: """
          An API resource's cursor holds next_page (an unfinished pass resumes there),
          max_updated_at and last_complete_pass_at; a file drop's holds the file's size
          and SHA-256. sync --full-refresh ignores them.
          """,
        options: [
            .init(name: "--db", valueName: "path", help: "The SQLite store.", defaultValue: StoreOpening.defaultPath),
            .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["text", "json"], defaultValue: "text"),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let store = try StoreOpening.forReading(args.value("--db") ?? StoreOpening.defaultPath)
        let out = OutputSink.standardOutput()
        let s = try store.database.statement("SELECT connection, stream, cursor, updated_at FROM sync_cursors ORDER BY connection, stream")
        var any = false
        while try s.step() {
            any = true
            let (connection, stream, cursor, updated) = (s.text(0) ?? "", s.text(1) ?? "", s.text(2) ?? "", s.text(3) ?? "")
            if args.value("--format") == "json" {
                let value: Value = .object(["connection": .string(connection), "stream": .string(stream),
                                            "cursor": (try? JSONParser.parse(cursor)) ?? .string(cursor), "updated_at": .string(updated)])
                out.write(CanonicalJSON.bytes(value) + [0x0A])
            } else {
                out.write(TerminalText.escape("\(connection)  \(stream)  \(cursor)  (updated \(updated))") + "\n")
            }
        }
        if !any && args.value("--format") != "json" { out.write("No cursors yet: run sync first.\n") }
        try out.close()
        return .success
    }
}
