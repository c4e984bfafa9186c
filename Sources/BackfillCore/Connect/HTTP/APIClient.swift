import Foundation

/// Why a request for a page failed for good.
public enum APIError: Error, Sendable, CustomStringConvertible {
    /// 401/403: the credentials are refused. Stops the whole connection.
    case unauthorized(status: Int, url: String)
    /// Another 4xx: the request itself is wrong; retrying cannot help.
    case rejected(status: Int, url: String, message: String)
    /// 429/5xx/timeouts/malformed JSON still failing after every retry.
    case retriesExhausted(url: String, attempts: Int, last: String)
    /// The body passed the response limit: stopped, not retried (the same
    /// page would be as large again).
    case tooLarge(url: String, message: String)
    /// A `3xx`: never followed, so the token goes to no other origin.
    case redirected(status: Int, url: String, location: String)
    /// The resource's deadline passed (`resource_deadline_seconds`).
    case deadlineExceeded(url: String, seconds: Double, last: String?)
    /// SIGINT or SIGTERM arrived while the page was wanted.
    case interrupted(Interrupted)

    public var description: String {
        switch self {
        case .unauthorized(let status, let url):
            return "\(url): HTTP \(status): the token was refused"
        case .rejected(let status, let url, let message):
            return "\(url): HTTP \(status): \(message)"
        case .retriesExhausted(let url, let attempts, let last):
            return "\(url): gave up after \(attempts) attempts; last: \(last)"
        case .tooLarge(let url, let message):
            return "\(url): \(message)"
        case .redirected(let status, let url, let location):
            return "\(url): HTTP \(status) redirect to \(location) not followed: the token is sent only to base_url's "
                + "origin; set base_url to where the API answers"
        case .deadlineExceeded(let url, let seconds, let last):
            return "\(url): the resource's deadline of \(Int(seconds)) s (resource_deadline_seconds) passed"
                + (last.map { "; last: \($0)" } ?? "")
        case .interrupted(let signal):
            return signal.description
        }
    }
}

/// GETs JSON from an API with Bearer auth, a client-side rate limit, and
/// retries on 429, 5xx, timeouts, broken connections and malformed JSON.
///
/// The token lives only in the request header: errors, progress and logs
/// name the URL (which never carries it) and the status. Redirects are
/// refused rather than followed, with or without the header: a redirect
/// of an API list page is a misconfigured base_url, and following it to
/// another origin is how a token leaks. What a server says back is
/// quoted only after `Secrets.redact`, since servers echo headers.
public final class APIClient: @unchecked Sendable {
    let transport: HTTPTransport
    let bucket: TokenBucket
    let retry: RetryPolicy
    let clock: Clock
    let timeout: Double
    let limits: InputLimits
    private let token: String
    public private(set) var requests = 0
    /// Seconds spent waiting for responses (connect, send, server, body).
    public private(set) var secondsInRequests = 0.0
    /// Seconds spent holding back on purpose: the rate limit and retry waits.
    public private(set) var secondsHoldingBack = 0.0
    /// Called before each retry wait: (url, attempt, why, seconds).
    public var onRetry: ((String, Int, String, Double) -> Void)?
    /// When the current resource must be done (clock time), and how long it
    /// was given: requests are cut short and retries given up to meet it.
    public var deadline: (at: Double, seconds: Double)?
    private var random = SystemRandomNumberGenerator()

    public init(
        transport: HTTPTransport, token: String, retry: RetryPolicy, bucket: TokenBucket,
        timeout: Double, limits: InputLimits = .standard, clock: Clock = SystemClock()
    ) {
        self.limits = limits
        self.transport = transport
        self.token = token
        self.retry = retry
        self.bucket = bucket
        self.timeout = timeout
        self.clock = clock
    }

