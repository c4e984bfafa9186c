import BackfillCore

enum ExportCommand {
    static let spec = CommandSpec(
        name: "export",
        abstract: "Write the canonical records of one type, one per line, in a stable order.",
        discussion: """
            JSON Lines (default): each record's canonical payload plus id, source_system,
            connection_id, source_id, created_at and updated_at; keys sorted, decimals as
            strings, so two exports of the same store are byte-identical.
            CSV: the same fields as columns; nested values as JSON text. Text that a
            spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is
            prefixed with ' (OWASP's advice for CSV injection); decimal and integer fields
            are never touched, so -12.00 stays a number. --raw-cells writes text exactly
            as stored, for programs rather than spreadsheets.

            EXAMPLES:
              backfill-sync export expense
              backfill-sync export vendor_bill --connection acme --format csv > bills.csv
            """,
        arguments: [.init(name: "type", help: "Canonical object type (expense, vendor_bill, …).")],
        options: [
            StoreOpening.option,
            .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["jsonl", "csv"], defaultValue: "jsonl"),
            .init(name: "--connection", valueName: "id", help: "Only records of this connection_id."),
            .init(name: "--source-system", valueName: "name", help: "Only records from this source_system."),
            .init(name: "--include-removed", valueName: nil, help: "Also records marked removed (with removed_at)."),
            .init(
                name: "--raw-cells", valueName: nil,
                help: "CSV: text exactly as stored, without the ' that keeps spreadsheets from running formulas."),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let contract = try ObjectTypeArgument.contract(args.positionals[0])
        let type = contract.objectType
        let store = try StoreOpening.forReading(StoreLocation(args))
        let out = OutputSink.standardOutput()
        let csv = args.value("--format") == "csv"
        let neutralize = !args.flag("--raw-cells")
        let columns =
            ["id", "source_system", "connection_id", "source_id"]
            + contract.fields.map(\.name).filter { !["source_system", "connection_id", "source_id"].contains($0) }
            + ["created_at", "updated_at"] + (args.flag("--include-removed") ? ["removed_at"] : [])
        if csv { out.write(columns.map(CSVText.quote).joined(separator: ",") + "\r\n") }
        try store.exportRecords(
            objectType: type, connectionID: args.value("--connection"),
            sourceSystem: args.value("--source-system"),
            includeRemoved: args.flag("--include-removed")
        ) { record in
            let value = try record.canonicalValue()
            if csv {
                let cells = columns.map { name -> String in
                    guard let v = value[name], !v.isNull else { return "" }
                    if case .string(let s) = v {
                        // Money and numbers are stored as decimal strings: they are numbers, never neutralized.
                        let numeric = [.money, .decimal, .integer].contains(contract.fieldsByName[name]?.type)
                        return CSVText.quote(neutralize && !numeric ? CSVText.neutralized(s) : s)
                    }
                    return CSVText.quote(v.displayText)
                }
                out.write(cells.joined(separator: ",") + "\r\n")
            } else {
                var line = CanonicalJSON.bytes(value)
                line.append(0x0A)
                out.write(line)
            }
        }
        try out.close()
        return .success
    }
}

/// RFC 4180 quoting for CSV output.
enum CSVText {
    /// Text a spreadsheet would evaluate (`=HYPERLINK(…)`, `+cmd|…`, `@SUM`,
    /// or one hidden behind a leading tab or CR) gets a leading `'`, which
    /// spreadsheets show as text and do not display. Only for text fields:
    /// numbers are written from decimal values and are never changed.
    static func neutralized(_ s: String) -> String {
        guard let first = s.utf8.first, "=+-@\t\r".utf8.contains(first) else { return s }
        return "'" + s
    }

    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
