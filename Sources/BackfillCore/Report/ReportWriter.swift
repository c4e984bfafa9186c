import Foundation

/// How much a report lists. A report reads like a plan: what would change
/// is listed, what stays the same is counted.
public struct ReportOptions: Sendable {
    /// List unchanged records too (`= same` lines).
    public var showUnchanged = false
    /// Show every field of a created record, not only its key fields.
    public var verbose = false
    /// Text: only the closing counts line (errors still go to stderr).
    public var quiet = false
    public init(showUnchanged: Bool = false, verbose: Bool = false, quiet: Bool = false) {
        self.showUnchanged = showUnchanged
        self.verbose = verbose
        self.quiet = quiet
    }
}

/// Builds a run's report as the run goes: every change and every reject,
/// spooled to temporary files and assembled at the end, in text, JSON,
/// Markdown or HTML.
///
/// JSON shape (`format_version` 1):
/// `{"format_version":1,"mode":"dry_run","status":…,"summary":{created,updated,unchanged,failed,removed},
///   "changes":[{"action","object","source_system","connection_id","source_id","id","origin","fields":{path:{"from","to"}}}],
///   "errors":[{"file","line","json_path","source_id","field","code","message"}], "run_id":…,"store":…}`.
/// Every format lists creates, updates, removals and rejects; unchanged
/// records are counted, and listed only in text and Markdown with
/// `ReportOptions.showUnchanged`.
public final class ReportWriter: RunObserver {
    public let format: ReportFormat
    public let options: ReportOptions
    let catalog: ContractCatalog
    /// Text, JSON, Markdown: every listed change in input order. HTML: creates.
    let changes: SpoolFile
    /// HTML only: one section each, one row per line.
    let updates: SpoolFile
    let removals: SpoolFile
    let errors: SpoolFile
    /// What has been listed so far, and the money it moves: rolled back with
    /// an input that never happened.
    struct Tally {
        var changes = 0, updates = 0, removals = 0, errors = 0
        var money = CurrencyTotals()
    }
    var tally = Tally()
    /// Where the current input started: the tally and each spool's size.
    private var inputMark = (tally: Tally(), sizes: (changes: 0, updates: 0, removals: 0, errors: 0))

    public init(format: ReportFormat, options: ReportOptions = ReportOptions(), catalog: ContractCatalog = .standard) throws(IOFailure) {
        self.format = format
        self.options = options
        self.catalog = catalog
        self.changes = try SpoolFile()
        self.updates = try SpoolFile()
        self.removals = try SpoolFile()
        self.errors = try SpoolFile()
    }

    // MARK: RunObserver

    public func inputStarted(_ input: String) {
        inputMark = (tally, (changes.size, updates.size, removals.size, errors.size))
    }

    public func recordProcessed(_ change: RecordChange) {
        if change.action == .unchanged && !(options.showUnchanged && (format == .text || format == .markdown)) { return }
        switch format {
        case .json:
            if tally.changes > 0 { changes.append(",\n") }
            changes.append(jsonChange(change))
        case .text:
            if !options.quiet { changes.append(textChange(change)) }
        case .markdown:
            changes.append(markdownChange(change))
        case .html:
            tally.money.add(change, catalog: catalog)
            switch change.action {
            case .create: changes.append(htmlChange(change))
            case .update:
                updates.append(htmlChange(change))
                tally.updates += 1
            case .remove:
                removals.append(htmlChange(change))
                tally.removals += 1
            case .unchanged: return
            }
        }
        tally.changes += 1
    }

    public func recordRejected(_ issues: [RecordIssue], rawText: String) {
        for issue in issues { appendError(issue, raw: rawText) }
    }

    public func inputFailed(_ error: InputError, discarded: Bool) {
        if discarded { inputRolledBack("") }
        appendError(error.asIssue, raw: "")
    }