    /// The body of a 2xx answer, parsed strictly. Malformed JSON, and JSON
    /// that `shape` finds wrong (it returns why), are retried like a 5xx:
    /// a server mid-deploy sends both, and a page is never half-read.
    public func getJSON(_ url: URL, shape: (Value) -> String? = { _ in nil }) throws(APIError) -> Value {
        let shown = url.absoluteString
        var attempt = 0
        while true {
            attempt += 1
            let throttled = clock.now()
            bucket.acquire()
            secondsHoldingBack += clock.now() - throttled
            if let signal = Interruption.pending { throw APIError.interrupted(Interrupted(signal: signal)) }
            let problem: String
            var headers: [String: String] = [:]
            do {
                let sent = clock.now()
                var requestTimeout = timeout
                if let deadline {
                    guard sent < deadline.at else { throw APIError.deadlineExceeded(url: shown, seconds: deadline.seconds, last: nil) }
                    requestTimeout = min(timeout, deadline.at - sent)
                }
                requests += 1
                let response: HTTPResponse
                do {
                    defer { secondsInRequests += clock.now() - sent }
                    response = try transport.get(
                        url, headers: ["Authorization": "Bearer \(token)", "Accept": "application/json"],
                        timeout: requestTimeout, maxBodyBytes: limits.maxResponseBytes)
                }
                headers = response.headers
                switch response.status {
                case 200..<300:
                    do {
                        let value = try JSONParser.parse(response.body, limits: limits.json)
                        if let wrong = shape(value) { problem = "JSON of the wrong shape: \(wrong)" } else { return value }
                    } catch {
                        problem = "malformed JSON (\(error.message) at \(error.path), line \(error.line), byte \(error.offset))"
                    }
                case 300..<400:
                    let location = response.headers["location"].map { Self.origin(of: $0, relativeTo: url) } ?? "(no Location)"
                    throw APIError.redirected(status: response.status, url: shown, location: location)
                case 401, 403:
                    throw APIError.unauthorized(status: response.status, url: shown)
                case let status where RetryPolicy.isRetryable(status: status):
                    problem = "HTTP \(status)" + (serverMessage(response).map { ": \($0)" } ?? "")
                default:
                    throw APIError.rejected(status: response.status, url: shown, message: serverMessage(response) ?? "request refused")
                }
            } catch let error as APIError {
                throw error
            } catch let error as TransportError where error.kind == .tooLarge {
                throw APIError.tooLarge(url: shown, message: error.message)
            } catch let error as TransportError where error.kind == .interrupted {
                throw APIError.interrupted(Interrupted(signal: Interruption.pending ?? SIGTERM))
            } catch {
                problem = "\(error)"
            }
            guard attempt <= retry.maxRetries else {
                throw APIError.retriesExhausted(url: shown, attempts: attempt, last: problem)
            }
            let wait = retry.delay(
                attempt: attempt, headers: headers, now: clock.now(),
                random: Double.random(in: 0...1, using: &random))
            // A wait that would end past the deadline is not waited.
            if let deadline, clock.now() + wait >= deadline.at {
                throw APIError.deadlineExceeded(url: shown, seconds: deadline.seconds, last: problem)
            }
            onRetry?(shown, attempt, problem, wait)
            let waiting = clock.now()
            clock.sleep(seconds: wait)
            secondsHoldingBack += clock.now() - waiting
        }
    }

    /// The `message` of a JSON error body, shortened and redacted: servers
    /// quote request headers back, the Authorization header included.
    private func serverMessage(_ response: HTTPResponse) -> String? {
        guard let message = (try? JSONParser.parse(response.body, limits: limits.json))?["message"]?.stringValue else { return nil }
        return Excerpt(Secrets.redact(message), limit: 200).description
    }

    /// Where a redirect points, as `scheme://host:port` only: its path and
    /// query may carry anything, a signed credential included.
    static func origin(of location: String, relativeTo url: URL) -> String {
        guard let target = URL(string: location, relativeTo: url)?.absoluteURL, let host = target.host else {
            return "(an unreadable Location)"
        }
        return "\(target.scheme ?? "?")://\(host)" + (target.port.map { ":\($0)" } ?? "")
    }
}
