import Foundation
import XCTest

@testable import BackfillCore

/// A clock that only moves when something sleeps.
final class FakeClock: Clock, @unchecked Sendable {
    var time = 1_000_000.0
    var slept: [Double] = []
    func now() -> Double { time }
    func sleep(seconds: Double) {
        slept.append(seconds)
        time += seconds
    }
}

/// Answers requests from a script of responses.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    var script: [Result<HTTPResponse, TransportError>]
    var seenHeaders: [[String: String]] = []
    init(_ script: [Result<HTTPResponse, TransportError>]) { self.script = script }
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) throws(TransportError) -> HTTPResponse {
        seenHeaders.append(headers)
        switch script.removeFirst() {
        case .success(let r): return r
        case .failure(let e): throw e
        }
    }
}

func response(_ status: Int, _ body: String = "{}", headers: [String: String] = [:]) -> Result<HTTPResponse, TransportError> {
    .success(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
}

final class HTTPTests: XCTestCase {
    func testRetryAfterAndRateLimitResetWinOverBackoff() {
        let policy = RetryPolicy(maxRetries: 5)
        XCTAssertEqual(policy.delay(attempt: 1, headers: ["retry-after": "7"], now: 0, random: 0), 7)
        // RFC 9110 date, 30 s after "now".
        let now = RetryPolicy.httpDate("Sun, 06 Nov 1994 08:49:07 GMT")!
        XCTAssertEqual(policy.delay(attempt: 1, headers: ["retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"], now: now, random: 0), 30)
        XCTAssertEqual(policy.delay(attempt: 1, headers: ["x-ratelimit-reset": "1012"], now: 1000, random: 0), 12)
        // "0" is no hint: exponential backoff with jitter in [½, 1] × base × 2^(n−1).
        XCTAssertEqual(policy.delay(attempt: 3, headers: ["retry-after": "0"], now: 0, random: 0), 1.0)
        XCTAssertEqual(policy.delay(attempt: 3, headers: [:], now: 0, random: 1), 2.0)
        XCTAssertEqual(policy.delay(attempt: 30, headers: [:], now: 0, random: 1), 60, "capped")
    }

    func testTokenBucketSpacesRequestsAfterTheBurst() {
        let clock = FakeClock()
        let bucket = TokenBucket(rate: 10, burst: 2, clock: clock)
        for _ in 0..<4 { bucket.acquire() }
        XCTAssertEqual(clock.slept.count, 2, "two from the burst, then waits")
        XCTAssertEqual(clock.slept.reduce(0, +), 0.2, accuracy: 1e-9)
    }

    func client(_ transport: ScriptedTransport, retries: Int = 3) -> (APIClient, FakeClock) {
        let clock = FakeClock()
        return (
            APIClient(
                transport: transport, token: "s3cret", retry: RetryPolicy(maxRetries: retries),
                bucket: TokenBucket(rate: 1000, burst: 1000, clock: clock), timeout: 5, clock: clock), clock
        )
    }

    func testRetriesThroughTransientFailuresAndSendsTheBearerToken() throws {
        let transport = ScriptedTransport([
            response(429, headers: ["retry-after": "2"]), response(503),
            .failure(TransportError(kind: .timeout, message: "timed out")),
            response(200, #"{"data": [1, 2"#), response(200, #"{"data": []}"#),
        ])
        let (client, clock) = client(transport, retries: 4)
        XCTAssertEqual(try client.getJSON(URL(string: "http://127.0.0.1/v1/x")!), .object(["data": .array([])]))
        XCTAssertEqual(client.requests, 5)
        XCTAssertEqual(clock.slept.first, 2, "Retry-After honoured")
        XCTAssertTrue(transport.seenHeaders.allSatisfy { $0["Authorization"] == "Bearer s3cret" })
        // Every wait is the client holding back (the fake transport answers
        // at once): the report can tell the server's time from ours.
        XCTAssertEqual(client.secondsHoldingBack, clock.slept.reduce(0, +), accuracy: 1e-9)
        XCTAssertEqual(client.secondsInRequests, 0, accuracy: 1e-9)
    }

    func testGivesUpAfterMaxRetriesWithoutNamingTheToken() {
        let (client, _) = client(ScriptedTransport(Array(repeating: response(500), count: 3)), retries: 2)
        XCTAssertThrowsError(try client.getJSON(URL(string: "http://127.0.0.1/v1/x")!)) { error in
            guard case APIError.retriesExhausted(_, let attempts, let last) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(attempts, 3)
            XCTAssertEqual(last, "HTTP 500")
            XCTAssertFalse("\(error)".contains("s3cret"))
        }
    }

    func testUnauthorizedAndOtherClientErrorsAreNotRetried() {
        let (client, _) = client(ScriptedTransport([response(401)]))
        XCTAssertThrowsError(try client.getJSON(URL(string: "http://127.0.0.1/v1/x")!)) { error in
            guard case APIError.unauthorized(401, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(client.requests, 1)
        let (other, _) = self.client(ScriptedTransport([response(404, #"{"message": "Not found"}"#)]))
        XCTAssertThrowsError(try other.getJSON(URL(string: "http://127.0.0.1/v1/x")!)) { error in
            guard case APIError.rejected(404, _, "Not found") = error else { return XCTFail("\(error)") }
        }
    }

    func testPagingStopsOnTheServerReportedLimit() throws {
        let page = { (n: Int, limit: Int) -> Result<HTTPResponse, TransportError> in
            let items = Array(repeating: "{}", count: n).joined(separator: ",")
            return response(200, #"{"data": [\#(items)], "pagination": {"limit": \#(limit), "page": 1}}"#)
        }
        // The server caps our 100 at 2: two items are a full page, not the last.
        let (client, _) = client(ScriptedTransport([page(2, 2), page(1, 2), page(0, 100)]))
        let list = PagedList(client: client, baseURL: URL(string: "http://127.0.0.1:9")!, path: "/v1/expenses", pageSize: 100)
        XCTAssertFalse(try list.fetch(page: 1).isLast)
        XCTAssertTrue(try list.fetch(page: 2).isLast, "shorter than the reported limit")
        XCTAssertTrue(try list.fetch(page: 3).isLast, "empty")
        XCTAssertEqual(list.url(page: 3).absoluteString, "http://127.0.0.1:9/v1/expenses?limit=100&page=3")
    }
}