    /// What the input planned never happened: its changes and rejects leave the report.
    public func inputRolledBack(_ input: String) {
        let sizes = inputMark.sizes
        changes.truncate(to: sizes.changes)
        updates.truncate(to: sizes.updates)
        removals.truncate(to: sizes.removals)
        errors.truncate(to: sizes.errors)
        tally = inputMark.tally
    }

    public func inputFinished(_ input: String, counts: RunCounts) {}
    public func progress(input: String, records: Int) {}

    private func appendError(_ issue: RecordIssue, raw: String) {
        switch format {
        case .json:
            if tally.errors > 0 { errors.append(",\n") }
            var o: [(String, Value)] = [("file", .string(issue.origin.file))]
            o.append(("line", issue.origin.line.map(Value.integer) ?? .null))
            if let path = issue.origin.jsonPath { o.append(("json_path", .string(path))) }
            o += [
                ("source_id", issue.sourceID.map(Value.string) ?? .null), ("field", issue.field.map(Value.string) ?? .null),
                ("code", .string(issue.code.rawValue)), ("message", .string(Secrets.redact(issue.message))),
            ]
            errors.append("    " + orderedObject(o))
        case .text:
            if !options.quiet { errors.append("! reject  \(TerminalText.safe(issue.description))\n") }
        case .markdown:
            errors.append(
                "| \(md(issue.origin.description)) | \(md(issue.sourceID ?? "")) | \(md(issue.field ?? "")) | `\(issue.code.rawValue)` | \(md(issue.message)) |\n"
            )
        case .html:
            errors.append(htmlReject(issue, raw: raw))
        }
        tally.errors += 1
    }

    // MARK: Rendering one change

