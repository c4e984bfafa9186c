import BackfillAPIStub
import BackfillCore
import Foundation
import XCTest

/// The token goes to base_url's origin and nowhere else, is never written
/// down, and no server can hold a sync past its timeouts. Loopback only.
final class HTTPSecurityEndToEndTests: SyncTestCase {
    func testARedirectToAnotherOriginIsRefusedAndTheSecondServerSeesNoToken() throws {
        let elsewhere = try stub { $0.token = nil }
        let redirecting = try stub {
            $0.redirects = [
                "expenses": "\(elsewhere.baseURL)/v1/expenses?limit=2&page=1",
                "customers": "https://127.0.0.1:\(elsewhere.port)/v1/customers",
            ]
        }
        config(redirecting, objects: ["expense", "customer", "vendor"])
        let r = try sync()
        XCTAssertEqual(r.status, 64, "a redirect is a base_url to fix, not a retry: \(r.stderr)")
        XCTAssertTrue(
            r.stderr.contains("/v1/expenses?limit=2&page=1: HTTP 302 redirect to http://127.0.0.1:\(elsewhere.port) not followed"),
            r.stderr)
        XCTAssertTrue(r.stderr.contains("redirect to https://127.0.0.1:\(elsewhere.port) not followed"), r.stderr)
        XCTAssertEqual(elsewhere.requests, [], "the second server was never asked, so it never saw the Authorization header")
        XCTAssertEqual(try sqlite("select count(*) from vendors"), "5", "the resource after the refused ones ran")
    }

    func testATokenTheServerEchoesNeverReachesStderrReportsOrTheStore() throws {
        let server = try stub { $0.echoingResources = ["expenses": 400, "customers": 500] }
        config(server, objects: ["expense", "customer", "vendor"], maxRetries: 1)
        for format in ["json", "text", "markdown"] {
            let r = try sync(["--report", format, "--report-file", "report.\(format)"])
            XCTAssertEqual(r.status, 64, "the 400 is a refused request: \(r.stderr)")
            XCTAssertTrue(
                r.stderr.contains("HTTP 400: cannot serve this request; you sent accept: application/json;")
                    && r.stderr.contains("authorization: Bearer [redacted]"),
                "the server's message is quoted, the token removed: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("HTTP 500: cannot serve this request"), r.stderr)
            XCTAssertFalse(r.stderr.contains(Self.token) || r.stdout.contains(Self.token))
        }
        XCTAssertEqual(
            try sqlite("select count(*) from rejects where message like '%Bearer [redacted]%'"), "6",
            "two rejects per run, three runs, each quoting the echo without the token")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertTrue(files.contains("backfill.sqlite-wal") || files.contains("backfill.sqlite"))
        for file in files where file.hasPrefix("backfill.sqlite") || file.hasPrefix("report.") {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(file))
            XCTAssertNil(bytes.range(of: Data(Self.token.utf8)), "the token is in \(file)")
        }
        let runs = try run(["runs"])
        XCTAssertFalse(runs.stdout.contains(Self.token))
    }

    func testUserinfoInTheBaseURLIsRefusedWithoutQuotingIt() throws {
        let server = try stub()
        config(server, objects: ["expense"])
        let text = try String(contentsOf: dir.appendingPathComponent("sync.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1", with: "http://admin:hunter2-secret@127.0.0.1")
        _ = write(text, to: "sync.json")
        let r = try sync()
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("connections[0].base_url: must not carry a user name or password"), r.stderr)
        XCTAssertFalse(r.stderr.contains("hunter2"), r.stderr)
        XCTAssertEqual(server.requests, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "refused before any work")
    }

    func testLoopbackIsWhatTheHostResolvesToNotHowItIsSpelled() throws {
        let server = try stub()
        for host in ["127.attacker.example", "127.0.0.1.nip.io"] {
            config(server, objects: ["expense"])
            let text = try String(contentsOf: dir.appendingPathComponent("sync.json"), encoding: .utf8)
                .replacingOccurrences(of: "http://127.0.0.1", with: "http://\(host)")
            _ = write(text, to: "sync.json")
            let r = try sync()
            XCTAssertEqual(r.status, 64, "\(host): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("must be https:// (http:// is allowed only for loopback addresses)"), r.stderr)
        }
        // A name that does resolve to loopback is allowed.
        config(server, objects: ["expense"])
        let text = try String(contentsOf: dir.appendingPathComponent("sync.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1", with: "http://localhost")
        _ = write(text, to: "sync.json")
        XCTAssertEqual(try sync().status, 0)
    }

    /// Runs `sync` and returns its result with the seconds it took.
    func timedSync() throws -> (Result, Double) {
        let started = Date()
        let r = try sync()
        return (r, Date().timeIntervalSince(started))
    }

    func testASilentServerAndATricklingServerBothEndWithinTheTimeout() throws {
        for configure: (inout StubServer.Options) -> Void in [
            { $0.silentResources = ["expenses"] },
            { $0.tricklingResources = ["expenses"] },
        ] {
            let server = try stub(configure)
            config(server, objects: ["expense"], maxRetries: 0, timeout: 2)
            let (r, seconds) = try timedSync()
            XCTAssertEqual(r.status, 75, r.stderr)
            XCTAssertTrue(r.stderr.contains("timed out: no complete response within 2 s"), r.stderr)
            XCTAssertLessThan(seconds, 2 + 3, "timeout_seconds 2, plus a margin for starting the tool: \(r.stderr)")
            XCTAssertGreaterThan(seconds, 1.5, "the timeout is what ended it")
        }
    }

    func testRetryAfterIsCappedAndTheResourceDeadlineHolds() throws {
        let server = try stub {
            $0.every429 = 1
            $0.retryAfter = "3600"
        }
        config(
            server, objects: ["expense"], maxRetries: 50,
            settings: #", "max_retry_after_seconds": 1, "resource_deadline_seconds": 2.5"#)
        let (r, seconds) = try timedSync()
        XCTAssertEqual(r.status, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("retry 1 of 50 in 1.0 s"), "Retry-After: 3600 cut to 1 s: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("the resource's deadline of 2 s (resource_deadline_seconds) passed; last: HTTP 429"), r.stderr)
        XCTAssertLessThan(seconds, 2.5 + 3)
        XCTAssertLessThanOrEqual(server.requests.count, 3, "about one request a second for 2.5 s")
    }
}
