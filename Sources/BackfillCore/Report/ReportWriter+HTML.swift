/// Money a run moves, per currency: what creates add and the net change of
/// updates, in the type's headline money field (`total_amount`, `amount`).
/// Exact decimals: a reviewer checks these against the provider's totals.
struct CurrencyTotals {
    struct Row {
        var created = ExactDecimal(0)
        var createdCount = 0
        var updated = ExactDecimal(0)
        var updatedCount = 0
    }

    private(set) var rows: [String: Row] = [:]
    /// A sum past the decimal range: the table says so rather than show a wrong total.
    private(set) var overflowed = false

    mutating func add(_ change: RecordChange, catalog: ContractCatalog) {
        guard let values = change.values, let field = catalog.contract(for: change.identity.objectType)?.headlineMoneyField
        else { return }
        let currency = values["currency"]?.stringValue ?? "(no currency)"
        // The new side is typed; the stored side comes back from JSON as text.
        func decimal(_ v: Value?) -> ExactDecimal? {
            switch v {
            case .decimal(let d)?: return d
            case .string(let s)?: return ExactDecimal(s)
            default: return nil
            }
        }
        do {
            switch change.action {
            case .create:
                guard let amount = decimal(values[field]) else { return }
                rows[currency, default: Row()].created = try rows[currency, default: Row()].created + amount
                rows[currency, default: Row()].createdCount += 1
            case .update:
                let amountChange = change.fields.first { $0.path == field }
                let currencyChange = change.fields.first { $0.path == "currency" }
                guard amountChange != nil || currencyChange != nil else { return }
                let new = decimal(values[field]) ?? ExactDecimal(0)
                let old = amountChange.map { decimal($0.from) ?? ExactDecimal(0) } ?? new
                let oldCurrency = currencyChange.map { $0.from?.stringValue ?? "(no currency)" } ?? currency
                rows[oldCurrency, default: Row()].updated = try rows[oldCurrency, default: Row()].updated - old
                rows[currency, default: Row()].updated = try rows[currency, default: Row()].updated + new
                rows[currency, default: Row()].updatedCount += 1
            case .unchanged, .remove:
                return
            }
        } catch {
            overflowed = true
        }
    }
}

/// The HTML report: one self-contained page (inline style, no script, no
/// external asset, a Content-Security-Policy that forbids loading any) that
/// a reviewer can attach to a ticket. Sections come in pages of
/// `pageSize` rows inside `<details>`, only the first open, so a plan of
/// 100k changes opens quickly and stays navigable.
extension ReportWriter {
    static let pageSize = 500

    func htmlChange(_ c: RecordChange) -> String {
        let connection = c.identity.connectionID.isEmpty ? "" : "/" + c.identity.connectionID
        var row =
            "<tr><td>\(h(c.identity.objectType))</td><td><code>\(h(c.identity.sourceID))</code></td>"
            + "<td>\(h(c.identity.sourceSystem + connection))</td><td>\(h(c.origin.description))</td><td>"
        switch c.action {
        case .create:
            row += shownFields(of: c).map { "<span class=f><code>\(h($0.path))</code> \(h(show($0.value)))</span>" }.joined(separator: " ")
        case .update, .remove:
            row +=
                "<ul>"
                + c.fields.map { f in
                    "<li><code>\(h(f.path))</code>: <del>\(h(f.from.map(show) ?? "(absent)"))</del> → <ins>\(h(f.to.map(show) ?? "(absent)"))</ins></li>"
                }.joined() + "</ul>"
        case .unchanged:
            break
        }
        return row + "</td></tr>\n"
    }

    func htmlReject(_ issue: RecordIssue, raw: String) -> String {
        "<tr><td>\(h(issue.origin.description))</td><td><code>\(h(issue.sourceID ?? ""))</code></td><td><code>\(h(issue.field ?? ""))</code></td>"
            + "<td><code>\(issue.code.rawValue)</code></td><td>\(h(Secrets.redact(issue.message)))</td>"
            + "<td><pre>\(h(Secrets.redact(raw)))</pre></td></tr>\n"
    }

