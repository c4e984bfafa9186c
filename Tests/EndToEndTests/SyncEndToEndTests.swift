import BackfillAPIStub
import BackfillCore
import Foundation
import XCTest

final class SyncEndToEndTests: SyncTestCase {
    func testASyncPullsEveryRecordOnceAndTheTokenStaysSecret() throws {
        let server = try stub()
        config(server, drops: true)
        let r = try sync(["--report", "json", "--report-file", "report.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try json(try String(contentsOf: dir.appendingPathComponent("report.json"), encoding: .utf8))
        XCTAssertEqual((report["summary"] as? [String: Int])?["created"], 21 * 5 + 4 + 11)
        XCTAssertEqual((report["connections"] as? [String: [String: [String: Int]]])?["acme-api"]?["journal_entry"]?["created"], 5)
        XCTAssertEqual(server.requests.count, 21 * 3, "3 pages per resource, each requested once")
        XCTAssertTrue(server.requests.allSatisfy { $0.hasSuffix("Authorization: Bearer \(Self.token)") })
        XCTAssertEqual(try sqlite("select count(*) from records"), "120")
        XCTAssertEqual(
            try sqlite("select count(distinct source_id) from records where source_system <> 'csv_upload' and object_type = 'customer'"),
            "5")

        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path)
        where file.hasPrefix("backfill.sqlite") || file == "report.json" {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(file))
            XCTAssertNil(bytes.range(of: Data(Self.token.utf8)), "the token is in \(file)")
        }
        XCTAssertFalse(r.stdout.contains(Self.token) || r.stderr.contains(Self.token))

        let again = try sync(["--report", "json"])
        XCTAssertEqual(again.status, 0)
        let second = try json(again.stdout)
        XCTAssertEqual(second["summary"] as? [String: Int], ["created": 0, "updated": 0, "unchanged": 105, "failed": 0, "removed": 0])
        let notes = second["notes"] as? [String] ?? []
        XCTAssertEqual(
            notes.filter { $0.contains("file(s) unchanged since their last import, skipped") }.count, 2,
            "both dropped files unchanged, skipped: \(notes)")
        // Where the time went: the requests, and how long the sync stood waiting for them.
        XCTAssertTrue(notes.contains { $0.contains("63 HTTP request(s) in") && $0.contains("stood waiting for pages") }, "\(notes)")
        let cursors = try run(["cursors"])
        XCTAssertEqual(cursors.status, 0)
        XCTAssertTrue(cursors.stdout.hasPrefix("CONNECTION"), "a header names the columns: \(cursors.stdout)")
        XCTAssertTrue(cursors.stdout.contains("last complete pass 20"), cursors.stdout)
        XCTAssertTrue(
            cursors.stdout.contains("file of ") && cursors.stdout.contains("sha256 "), "a file drop's cursor in words: \(cursors.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(try run(["cursors", "--format", "json"]).stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(json?.count, cursors.stdout.split(separator: "\n").count - 1, "one JSON array, an element per cursor")
    }

    func testRateLimitsAndServerErrorsStillGiveTheSameStore() throws {
        let objects = ["expense", "vendor_bill", "customer", "bank_transaction"]
        let clean = try stub()
        config(clean, store: "clean.sqlite", objects: objects)
        XCTAssertEqual(try sync().status, 0)
        let reference = try exportAll(db: "clean.sqlite")

        let faulty = try stub {
            $0.every429 = 3
            $0.retryAfter = "1"
            $0.every500 = 5
        }
        config(faulty, objects: objects)
        let r = try sync()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("HTTP 429") && r.stderr.contains("HTTP 500"), "retries are shown: \(r.stderr)")
        XCTAssertGreaterThan(faulty.requests.count, 12)
        XCTAssertEqual(try exportAll(), reference)
    }

