import BackfillAPIStub
import Foundation
import XCTest

@testable import BackfillAPI
@testable import BackfillCore
@testable import BackfillSQLite

/// The API source run by the core's sync runner against the loopback stub,
/// with the fake clock: waits cost no time and are counted.
final class APISyncSourceTests: XCTestCase {
    final class Quiet: RunObserver {
        func inputStarted(_ input: String) {}
        func recordProcessed(_ change: RecordChange) {}
        func recordRejected(_ issues: [RecordIssue], rawText: String) {}
        func inputFailed(_ error: InputError, discarded: Bool) {}
        func inputFinished(_ input: String, counts: RunCounts) {}
        func progress(input: String, records: Int) {}
    }

    var dir: URL!
    var stub: StubServer!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("api-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let items = (1...5).map { i in
            #"{"data": {"source_id": "e-\#(i)", "source_system": "expensify", "amount": "\#(i).00", "currency": "USD", "#
                + #""status": "approved", "expense_date": "2026-04-0\#(i)", "updated_at": "2026-05-0\#(i)T00:00:00Z"}, "#
                + #""id": "00000000-0000-4000-8000-00000000000\#(i)", "object": "expense"}"#
        }
        try Data("[\(items.joined(separator: ","))]".utf8).write(to: dir.appendingPathComponent("expenses.json"))
    }

    override func tearDown() {
        stub?.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func connection(every429: Int = 0) throws -> SyncConnection {
        var options = StubServer.Options(dataDirectory: dir.path, token: "t0ken")
        options.every429 = every429
        options.retryAfter = "7"
        stub = try StubServer(options: options)
        stub.start()
        let path = dir.appendingPathComponent("sync.json").path
        try Data(
            #"""
            {"version": 1, "connections": [{"name": "api", "connector": "backfill_api", "connection_id": "c",
             "base_url": "\#(stub.baseURL)", "token_env": "API_SYNC_TEST_TOKEN", "objects": ["expense"], "page_size": 2,
             "max_requests_per_second": 1000, "burst": 1000}]}
            """#.utf8
        ).write(to: URL(fileURLWithPath: path))
        let connection = try SyncConfig.load(path: path, factories: [BackfillAPIFactory()]).connections[0]
        XCTAssertEqual(connection.check(environment: [:]).count, 1, "a token that is not set is a problem before any request")
        XCTAssertEqual(connection.check(environment: ["API_SYNC_TEST_TOKEN": "t0ken"]), [])
        return connection
    }

    func sync(_ connection: SyncConnection, store: SQLiteStore, clock: FakeClock) throws -> (RunResult, SyncRunner) {
        let runner = SyncRunner(store: store, mode: .apply, observer: Quiet())
        return (try runner.sync(connection, context: SyncContext(dryRun: false, clock: clock) { _ in }), runner)
    }

    func testEachPageCommitsWithItsCursorAndARetryWaitsOnTheClock() throws {
        let connection = try connection(every429: 3)
        let store = try SQLiteStore.inMemory()
        let clock = FakeClock()
        let (result, runner) = try sync(connection, store: store, clock: clock)
        XCTAssertEqual(result.counts.created, 5)
        XCTAssertEqual(result.status, .succeeded)
        XCTAssertEqual(runner.failures, SyncRunner.FailureCounts())
        XCTAssertEqual(stub.requests.filter { $0.contains("GET /v1/expenses") }.count, 4, "3 pages, one of them asked twice")
        XCTAssertTrue(clock.slept.contains(7), "the Retry-After wait went to the clock: \(clock.slept)")
        let cursor = try XCTUnwrap(try store.cursor(connection: "api", stream: "expense"))
        let fields = try XCTUnwrap(try JSONParser.parse(cursor).objectValue)
        XCTAssertEqual(fields["next_page"], .null, "the pass is complete")
        XCTAssertEqual(fields["max_updated_at"]?.stringValue, "2026-05-05T00:00:00Z")
        XCTAssertTrue(runner.notes.contains { $0.hasPrefix("api: 4 HTTP request(s) in") }, "\(runner.notes)")
    }

    func testAnUnfinishedPassResumesAtItsNextPage() throws {
        let connection = try connection()
        let store = try SQLiteStore.inMemory()
        try store.transaction {
            try store.setCursor(connection: "api", stream: "expense", value: #"{"next_page": 3}"#, now: "t")
        }
        let (result, _) = try sync(connection, store: store, clock: FakeClock())
        XCTAssertEqual(result.counts.created, 1, "only page 3 (e-5) was read")
        XCTAssertEqual(stub.requests.filter { $0.contains("GET /v1/expenses") }.map { $0.contains("page=3") }, [true])
    }

    func testRefusedCredentialsEndTheConnectionAsCredentialsFailure() throws {
        let connection = try connection()
        _ = connection.check(environment: ["API_SYNC_TEST_TOKEN": "wrong"])
        let store = try SQLiteStore.inMemory()
        let (result, runner) = try sync(connection, store: store, clock: FakeClock())
        XCTAssertEqual(runner.failures.credentials, 1)
        XCTAssertEqual(result.counts.failed, 1)
        XCTAssertNil(try store.cursor(connection: "api", stream: "expense"), "no cursor moves past a page never read")
    }
}
