import BackfillCore
import CSVUpload

enum RejectsCommand {
    static let spec = CommandSpec(
        name: "rejects",
        abstract: "List the rejects of a run, or write them as a CSV file to fix and import again.",
        discussion: """
            Without --run, the newest run that has rejects. Text lists each with file:line,
            source_id, field, code and message, and the row as read. JSON is an array of
            {run_id, file, line, json_path, source_id, field, code, message, raw}.

            CSV writes the rejected rows of one CSV file back out: the file's own preamble
            and header, then each rejected row exactly as read, with four columns added at
            the end (backfill_error_line, _field, _code, _message). Fix the rows and import
            the file with the same command: the importer leaves backfill_error_* columns
            out. The file is UTF-8 with the original delimiter; for a mapping that names
            another encoding, add --encoding utf-8 when importing it.

            EXAMPLES:
              backfill-sync rejects
              backfill-sync rejects --run 3 --format csv > fix.csv
              sed -i 's/2026-02-30/2026-02-28/' fix.csv && backfill-sync import csv fix.csv --object expense --connection acme
            """,
        options: [
            StoreOpening.option,
            .init(name: "--run", valueName: "id", help: "The run whose rejects to show (default: the newest run with rejects)."),
            .init(name: "--format", valueName: "format", help: "Output format.", allowed: ["text", "json", "csv"], defaultValue: "text"),
            .init(name: "--file", valueName: "path", help: "CSV: the input file of the run to write (needed when the run read several)."),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        var runID: Int?
        if let text = args.value("--run") {
            guard let id = Int(text), id > 0 else {
                throw CommandError.usage("--run takes a run number (see backfill-sync runs), not '\(Excerpt(text))'.")
            }
            runID = id
        }
        let location = try StoreLocation(args)
        let store = try StoreOpening.forReading(location)
        if let runID, try !store.hasRun(runID) {
            throw CommandError.usage("\(location.display): there is no run \(runID); see backfill-sync runs")
        }
        let (run, rejects) = try store.rejects(runID: runID)
        let out = OutputSink.standardOutput()
        switch args.value("--format") {
        case "json":
            let items: [Value] = rejects.map { r in
                .object([
                    "run_id": .integer(r.runID), "file": .string(r.issue.origin.file),
                    "line": r.issue.origin.line.map(Value.integer) ?? .null,
                    "json_path": r.issue.origin.jsonPath.map(Value.string) ?? .null,
                    "source_id": r.issue.sourceID.map(Value.string) ?? .null, "field": r.issue.field.map(Value.string) ?? .null,
                    "code": .string(r.issue.code.rawValue), "message": .string(r.issue.message), "raw": r.raw.map(Value.string) ?? .null,
                ])
            }
            out.write(CanonicalJSON.bytes(.array(items)) + [0x0A])
        case "csv":
            out.write(try csv(rejects, run: run, file: args.value("--file"), store: location.display))
        default:
            guard let run, !rejects.isEmpty else {
                out.write(runID.map { "Run \($0) has no rejects.\n" } ?? "No rejects: every run so far applied all it read.\n")
                break
            }
            out.write("Run \(run): \(rejects.count) reject(s)\n\n")
            for r in rejects {
                out.write(TerminalText.safe(r.issue.description) + "\n")
                if let raw = r.raw, !raw.isEmpty { out.write("    row: " + TerminalText.escape(raw) + "\n") }
            }
        }
        try out.close()
        return .success
    }

    /// One input's rejected rows as a CSV file: rejects of one record (one
    /// row, or one document's rows) are grouped, file-level errors have no
    /// row to write and are left out with a warning.
    private static func csv(_ rejects: [StoredReject], run: Int?, file: String?, store: String) throws -> String {
        guard let run else {
            // Nothing to fix is not a failure: an empty file, and a word why.
            Diagnostics.warning("\(store): no run has rejects; nothing to write")
            return ""
        }
        let files = rejects.reduce(into: [String]()) { if !$0.contains($1.issue.origin.file) { $0.append($1.issue.origin.file) } }
        let chosen: String
        if let file {
            guard files.contains(file) else {
                throw CommandError.usage(
                    "run \(run) has no rejects from '\(file)'; its rejects come from: \(files.joined(separator: ", "))")
            }
            chosen = file
        } else {
            guard files.count == 1 else {
                throw CommandError.usage(
                    "run \(run) has rejects from \(files.count) files (\(files.joined(separator: ", "))); "
                        + "a CSV holds one: choose it with --file")
            }
            chosen = files[0]
        }
        let mine = rejects.filter { $0.issue.origin.file == chosen }
        var records: [CSVRejectFile.Record] = []
        var grouped: [String: Int] = [:]
        var rowless = 0
        for r in mine {
            guard let raw = r.raw else {
                rowless += 1
                continue
            }
            let key = "\(r.issue.origin.line ?? 0)\u{0}\(raw)"
            if let at = grouped[key] {
                records[at] = CSVRejectFile.Record(raw: raw, issues: records[at].issues + [r.issue])
            } else {
                grouped[key] = records.count
                records.append(CSVRejectFile.Record(raw: raw, issues: [r.issue]))
            }
        }
        if rowless > 0 {
            Diagnostics.warning(
                "\(chosen): \(rowless) reject(s) of the file as a whole have no row to write; see backfill-sync rejects --run \(run)")
        }
        do {
            return try CSVRejectFile.render(inputHeader: mine.first { $0.inputHeader != nil }?.inputHeader, records: records)
        } catch {
            throw CommandError.usage("run \(run), \(chosen): \(error)")
        }
    }
}
