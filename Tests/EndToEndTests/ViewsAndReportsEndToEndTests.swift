import BackfillCore
import Foundation
import XCTest

/// What a new user meets after the walkthrough: SQL on the views, reports
/// that read like a plan, the HTML page of a dry run.
final class ViewsAndReportsEndToEndTests: CLITestCase {
    private func importMoney() throws {
        let csv = """
            ID,Date,Vendor,Amount,Currency,Status
            m1,2026-03-01,Small,999.99,USD,approved
            m2,2026-03-02,Large,5000.00,USD,approved
            m3,2026-03-03,Just over,1000.01,USD,approved
            m4,2026-03-04,Refund,-20.50,USD,approved
            m5,2026-03-05,Yen,48200,JPY,approved
            m6,2026-03-06,Dinar,12.345,KWD,approved

            """
        let r = try run([
            "import", "csv", write(csv, to: "money.csv"), "--object", "expense", "--connection", "c", "--report-file", "/dev/null",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let customers = "customer_id,name,tax_exempt,credit_limit,currency\nc1,Acme,true,2500.00,USD\nc2,Globex,false,900.00,USD\n"
        let c = try run(["import", "csv", write(customers, to: "customers.csv"), "--object", "customer", "--report-file", "/dev/null"])
        XCTAssertEqual(c.status, 0, c.stderr)
    }

    func testViewColumnsCompareSortAndAggregateAsNumbers() throws {
        try importMoney()
        XCTAssertEqual(
            try sqlite("select count(*) from expenses where currency = 'USD' and amount > 1000"), "2", "5000.00 and 1000.01, not '999.99'")
        XCTAssertEqual(try sqlite("select max(amount) from expenses where currency = 'USD'"), "5000.0")
        XCTAssertEqual(try sqlite("select source_id from expenses where currency = 'USD' order by amount desc limit 1"), "m2")
        XCTAssertEqual(try sqlite("select min(amount) from expenses"), "-20.5")
        XCTAssertEqual(
            try sqlite("select typeof(amount) || ' ' || typeof(amount_minor) || ' ' || typeof(expense_date) from expenses limit 1"),
            "real integer text", "numbers are numbers, dates ISO text")
        XCTAssertEqual(
            try rows("select source_id || ' ' || amount_minor from expenses order by source_id"),
            ["m1 99999", "m2 500000", "m3 100001", "m4 -2050", "m5 48200", "m6 12345"],
            "minor units at each currency's scale: cents, yen, fils")
        XCTAssertEqual(
            try rows(
                "select name || ' ' || typeof(tax_exempt) || ' ' || tax_exempt from customers where tax_exempt = 1 or credit_limit < 1000 order by name"
            ),
            ["Acme integer 1", "Globex integer 0"], "booleans are 0/1")
        // The README's exact total: integer minor units, formatted back at the currency's scale.
        XCTAssertEqual(
            try rows("select currency || ' ' || total from (\(Self.readmeExactTotal))"), ["JPY 48200", "KWD 12.345", "USD 6979.50"])
    }

    /// The query the README gives for exact totals per currency, character for character.
    static let readmeExactTotal = """
        select currency, case when sum(amount_minor) < 0 then '-' else '' end || (abs(sum(amount_minor)) / factor)
               || case when digits > 0 then '.' || substr(factor + abs(sum(amount_minor)) % factor, 2) else '' end as total
        from expenses join currencies on code = currency
        group by currency order by currency
        """

    func testTheBenchFilesExactTotalBothWays() throws {
        // The 1M-row bench CSV, written by scripts/bench itself.
        let generate = Process()
        generate.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        generate.arguments = [
            "python3", Self.packageRoot.appendingPathComponent("scripts/bench").path, "--inputs-only", dir.path, "--rows", "1000000",
        ]
        try generate.run()
        generate.waitUntilExit()
        XCTAssertEqual(generate.terminationStatus, 0, "scripts/bench --inputs-only")
        let file = dir.appendingPathComponent("expenses.csv").path

        // The totals from the file itself, independently of the tool: Python's csv
        // module reads it and its Decimal adds, per currency.
        let totals = Process()
        totals.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        totals.arguments = [
            "python3", "-c",
            """
            import csv, decimal, sys
            t, n = {}, 0
            with open(sys.argv[1], newline="") as f:
                r = csv.DictReader(f)
                for row in r:
                    t[row["Currency"]] = t.get(row["Currency"], decimal.Decimal(0)) + decimal.Decimal(row["Amount"])
                    n += 1
            print(n)
            for c in sorted(t): print(c, t[c])
            """, file,
        ]
        let pipe = Pipe()
        totals.standardOutput = pipe
        try totals.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        totals.waitUntilExit()
        var lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.removeFirst(), "1000000")
        var expected: [String: ExactDecimal] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            expected[String(parts[0])] = try XCTUnwrap(ExactDecimal(parts[1]))
        }
        XCTAssertEqual(expected.keys.sorted(), ["EUR", "JPY", "USD"])

        let r = try run([
            "import", "csv", file, "--object", "expense", "--connection", "bench", "--report", "json", "--report-file", "/dev/null",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Way one: the README's exact query over integer minor units.
        let exact = try rows("select currency || ' ' || total from (\(Self.readmeExactTotal))")
        XCTAssertEqual(exact, expected.keys.sorted().map { "\($0) \(expected[$0]!.rescaled(exactlyTo: Currency.minorUnits($0)!)!)" })
        // Way two: the REAL column, which is right to the cent once rounded, and shows why sums use amount_minor.
        for (code, total) in expected {
            let real = try sqlite("select printf('%.2f', sum(amount)) from expenses where currency = '\(code)'")
            XCTAssertEqual(real, "\(total.rescaled(exactlyTo: 2)!)", "\(code): sum(amount) rounded to cents")
        }
        XCTAssertEqual(
            try sqlite("select count(*) from expenses where amount > 1000 and currency = 'USD'"),
            try sqlite("select count(*) from expenses where amount_minor > 100000 and currency = 'USD'"))
    }

    func testTextReportsListChangesAndCountTheUnchanged() throws {
        let first = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("+ create  expense exp-1001"), first.stdout)
        XCTAssertTrue(
            first.stdout.contains(
                #"      expense_date: "2026-03-02"  amount: "18.75"  currency: "USD"  vendor_name: "Blue Bottle Coffee""#),
            "a create shows its key fields: \(first.stdout)")

        let noOp = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme"])
        XCTAssertFalse(noOp.stdout.contains("= same"), noOp.stdout)
        XCTAssertTrue(noOp.stdout.contains("6 unchanged record(s) not listed (--show-unchanged lists them)"), noOp.stdout)
        let listed = try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--show-unchanged"])
        XCTAssertEqual(listed.stdout.components(separatedBy: "= same").count - 1, 6, listed.stdout)

        let edited = write(
            try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
                .replacingOccurrences(of: ",1234.56,", with: ",1243.56,") + "exp-2001,2026-03-20,Cafe,Coffee,4.50,USD,approved,Meals,,\n",
            to: "edited.csv")
        let plan = try run(["import", "csv", edited, "--object", "expense", "--connection", "acme", "--dry-run", "--verbose"])
        XCTAssertTrue(plan.stdout.contains(#"      amount: "1234.56" → "1243.56""#), plan.stdout)
        XCTAssertTrue(
            plan.stdout.contains(#"      metadata: {}"#) || plan.stdout.contains("      status: \"approved\"\n"),
            "--verbose: every field of a create on its own line: \(plan.stdout)")
        let quiet = try run(["import", "csv", edited, "--object", "expense", "--connection", "acme", "--dry-run", "--quiet"])
        XCTAssertEqual(quiet.stdout, "would be 1 created, 1 updated, 5 unchanged, 0 rejected\n")

        let markdown = try run([
            "import", "csv", edited, "--object", "expense", "--connection", "acme", "--dry-run", "--report", "markdown",
        ])
        XCTAssertTrue(markdown.stdout.contains("| update | expense | exp-1005 |"), markdown.stdout)
        XCTAssertTrue(markdown.stdout.contains(#"amount: "4.50""#), "a create's key fields: \(markdown.stdout)")
        XCTAssertFalse(markdown.stdout.contains("| unchanged | expense"), markdown.stdout)

        let json = try json(
            try run(["import", "csv", edited, "--object", "expense", "--connection", "acme", "--dry-run", "--report", "json"]).stdout)
        XCTAssertEqual(json["format_version"] as? Int, 1, "JSON keeps its shape")
        XCTAssertEqual((json["changes"] as? [Any])?.count, 2)
    }

    func testANoOpReimportIsAFewLines() throws {
        let file = bigCSV("big.csv", rows: 20_000)
        XCTAssertEqual(try run(["import", "csv", file, "--object", "expense", "--report-file", "/dev/null"]).status, 0)
        let again = try run(["import", "csv", file, "--object", "expense"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let lines = again.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertLessThanOrEqual(lines.count, 10, again.stdout)
        XCTAssertTrue(again.stdout.contains("0 created, 0 updated, 20000 unchanged, 0 rejected"), again.stdout)
    }

    func testTheHTMLReportIsOneSelfContainedPageAReviewerCanRead() throws {
        XCTAssertEqual(
            try run(["import", "csv", "samples/expenses.csv", "--object", "expense", "--connection", "acme", "--report-file", "/dev/null"])
                .status, 0)
        let original = try String(contentsOf: dir.appendingPathComponent("samples/expenses.csv"), encoding: .utf8)
        var changed = original.replacingOccurrences(of: ",1234.56,", with: ",1243.56,")
        changed += "exp-2001,2026-03-20,<script>alert(1)</script>,Coffee,4.50,USD,approved,Meals,,\n"
        changed += "exp-2002,2026-02-30,Bad date,Lunch,1.00,USD,approved,Meals,,\n"
        let r = try run([
            "import", "csv", write(changed, to: "changed.csv"), "--object", "expense", "--connection", "acme",
            "--dry-run", "--report", "html", "--report-file", "plan.html",
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        let html = try String(contentsOf: dir.appendingPathComponent("plan.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!doctype html>"))
        XCTAssertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none'"), "nothing may be loaded")
        XCTAssertFalse(html.contains("<script"), "no script, and a value's markup is escaped")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(html.contains("src=") || html.contains("href=") || html.contains("url("), "no external asset")
        XCTAssertTrue(html.contains("<del>&quot;1234.56&quot;</del> → <ins>&quot;1243.56&quot;</ins>"), "from → to")
        XCTAssertTrue(html.contains("<b>1</b>created") && html.contains("<b>1</b>updated") && html.contains("<b>1</b>rejected"))
        XCTAssertTrue(
            html.contains("changed.csv:10") && html.contains("<code>invalid_date</code>") && html.contains("2026-02-30 is not a date"),
            "a reject names its place, code and message")
        XCTAssertTrue(html.contains("<pre>exp-2002,2026-02-30,Bad date,Lunch,1.00,USD,approved,Meals,,</pre>"), "and shows its raw row")
        // Totals per currency: the create adds 4.50; the update moves 1234.56 to 1243.56 (+9.00).
        XCTAssertTrue(
            html.contains("<tr><td>USD</td><td class=n>1</td><td class=n>4.50</td><td class=n>1</td><td class=n>9.00</td></tr>"), html)
    }

    func testALargeHTMLReportComesInPages() throws {
        let file = bigCSV("big.csv", rows: 1_200)
        let r = try run(["import", "csv", file, "--object", "expense", "--dry-run", "--report", "html", "--report-file", "big.html"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOf: dir.appendingPathComponent("big.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<details open><summary>rows 1–500 of 1200</summary>"))
        XCTAssertTrue(html.contains("<details><summary>rows 501–1000 of 1200</summary>"), "later pages start closed")
        XCTAssertTrue(html.contains("<details><summary>rows 1001–1200 of 1200</summary>"))
        XCTAssertEqual(html.components(separatedBy: "<tr><td>expense</td>").count - 1, 1_200, "every create is on the page")
        XCTAssertEqual(html.components(separatedBy: "<details").count, html.components(separatedBy: "</details>").count, "balanced")
    }
}