    func writeHTML(summary: ReportSummary, to out: OutputSink) throws(IOFailure) {
        let c = summary.counts
        let title = summary.mode == .dryRun ? "Dry run: what would change" : "Run report"
        out.write(
            """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>backfill-sync: \(h(title))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1c1c1c;max-width:1400px}
            h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
            table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
            th{background:#f4f4f4}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            code,pre{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}pre{margin:0;white-space:pre-wrap;word-break:break-all}
            ul{margin:0;padding-left:1.1rem}del{background:#fde2e2;text-decoration:line-through}ins{background:#dcf5dc;text-decoration:none}
            .f{display:inline-block;margin-right:.9rem}.headline{color:#444}summary{cursor:pointer;margin:.3rem 0;color:#0b57d0}
            .cards{display:flex;gap:.8rem;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;min-width:7rem}
            .card b{display:block;font-size:1.4rem}.create b{color:#13795b}.update b{color:#9a6700}.remove b{color:#b42318}.reject b{color:#b42318}
            </style></head><body>
            <h1>backfill-sync: \(h(title))</h1>
            <p class=headline>\(h(TerminalText.safe(headline(summary))))</p>
            <div class=cards>
            <div class="card create"><b>\(c.created)</b>created</div><div class="card update"><b>\(c.updated)</b>updated</div>
            <div class="card remove"><b>\(c.removed)</b>removed</div><div class="card reject"><b>\(c.failed)</b>rejected</div>
            <div class=card><b>\(c.unchanged)</b>unchanged (not listed)</div></div>
            <p>\(h(totals(summary))). Status: <code>\(summary.status.rawValue)</code>.</p>

            """)
        writeCurrencyTotals(to: out)
        let changeHead = "<tr><th>object</th><th>source_id</th><th>source</th><th>from</th><th>"
        try writeSection(
            "Creates", count: tally.changes - tally.updates - tally.removals, spool: changes,
            head: changeHead + "key fields</th></tr>", to: out)
        try writeSection("Updates", count: tally.updates, spool: updates, head: changeHead + "fields: from → to</th></tr>", to: out)
        try writeSection("Removals", count: tally.removals, spool: removals, head: changeHead + "fields</th></tr>", to: out)
        try writeSection(
            "Rejects", count: tally.errors, spool: errors,
            head: "<tr><th>where</th><th>source_id</th><th>field</th><th>code</th><th>message</th><th>raw row</th></tr>", to: out)
        if !summary.notes.isEmpty {
            out.write("<h2>Notes</h2><ul>" + summary.notes.map { "<li>\(h(Secrets.redact($0)))</li>" }.joined() + "</ul>\n")
        }
        out.write(
            "<p class=headline>Store: <code>\(h(summary.store))</code>"
                + (summary.runID.map { ", run \($0)" } ?? "") + ".</p>\n</body></html>\n")
    }

    private func writeCurrencyTotals(to out: OutputSink) {
        let money = tally.money
        guard !money.rows.isEmpty || money.overflowed else { return }
        out.write(
            "<h2>Totals per currency</h2>\n<table><tr><th>currency</th><th class=n>created</th><th class=n>sum of creates</th>"
                + "<th class=n>updated</th><th class=n>net change of updates</th></tr>\n")
        for (currency, row) in money.rows.sorted(by: { $0.key < $1.key }) {
            // At the currency's scale, so a zero reads "0.00" like its neighbours.
            func shown(_ d: ExactDecimal) -> String {
                (Currency.minorUnits(currency).flatMap { d.rescaled(exactlyTo: $0) } ?? d).description
            }
            out.write(
                "<tr><td>\(h(currency))</td><td class=n>\(row.createdCount)</td><td class=n>\(shown(row.created))</td>"
                    + "<td class=n>\(row.updatedCount)</td><td class=n>\(shown(row.updated))</td></tr>\n")
        }
        out.write("</table>\n")
        if money.overflowed { out.write("<p>Some totals are past the decimal range and are left out.</p>\n") }
    }

    private func writeSection(_ title: String, count: Int, spool: SpoolFile, head: String, to out: OutputSink) throws(IOFailure) {
        out.write("<h2>\(title) (\(count))</h2>\n")
        guard count > 0 else {
            out.write("<p>None.</p>\n")
            return
        }
        let size = Self.pageSize
        func open(_ first: Int) -> String {
            let last = min(first + size - 1, count)
            let label = count <= size ? "\(count) row(s)" : "rows \(first)–\(last) of \(count)"
            return "<details\(first == 1 ? " open" : "")><summary>\(label)</summary><table>\(head)\n"
        }
        out.write(open(1))
        try spool.copy(to: out, every: size) { seen in
            seen < count ? "</table></details>\n" + open(seen + 1) : ""
        }
        out.write("</table></details>\n")
    }

    /// HTML text: the five characters that could start markup or end an
    /// attribute escaped, and line breaks kept as entities so every
    /// spooled row stays one line.
    func h(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
