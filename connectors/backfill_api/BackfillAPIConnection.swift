import BackfillCore
import Foundation

/// The `backfill_api` connector as a plug-in: sync only (it reads no files).
public struct BackfillAPIFactory: ConnectorFactory {
    public init() {}
    public var kind: String { "backfill_api" }
    public var syncs: Bool { true }

    public func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection? {
        BackfillAPIConnection(entry: entry, settings: try BackfillAPISettings(entry))
    }
}

/// A `backfill_api` connection's keys, checked, with defaults.
public struct BackfillAPISettings: Sendable {
    public var baseURL: URL
    public var tokenEnv: String
    public var objects: [String]
    public var pageSize = 100
    public var maxRequestsPerSecond = 10.0
    public var burst = 20
    public var maxRetries = 5
    /// Each request, connect to last byte.
    public var timeoutSeconds = 30.0
    /// One resource's whole pass, retries and waits included.
    public var resourceDeadlineSeconds = 1800.0
    /// The longest wait a `Retry-After` (or backoff) gets; longer hints are cut to it.
    public var maxRetryAfterSeconds = 60.0
    /// `max_response_mib`: the largest API response read.
    public var maxResponseBytes = InputLimits.standard.maxResponseBytes

    init(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) {
        entry.warnUnknown(besides: [
            "base_url", "token_env", "objects", "page_size", "max_requests_per_second", "burst",
            "max_retries", "timeout_seconds", "max_response_mib", "resource_deadline_seconds",
            "max_retry_after_seconds",
        ])
        let base = try entry.string("base_url", required: true)!
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw entry.fail("base_url", "'\(Excerpt(base))' is not a URL")
        }
        // A password in a URL ends up in logs and reports; the token has its
        // own place. The URL itself is not quoted back here.
        guard url.user == nil && url.password == nil else {
            throw entry.fail("base_url", "must not carry a user name or password (user:pass@); the token comes from token_env")
        }
        // The token travels in a header: never over cleartext, except to this
        // machine (the loopback test server).
        guard scheme == "https" || (scheme == "http" && HostAddress.isLoopback(host)) else {
            throw entry.fail("base_url", "must be https:// (http:// is allowed only for loopback addresses)")
        }
        baseURL = url
        tokenEnv = try entry.string("token_env", required: true)!
        let catalog = entry.reader.catalog
        if let list = entry.fields["objects"] {
            guard case .array(let items) = list else { throw entry.fail("objects", "must be a list of object types") }
            objects = []
            for (j, item) in items.enumerated() {
                guard case .string(let type) = item, catalog.contract(for: type) != nil else {
                    throw entry.fail("objects[\(j)]", "\(CanonicalJSON.string(item)) is not a canonical object type")
                }
                objects.append(type)
            }
        } else {
            objects = catalog.objectTypes
        }
        pageSize = Int(try entry.number("page_size", default: 100, whole: true))
        maxRequestsPerSecond = try entry.number("max_requests_per_second", default: 10)
        burst = Int(try entry.number("burst", default: 20, whole: true))
        maxRetries = Int(try entry.number("max_retries", default: 5, positive: false, whole: true))
        timeoutSeconds = try entry.number("timeout_seconds", default: 30, maximum: 86400)
        resourceDeadlineSeconds = try entry.number("resource_deadline_seconds", default: 1800, maximum: 7 * 86400)
        maxRetryAfterSeconds = try entry.number("max_retry_after_seconds", default: 60, positive: false, maximum: 86400)
        maxResponseBytes = min(4096, Int(try entry.number("max_response_mib", default: 64, whole: true))) << 20
    }
}

/// A configured `backfill_api` connection: one source per object type,
/// sharing one HTTP client (its rate limit spans the connection).
public final class BackfillAPIConnection: SyncConnection {
    public let entry: ConnectionEntry
    public let settings: BackfillAPISettings
    private var token: String?
    private var client: APIClient?
    private var started = 0.0
    private var clock: Clock = SystemClock()
    let waits = PageWaits()

    init(entry: ConnectionEntry, settings: BackfillAPISettings) {
        self.entry = entry
        self.settings = settings
    }

    public var runInputs: [String] { settings.objects.map { "\(settings.baseURL.absoluteString) \($0)" } }
    public var normalizer: Normalizer { Normalizer() }

    /// The token comes from the environment, and a missing one names the
    /// variable, never a value.
    public func check(environment: [String: String]) -> [String] {
        guard let value = environment[settings.tokenEnv], !value.isEmpty else {
            return ["\(entry.reader.file): \(entry.keyPath).token_env: the environment variable \(settings.tokenEnv) is not set"]
        }
        token = value
        Secrets.register(value)
        return []
    }

    public func sources(_ context: SyncContext) throws -> [SyncSource] {
        let s = settings
        let client = APIClient(
            transport: CurlTransport(), token: token ?? "",
            retry: RetryPolicy(maxRetries: s.maxRetries, maxDelay: s.maxRetryAfterSeconds),
            bucket: TokenBucket(rate: s.maxRequestsPerSecond, burst: s.burst, clock: context.clock),
            timeout: s.timeoutSeconds, limits: InputLimits(maxResponseBytes: s.maxResponseBytes), clock: context.clock)
        let name = entry.name
        let log = context.log
        client.onRetry = { url, attempt, problem, wait in
            log("backfill-sync: \(name): \(url): \(problem); retry \(attempt) of \(s.maxRetries) in \(String(format: "%.1f", wait)) s")
        }
        self.client = client
        self.clock = context.clock
        started = context.clock.now()
        let connector = BackfillAPIConnector(connectionID: entry.connectionID)
        return settings.objects.compactMap { object in
            connector.path(for: object).map {
                APIResourceSource(object: object, path: $0, connection: self, client: client, connector: connector, context: context)
            }
        }
    }

    /// Is a slow sync the server's or ours? How long requests took (they
    /// overlap writing the page before), and how long the sync stood still
    /// waiting for a page.
    public func finishNotes() -> [String] {
        guard let client else { return [] }
        let total = clock.now() - started
        func s(_ x: Double) -> String { String(format: "%.2f s", x) }
        let share = total > 0 ? String(format: " (%.0f%%)", 100 * waits.seconds / total) : ""
        return [
            "\(entry.name): \(client.requests) HTTP request(s) in \(s(total)): responses took \(s(client.secondsInRequests)), "
                + "\(s(client.secondsHoldingBack)) went to rate-limit and retry waits, and the sync stood waiting for pages "
                + "\(s(waits.seconds))\(share)"
        ]
    }
}

/// Seconds the sync stood waiting for a page, over the connection's resources.
final class PageWaits {
    var seconds = 0.0
}