    func testASecondSyncReportsExactlyTheUpstreamChanges() throws {
        let server = try stub()
        config(server)
        XCTAssertEqual(try sync().status, 0)
        func edit(_ resource: String, _ change: (inout [[String: Any]]) -> Void) throws {
            let url = dir.appendingPathComponent("samples/backfill_api/\(resource).json")
            var items = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [[String: Any]]
            change(&items)
            try JSONSerialization.data(withJSONObject: items).write(to: url)
        }
        try edit("expenses") { items in
            for i in 0..<3 {
                var data = items[i]["data"] as! [String: Any]
                data["amount"] = "999.0\(i)"
                data["line_items"] = [["description": "Client visit", "amount": "999.0\(i)", "line_type": "service"]]
                items[i]["data"] = data
            }
        }
        try edit("customers") { items in
            for i in 0..<2 {
                var data = items[i]["data"] as! [String: Any]
                data["name"] = "Renamed \(i)"
                items[i]["data"] = data
            }
        }
        let r = try sync(["--report", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try json(r.stdout)
        XCTAssertEqual(report["summary"] as? [String: Int], ["created": 0, "updated": 5, "unchanged": 100, "failed": 0, "removed": 0])
        let updates = (report["changes"] as! [[String: Any]]).filter { $0["action"] as? String == "update" }
        XCTAssertEqual(Set(updates.map { $0["source_id"] as! String }), ["exp_9001", "exp_9002", "exp_9003", "cus_1001", "cus_1002"])
    }

    func testKilledSyncsResumeToTheSameStore() throws {
        let clean = try stub()
        config(clean, store: "clean.sqlite", pageSize: 1)
        XCTAssertEqual(try sync().status, 0)
        let reference = try exportAll(db: "clean.sqlite")

        let slow = try stub { $0.delayMilliseconds = 12 }
        config(slow, pageSize: 1)
        // Seeded, and the seed printed, so a failing sequence of kills can be
        // replayed: BACKFILL_KILL_SEED=<seed> swift test --filter testKilledSyncs
        let seed = ProcessInfo.processInfo.environment["BACKFILL_KILL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("testKilledSyncsResumeToTheSameStore: kill seed \(seed) (replay with BACKFILL_KILL_SEED=\(seed))")
        var generator = SplitMix64(seed: seed)
        var killedMidRun = 0
        for _ in 0..<10 {
            let process = try launchSync()
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...1.5, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidRun += 1 }
        }
        XCTAssertGreaterThanOrEqual(killedMidRun, 5, "most kills must land while the sync runs (kill seed \(seed))")
        let finish = try sync()
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertEqual(try sqlite("PRAGMA integrity_check"), "ok")
        XCTAssertEqual(try exportAll(), reference, "identical to an uninterrupted run (kill seed \(seed))")
        XCTAssertEqual(try sqlite("select count(*) from records"), "105", "nothing duplicated")
    }

    func testTwoSyncsAtOnceNeverInterleave() throws {
        let slow = try stub { $0.delayMilliseconds = 25 }
        config(slow, pageSize: 1)
        let first = try launchSync()
        let lock = dir.appendingPathComponent("backfill.sqlite.lock").path
        for _ in 0..<50 where (try? String(contentsOfFile: lock, encoding: .utf8))?.isEmpty ?? true {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try sync()
        XCTAssertEqual(second.status, 75)
        XCTAssertTrue(second.stderr.contains("pid \(first.processIdentifier)"), second.stderr)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try sqlite("PRAGMA integrity_check"), "ok")
        XCTAssertEqual(try sqlite("select count(*) from records"), "105")
        XCTAssertEqual(try sync(["--wait", "5"]).status, 0, "once free, the lock is taken")
    }

    func testFailuresTellCronWhatToDo() throws {
        // Credentials refused: a config problem (64) naming the connection, never the token.
        let server = try stub { $0.token = "another-token" }
        config(server, objects: ["expense", "customer"])
        let refused = try sync()
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("connection 'acme-api'") && refused.stderr.contains("BACKFILL_TOKEN"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains(Self.token))
        XCTAssertEqual(server.requests.count, 1, "the connection stops at the first 401")

        // A resource that keeps failing: 75, complete pages kept, the next run resumes.
        let flaky = try stub { $0.everyReset = 2 }
        config(flaky, objects: ["expense"], maxRetries: 0)
        let partial = try sync()
        XCTAssertEqual(partial.status, 75, partial.stderr)
        XCTAssertTrue(partial.stderr.contains("the next run resumes"), partial.stderr)
        XCTAssertEqual(try sqlite("select count(*) from expenses"), "2", "page 1 committed")
        XCTAssertTrue(try run(["cursors"]).stdout.contains("pass in progress, resumes at page 2"))
        let healthy = try stub()
        config(healthy, objects: ["expense"])
        XCTAssertEqual(try sync().status, 0)
        XCTAssertEqual(
            healthy.requests.map { $0.components(separatedBy: " ")[1] },
            ["/v1/expenses?limit=2&page=2", "/v1/expenses?limit=2&page=3"], "resumed at page 2")
        XCTAssertEqual(try sqlite("select count(*) from expenses"), "5")

        // Config errors: 64 with the key path; an unset token names the variable.
        _ = write(
            #"{"version": 1, "connections": [{"name": "x", "connector": "backfill_api", "connection_id": "c", "base_url": "http://example.com", "token_env": "T"}]}"#,
            to: "bad.json")
        let bad = try run(["sync", "--config", "bad.json"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("connections[0].base_url"), bad.stderr)
        let unset = try run(["sync", "--config", "sync.json"], environment: ["BACKFILL_TOKEN": ""])
        XCTAssertEqual(unset.status, 64)
        XCTAssertTrue(unset.stderr.contains("BACKFILL_TOKEN is not set"), unset.stderr)
    }

    func testMalformedPagesAreRetriedThenTheResourceFailsAndOthersContinue() throws {
        let broken = try stub { $0.everyMalformed = 1 }
        config(broken, objects: ["expense", "customer"], maxRetries: 1)
        let r = try sync()
        XCTAssertEqual(r.status, 75, r.stderr)
        for resource in ["expenses", "customers"] {
            XCTAssertTrue(r.stderr.contains("/v1/\(resource)?limit=2&page=1: malformed JSON"), "retried: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("/v1/\(resource)?limit=2&page=1: gave up after 2 attempts"), r.stderr)
        }
        XCTAssertEqual(broken.requests.count, 4, "two attempts for each resource: the first failure did not stop the second")
    }

    func testAFileDropsNotesReachTheSyncReport() throws {
        _ = write(
            #"{"version": 1, "connections": [{"name": "card-drops", "connector": "csv_upload", "connection_id": "card", "glob": "samples/card_statement.csv", "object": "expense", "mapping": "samples/mappings/card_statement.json"}]}"#,
            to: "sync.json")
        let r = try sync(["--report", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("warning: samples/card_statement.csv: 1 row(s) skipped by the mapping's skip_if")
                || r.stderr.contains("card_statement.csv: 1 row(s) skipped by the mapping's skip_if"), r.stderr)
        XCTAssertTrue(
            (try json(r.stdout)["notes"] as? [String] ?? []).contains { $0.hasPrefix("card-drops: ") && $0.contains("1 row(s) skipped") },
            r.stdout)
    }

    func testDryRunSyncWritesNothing() throws {
        let server = try stub()
        config(server, objects: ["expense"], drops: true)
        let r = try sync(["--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "no store, no cursor")
        XCTAssertTrue(r.stdout.contains("+ create  expense exp_9001"), r.stdout)
        let full = try sync(["--full-refresh"])
        XCTAssertTrue(full.stdout.contains("--full-refresh"), full.stdout)
    }

    /// Pages that crashed the tool before it had a strict reader: 100,000
    /// levels of nesting, then invalid numbers and a page that is JSON but
    /// not a list. Each fails its own resource only.
    func testAPageThatCrashedTheToolFailsOnlyItsResource() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let server = try stub {
            $0.rawBodies = ["expenses": deep, "customers": #"{"data": [{"data": {"amount": 0.1.2}}]}"#, "vendors": #"{"error": "no"}"#]
        }
        config(server, objects: ["expense", "customer", "vendor", "item"], maxRetries: 1, drops: true)
        let r = try sync(["--report", "json", "--report-file", "last.json"])
        XCTAssertEqual(r.status, 75, "temporary: the next run tries these pages again. \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("/v1/expenses?limit=2&page=1: malformed JSON (nested deeper than 256 levels"), r.stderr)
        XCTAssertTrue(
            r.stderr.contains("/v1/customers?limit=2&page=1: malformed JSON (a number may not")
                || r.stderr.contains("/v1/customers?limit=2&page=1: malformed JSON (expected ','"), r.stderr)
        XCTAssertTrue(r.stderr.contains("/v1/vendors?limit=2&page=1: JSON of the wrong shape"), r.stderr)
        XCTAssertEqual(try sqlite("select count(*) from items"), "5", "the resource after the broken ones ran")
        XCTAssertEqual(
            try sqlite("select count(*) from records where connection_id = 'conn_layer'") != "0", true,
            "and so did the connections after it")
        XCTAssertEqual(try sqlite("select count(*) from runs where status = 'running'"), "0", "every run row is closed")
        let report = try json(String(decoding: try Data(contentsOf: dir.appendingPathComponent("last.json")), as: UTF8.self))
        XCTAssertEqual((report["errors"] as? [Any])?.count, 3, "the report is written, with one error per failed resource")
    }

    func testAnEndlessResponseIsStoppedAtTheLimit() throws {
        let server = try stub { $0.endlessResources = ["expenses"] }
        // A 1 MiB limit, so the test reads 1 MiB, not 64.
        config(server, objects: ["expense", "customer"], maxRetries: 3, settings: #", "max_response_mib": 1"#)
        let r = try sync()
        XCTAssertEqual(r.status, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("the response is larger than 1 MiB (backfill_api.max_response_mib)"), r.stderr)
        XCTAssertEqual(server.requests.filter { $0.contains("/v1/expenses") }.count, 1, "a response too large is not retried")
        XCTAssertEqual(try sqlite("select count(*) from customers"), "5")
        XCTAssertLessThan(HostileInputEndToEndTests.peakChildMiB(), 256)
    }
}

/// A small seeded generator (SplitMix64, as in Java's SplittableRandom):
/// the same seed gives the same sleeps, so a kill sequence can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
