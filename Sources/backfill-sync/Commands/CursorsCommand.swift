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
            StoreOpening.option,
            .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["text", "json"], defaultValue: "text"),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let store = try StoreOpening.forReading(StoreLocation(args))
        let cursors = try store.cursors()
        let out = OutputSink.standardOutput()
        if args.value("--format") == "json" {
            // One JSON document, `[]` when there are none: what `jq` expects.
            let items: [Value] = cursors.map { c in
                .object([
                    "connection": .string(c.connection), "stream": .string(c.stream),
                    "cursor": (try? JSONParser.parse(c.cursor)) ?? .string(c.cursor), "updated_at": .string(c.updatedAt),
                ])
            }
            out.write(CanonicalJSON.bytes(.array(items)) + [0x0A])
        } else if cursors.isEmpty {
            out.write("No cursors yet: run sync first.\n")
        } else {
            let width = max(10, cursors.map { $0.connection.count }.max() ?? 0)
            let streamWidth = max(6, cursors.map { $0.stream.count }.max() ?? 0)
            out.write(
                TerminalText.pad("CONNECTION", width) + "  " + TerminalText.pad("STREAM", streamWidth) + "  "
                    + TerminalText.pad("UPDATED", 24) + "  WHERE IT STANDS\n")
            for c in cursors {
                out.write(
                    TerminalText.escape(
                        TerminalText.pad(c.connection, width) + "  " + TerminalText.pad(c.stream, streamWidth) + "  "
                            + TerminalText.pad(c.updatedAt, 24)
                            + "  " + describe(c.cursor)) + "\n")
            }
        }
        try out.close()
        return .success
    }

    /// A cursor in words: an API resource's page and high-water marks, a
    /// file drop's size and content hash; anything else as its JSON.
    static func describe(_ cursor: String) -> String {
        guard case .object(let o)? = try? JSONParser.parse(cursor) else { return cursor }
        var parts: [String] = []
        if let page = o["next_page"], !page.isNull { parts.append("pass in progress, resumes at page \(page.displayText)") }
        if let pass = o["last_complete_pass_at"]?.stringValue { parts.append("last complete pass \(pass)") }
        if let high = o["max_updated_at"]?.stringValue { parts.append("newest updated_at \(high)") }
        if let size = o["size"] { parts.append("file of \(size.displayText) bytes") }
        if let hash = o["sha256"]?.stringValue { parts.append("sha256 \(hash.prefix(12))…") }
        let known: Set = ["next_page", "last_complete_pass_at", "max_updated_at", "size", "sha256"]
        for (key, value) in o.sorted(by: { $0.key < $1.key }) where !known.contains(key) && !value.isNull {
            parts.append("\(key) \(value.displayText)")
        }
        return parts.isEmpty ? cursor : parts.joined(separator: "; ")
    }
}
