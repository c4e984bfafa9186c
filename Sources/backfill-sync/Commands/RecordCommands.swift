import BackfillCore

/// `show` and `history`: one record as the store holds it, found by its
/// type and source id (the identity a provider knows), without SQL.
enum RecordCommands {
    static let findOptions: [CommandSpec.Option] = [
        .init(name: "--connection", valueName: "id", help: "The record's connection_id, when the source id exists under several."),
        .init(name: "--source-system", valueName: "name", help: "The record's source_system (csv_upload, layer, backfill), likewise."),
        StoreOpening.option,
        .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["text", "json"], defaultValue: "text"),
    ]
    static let findArguments: [CommandSpec.Argument] = [
        .init(name: "type", help: "Canonical object type (expense, vendor_bill, …)."),
        .init(name: "source-id", help: "The record's source_id."),
    ]

    static let show = CommandSpec(
        name: "show",
        abstract: "Show one record as stored: its canonical fields, id, version and where it came from.",
        discussion: """
            JSON is the record as export writes it. A removed record is shown too, with removed_at.

            EXAMPLES:
              backfill-sync show expense exp-1005 --connection acme
              backfill-sync show vendor_bill B-1 --format json | jq .lines
            """,
        arguments: findArguments, options: findOptions, run: runShow)

    static let history = CommandSpec(
        name: "history",
        abstract: "Show every version of one record: its run, time, origin and the fields each changed.",
        discussion: """
            Version 1 is the import that created the record; each later version says which
            run wrote it, from which file and line (or page), and each field from → to.

            EXAMPLE:
              backfill-sync history expense exp-1005 --connection acme
            """,
        arguments: findArguments, options: findOptions, run: runHistory)

    /// The one record the arguments name; several matches ask for more.
    private static func find(_ args: ParsedArguments) throws -> (RecordHistory, ObjectContract) {
        let contract = try ObjectTypeArgument.contract(args.positionals[0])
        let sourceID = args.positionals[1]
        let location = try StoreLocation(args)
        let store = try StoreOpening.forReading(location)
        let found = try store.histories(
            objectType: contract.objectType, sourceID: sourceID, connectionID: args.value("--connection"),
            sourceSystem: args.value("--source-system"))
        guard let first = found.first else {
            throw CommandError(
                exitCode: .noInput,
                message: "\(location.display): no \(contract.objectType) with source_id '\(Excerpt(sourceID))'"
                    + (args.value("--connection").map { " in connection '\($0)'" } ?? ""))
        }
        guard found.count == 1 else {
            let which = found.map {
                "\($0.identity.sourceSystem)/\($0.identity.connectionID.isEmpty ? "(none)" : $0.identity.connectionID)"
            }
            throw CommandError.usage(
                "\(found.count) records of \(contract.objectType) '\(Excerpt(sourceID))' (source_system/connection: "
                    + "\(which.joined(separator: ", "))); choose one with --connection or --source-system")
        }
        return (first, contract)
    }

    static func runShow(_ args: ParsedArguments) throws -> ExitCode {
        let (record, _) = try find(args)
        let current = record.current
        let value = try record.exported.canonicalValue()
        let out = OutputSink.standardOutput()
        if args.value("--format") == "json" {
            out.write(CanonicalJSON.bytes(value) + [0x0A])
        } else {
            out.write(TerminalText.escape(heading(record)) + "\n")
            out.write(
                "  version \(current.version), written by run \(current.runID) at \(current.writtenAt)"
                    + (current.origin.map { " from \(TerminalText.escape($0))" } ?? "") + "\n")
            if let removed = current.removedAt { out.write("  marked removed at \(removed); its history is kept\n") }
            out.write("\n")
            for leaf in Differ().leaves(of: value) {
                out.write(TerminalText.escape("  \(leaf.path): \(leaf.value.quotedText)") + "\n")
            }
        }
        try out.close()
        return .success
    }

    static func runHistory(_ args: ParsedArguments) throws -> ExitCode {
        let (record, contract) = try find(args)
        let out = OutputSink.standardOutput()
        var previous: Value?
        var items: [Value] = []
        let json = args.value("--format") == "json"
        if !json { out.write(TerminalText.escape(heading(record)) + "\n\n") }
        for v in record.versions {
            let payload = (try? JSONParser.parse(v.payload)) ?? .object([:])
            let changes: [FieldChange]
            let what: String
            if let previous {
                changes = Differ().fieldChanges(from: previous, to: payload)
                what = v.removedAt != nil ? "marked removed" : previous == payload ? "restored (it had been removed)" : "updated"
            } else {
                // What a new record is, not all its fields: `show` has those.
                changes = Differ().leaves(of: payload).filter { contract.keyFields.contains($0.path) }
                    .map { FieldChange(path: $0.path, from: nil, to: $0.value) }
                what = "created"
            }
            let created = previous == nil
            previous = payload
            if json {
                items.append(
                    .object([
                        "version": .integer(v.version), "run_id": .integer(v.runID), "written_at": .string(v.writtenAt),
                        "origin": v.origin.map(Value.string) ?? .null, "action": .string(what),
                        "fields": FieldChange.json(changes),
                    ]))
                continue
            }
            out.write(TerminalText.escape("v\(v.version)  \(v.writtenAt)  run \(v.runID)  \(v.origin ?? "-")  \(what)") + "\n")
            for f in changes {
                let line = created ? "\(f.path): \(f.to.map(\.quotedText) ?? "")" : f.text
                out.write(TerminalText.escape("      " + line) + "\n")
            }
        }
        if json { out.write(CanonicalJSON.bytes(.array(items)) + [0x0A]) }
        try out.close()
        return .success
    }

    private static func heading(_ r: RecordHistory) -> String { r.identity.label(id: r.id) }
}