    /// One change as a line of the JSON report, written straight into bytes
    /// with its keys in reading order: a first import writes one per record,
    /// on the store's thread, so no intermediate pairs, values or strings.
    private func jsonChange(_ c: RecordChange) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func member(_ key: StaticString, _ value: String?) {
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            if let value { CanonicalJSON.writeString(value, into: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        member("    {\"action\": ", c.action.rawValue)
        member(", \"object\": ", c.identity.objectType)
        member(", \"source_system\": ", c.identity.sourceSystem)
        member(", \"connection_id\": ", c.identity.connectionID.isEmpty ? nil : c.identity.connectionID)
        member(", \"source_id\": ", c.identity.sourceID)
        member(", \"id\": ", c.id)
        member(", \"origin\": ", c.origin.description)
        if c.action == .update || c.action == .remove {
            out.append(contentsOf: ", \"fields\": ".utf8)
            CanonicalJSON.write(FieldChange.json(c.fields), into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private func textChange(_ c: RecordChange) -> String {
        let who = TerminalText.escape("\(c.identity.label(id: c.id))  \(c.origin)")
        switch c.action {
        case .create: return "+ create  \(who)\n" + createdFields(c).map { TerminalText.escape($0) + "\n" }.joined()
        case .unchanged: return "= same    \(who)\n"
        case .remove: return "- remove  \(who)  (marked removed; its history is kept)\n"
        case .update:
            var text = "~ update  \(who)\n"
            for f in c.fields { text += TerminalText.escape("      " + f.text) + "\n" }
            return text
        }
    }

    private func markdownChange(_ c: RecordChange) -> String {
        let base = "| \(c.action.rawValue) | \(c.identity.objectType) | \(md(c.identity.sourceID)) | `\(c.id)` |"
        if c.action == .create {
            guard options.verbose else {
                let key = shownFields(of: c).map { "\($0.path): \(show($0.value))" }.joined(separator: ", ")
                return base + " | | \(md(key)) |\n"
            }
            return shownFields(of: c).map { base + " \(md($0.path)) | | \(md(show($0.value))) |\n" }.joined()
        }
        guard c.action == .update || c.action == .remove else { return base + " | | |\n" }
        return c.fields.map { f in
            base + " \(md(f.path)) | \(md(f.from.map(show) ?? "(absent)")) | \(md(f.to.map(show) ?? "(absent)")) |\n"
        }.joined()
    }

    /// What a report shows of a created record: its key fields (date, money,
    /// currency, who it is with), or with `verbose` every leaf, in path order.
    func shownFields(of c: RecordChange) -> [(path: String, value: Value)] {
        guard let values = c.values else { return [] }
        if options.verbose {
            return Differ().leaves(of: .object(values))
        }
        let keys = catalog.contract(for: c.identity.objectType)?.keyFields ?? []
        return keys.compactMap { key in values[key].flatMap { $0.isNull ? nil : (key, $0) } }
    }

    /// The text lines under `+ create`: key fields on one line, or every
    /// field on its own with `verbose`.
    private func createdFields(_ c: RecordChange) -> [String] {
        let shown = shownFields(of: c)
        if shown.isEmpty { return [] }
        if options.verbose { return shown.map { "      \($0.path): \(show($0.value))" } }
        return ["      " + shown.map { "\($0.path): \(show($0.value))" }.joined(separator: "  ")]
    }

    func show(_ v: Value) -> String { v.quotedText }

    /// A Markdown table cell: one line (control characters escaped), no
    /// bare `|`, no secret.
    func md(_ s: String) -> String {
        TerminalText.safe(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// A JSON object with keys in the given order (reports read top-down).
    func orderedObject(_ pairs: [(String, Value)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (k, v)) in pairs.enumerated() {
            if i > 0 { out.append(contentsOf: ", ".utf8) }
            CanonicalJSON.writeString(k, into: &out)
            out.append(contentsOf: ": ".utf8)
            CanonicalJSON.write(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: The whole report

    /// Writes the complete report to `out`.
    public func write(summary: ReportSummary, to out: OutputSink) throws(IOFailure) {
        let c = summary.counts
        switch format {
        case .json:
            let counts = orderedObject([
                ("created", .integer(c.created)), ("updated", .integer(c.updated)),
                ("unchanged", .integer(c.unchanged)), ("failed", .integer(c.failed)),
                ("removed", .integer(c.removed)),
            ])
            var head: [UInt8] = []
            CanonicalJSON.writeString(summary.mode.rawValue, into: &head)
            out.write("{\"format_version\": 1, \"mode\": \(String(decoding: head, as: UTF8.self)), ")
            out.write("\"status\": \"\(summary.status.rawValue)\", \"summary\": \(counts),\n \"changes\": [")
            if changes.size > 0 {
                out.write("\n")
                try changes.copy(to: out)
                out.write("\n ")
            }
            out.write("],\n \"errors\": [")
            if errors.size > 0 {
                out.write("\n")
                try errors.copy(to: out)
                out.write("\n ")
            }
            var store: [UInt8] = []
            CanonicalJSON.writeString(summary.store, into: &store)
            out.write("],\n \"run_id\": \(summary.runID.map(String.init) ?? "null"), \"store\": \(String(decoding: store, as: UTF8.self))")
            if !summary.breakdown.isEmpty {
                var connections: Fields = [:]
                for row in summary.breakdown {
                    var objects = connections[row.connection]?.objectValue ?? [:]
                    objects[row.object] = countsValue(row.counts)
                    connections[row.connection] = .object(objects)
                }
                out.write(",\n \"connections\": " + CanonicalJSON.string(.object(connections)))
            }
            if !summary.notes.isEmpty {
                out.write(",\n \"notes\": " + CanonicalJSON.string(.array(summary.notes.map { .string(Secrets.redact($0)) })))
            }
            out.write("}\n")
        case .text where options.quiet:
            out.write(totals(summary) + "\n")
        case .text:
            out.write(TerminalText.safe(headline(summary)) + "\n")
            let unlisted = c.unchanged > 0 && !options.showUnchanged
            if changes.size > 0 || unlisted { out.write("\n") }
            try changes.copy(to: out)
            if unlisted {
                out.write("  \(c.unchanged) unchanged record(s) not listed (--show-unchanged lists them)\n")
            }
            if tally.errors > 0 {
                out.write("\n")
                try errors.copy(to: out)
            }
            if !summary.breakdown.isEmpty {
                out.write("\nCONNECTION           OBJECT             CREATED  UPDATED  UNCHANGED  FAILED  REMOVED\n")
                for row in summary.breakdown {
                    let c = row.counts
                    out.write(
                        [
                            TerminalText.pad(TerminalText.escape(row.connection), 20), TerminalText.pad(row.object, 18),
                            TerminalText.pad(String(c.created), 8), TerminalText.pad(String(c.updated), 8),
                            TerminalText.pad(String(c.unchanged), 10), TerminalText.pad(String(c.failed), 7), String(c.removed),
                        ].joined(separator: " ") + "\n")
                }
            }
            for note in summary.notes { out.write("note: \(TerminalText.safe(note))\n") }
            out.write("\n" + totals(summary) + "\n")
        case .markdown:
            out.write("# backfill-sync report\n\n\(TerminalText.safe(headline(summary)))\n\n")
            out.write("| created | updated | unchanged | failed | removed |\n|---:|---:|---:|---:|---:|\n")
            out.write("| \(c.created) | \(c.updated) | \(c.unchanged) | \(c.failed) | \(c.removed) |\n\n")
            out.write("## Changes\n\n| action | object | source_id | id | field | from | to |\n|---|---|---|---|---|---|---|\n")
            try changes.copy(to: out)
            if c.unchanged > 0 && !options.showUnchanged {
                out.write("\n\(c.unchanged) unchanged record(s) not listed (`--show-unchanged` lists them).\n")
            }
            out.write("\n## Errors\n\n")
            if tally.errors == 0 {
                out.write("None.\n")
            } else {
                out.write("| where | source_id | field | code | message |\n|---|---|---|---|---|\n")
                try errors.copy(to: out)
            }
        case .html:
            try writeHTML(summary: summary, to: out)
        }
    }

    private func countsValue(_ c: RunCounts) -> Value {
        .object([
            "created": .integer(c.created), "updated": .integer(c.updated), "unchanged": .integer(c.unchanged),
            "failed": .integer(c.failed), "removed": .integer(c.removed),
        ])
    }

    func headline(_ s: ReportSummary) -> String {
        switch (s.mode, s.status) {
        case (.dryRun, _): return "\(s.command): dry run against \(s.store); nothing was written."
        case (.apply, .rejected): return "\(s.command): --strict and some input was rejected; nothing was applied to \(s.store)."
        case (.apply, .interrupted), (.apply, .failed):
            let why = s.status == .interrupted ? "interrupted" : "stopped by an error"
            return "\(s.command): \(why); what is listed below was applied to \(s.store)" + (s.runID.map { " (run \($0))" } ?? "")
                + ", the input in flight was rolled back."
        case (.apply, _) where s.counts.changes == 0 && s.counts.unchanged == 0 && s.counts.failed > 0:
            // Nothing landed: a headline saying "applied" would mislead.
            return "\(s.command): nothing was applied to \(s.store)" + (s.runID.map { " (run \($0))" } ?? "")
                + ": every input or record was rejected."
        case (.apply, _): return "\(s.command): applied to \(s.store)" + (s.runID.map { " (run \($0))" } ?? "") + "."
        }
    }

    func totals(_ s: ReportSummary) -> String {
        let c = s.counts
        let verb = s.mode == .dryRun ? "would be " : (s.status == .rejected ? "not applied: " : "")
        let removed = c.removed > 0 ? ", \(c.removed) removed" : ""
        return "\(verb)\(c.created) created, \(c.updated) updated, \(c.unchanged) unchanged, \(c.failed) rejected\(removed)"
    }
}
