import Foundation

/// The `sync` configuration file (`config.example.json`), with exactly the
/// keys the sync issue fixes so configs stay portable.
///
/// Errors name the file and key path (`connections[1].token_env`); unknown
/// keys are warnings, not errors, so a newer config still runs on an older
/// binary. Relative paths resolve against the config file's folder. Secrets
/// are never in the file: `token_env` names the environment variable.
public struct SyncConfig: Sendable {
    public enum ConnectorKind: String, Sendable, CaseIterable {
        case backfillAPI = "backfill_api"
        case csvUpload = "csv_upload"
        case layerBills = "layer_bills"
    }

    public struct Connection: Sendable {
        public var name: String
        public var connector: ConnectorKind
        public var connectionID: String
        // backfill_api
        public var baseURL: URL?
        public var tokenEnv: String?
        public var objects: [String] = []
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
        // file drops
        public var glob: String?
        public var object: String?
        public var mapping: String?
        public var currency = "USD"
        /// Where this connection sits in the file, for messages.
        public var keyPath: String
    }

    public var version: Int
    public var storePath: String
    public var connections: [Connection]
    public var warnings: [String] = []
    public let file: String

    public struct ConfigError: Error, CustomStringConvertible {
        public let file: String
        public let keyPath: String
        public let message: String
        /// No file at the path at all: the caller says how to make one.
        public var isMissing = false
        public var description: String { keyPath == "$" ? "\(file): \(message)" : "\(file): \(keyPath): \(message)" }
    }

    public static func load(path: String, catalog: ContractCatalog = .standard) throws(ConfigError) -> SyncConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = UnreadablePath.check(path) ?? .denied
            let message: String
            switch why {
            case .missing: message = "the config file is missing"
            case .directory: message = "is a directory, not a config file"
            case .denied: message = "cannot read the config file (permission denied?)"
            }
            throw ConfigError(file: path, keyPath: "$", message: message, isMissing: why == .missing)
        }
        let root: Value
        do { root = try JSONParser.parse(Array(data)) } catch {
            throw ConfigError(file: path, keyPath: error.path, message: "not JSON: \(error.message) (byte \(error.offset))")
        }
        var reader = ConfigReader(file: path, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        return try reader.config(root, catalog: catalog)
    }
}

/// Reads typed values out of the config JSON, naming the key path on error.
struct ConfigReader {
    let file: String
    let folder: String
    var warnings: [String] = []

    func fail(_ path: String, _ message: String) -> SyncConfig.ConfigError {
        SyncConfig.ConfigError(file: file, keyPath: path, message: message)
    }

    mutating func warnUnknown(_ object: Fields, known: Set<String>, at path: String) {
        for key in object.keys.sorted() where !known.contains(key) {
            warnings.append("\(file): \(path.isEmpty ? key : path + "." + key): unknown key, ignored")
        }
    }

    func string(_ o: Fields, _ key: String, _ path: String, required: Bool = false) throws(SyncConfig.ConfigError) -> String? {
        switch o[key] {
        case nil, .null?:
            if required { throw fail("\(path).\(key)", "is required") }
            return nil
        case .string(let s)?:
            if s.isEmpty && required { throw fail("\(path).\(key)", "must not be empty") }
            return s
        default: throw fail("\(path).\(key)", "must be a string")
        }
    }

    func number(_ o: Fields, _ key: String, _ path: String, default value: Double, positive: Bool = true,
                whole: Bool = false, maximum: Double? = nil) throws(SyncConfig.ConfigError) -> Double {
        guard let v = o[key], !v.isNull else { return value }
        guard case .number(let text) = v, let n = Double(text) else { throw fail("\(path).\(key)", "must be a number") }
        if whole && n.rounded() != n { throw fail("\(path).\(key)", "must be a whole number") }
        // Whole numbers become Int: beyond this they are no real setting,
        // and the conversion of a larger Double would trap.
        if whole && n > 1_000_000_000 { throw fail("\(path).\(key)", "must be at most 1000000000") }
        if !n.isFinite { throw fail("\(path).\(key)", "must be a finite number") }
        if positive && n <= 0 { throw fail("\(path).\(key)", "must be greater than 0") }
        if !positive && n < 0 { throw fail("\(path).\(key)", "must not be negative") }
        if let maximum, n > maximum { throw fail("\(path).\(key)", "must be at most \(Int(maximum))") }
        return n
    }

    func resolve(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : URL(fileURLWithPath: folder).appendingPathComponent(relative).standardized.path
    }

    mutating func config(_ root: Value, catalog: ContractCatalog) throws(SyncConfig.ConfigError) -> SyncConfig {
        guard case .object(let top) = root else { throw fail("$", "expected a JSON object") }
        warnUnknown(top, known: ["version", "store", "connections"], at: "")
        guard case .number(let v)? = top["version"], v == "1" else {
            throw fail("version", "must be 1 (this backfill-sync reads config version 1)")
        }
        var storePath = resolve("backfill.sqlite")
        if let store = top["store"] {
            guard case .object(let s) = store else { throw fail("store", "must be an object") }
            warnUnknown(s, known: ["path"], at: "store")
            if let p = try string(s, "path", "store") { storePath = resolve(p) }
        }
        guard case .array(let items)? = top["connections"] else { throw fail("connections", "is required: a list of connections") }
        var connections: [SyncConfig.Connection] = []
        var names: Set<String> = []
        for (i, item) in items.enumerated() {
            let path = "connections[\(i)]"
            guard case .object(let o) = item else { throw fail(path, "must be an object") }
            let name = try string(o, "name", path, required: true)!
            guard names.insert(name).inserted else { throw fail("\(path).name", "'\(name)' is used by another connection") }
            let kindText = try string(o, "connector", path, required: true)!
            guard let kind = SyncConfig.ConnectorKind(rawValue: kindText) else {
                throw fail("\(path).connector", "'\(kindText)' is not a connector; use one of \(SyncConfig.ConnectorKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var c = SyncConfig.Connection(name: name, connector: kind,
                                          connectionID: try string(o, "connection_id", path, required: true)!, keyPath: path)
            switch kind {
            case .backfillAPI:
                warnUnknown(o, known: ["name", "connector", "connection_id", "base_url", "token_env", "objects", "page_size",
                                       "max_requests_per_second", "burst", "max_retries", "timeout_seconds", "max_response_mib",
                                       "resource_deadline_seconds", "max_retry_after_seconds"], at: path)
                let base = try string(o, "base_url", path, required: true)!
                guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), let host = url.host else {
                    throw fail("\(path).base_url", "'\(Excerpt(base))' is not a URL")
                }
                // A password in a URL ends up in logs and reports; the token
                // has its own place. The URL itself is not quoted back here.
                guard url.user == nil && url.password == nil else {
                    throw fail("\(path).base_url", "must not carry a user name or password (user:pass@); the token comes from token_env")
                }
                // The token travels in a header: never over cleartext, except to
                // this machine (the loopback test server).
                guard scheme == "https" || (scheme == "http" && Self.isLoopback(host)) else {
                    throw fail("\(path).base_url", "must be https:// (http:// is allowed only for loopback addresses)")
                }
                c.baseURL = url
                c.tokenEnv = try string(o, "token_env", path, required: true)
                if let objects = o["objects"] {
                    guard case .array(let list) = objects else { throw fail("\(path).objects", "must be a list of object types") }
                    for (j, entry) in list.enumerated() {
                        guard case .string(let type) = entry, catalog.contract(for: type) != nil else {
                            throw fail("\(path).objects[\(j)]", "\(CanonicalJSON.string(entry)) is not a canonical object type")
                        }
                        c.objects.append(type)
                    }
                } else {
                    c.objects = catalog.objectTypes
                }
                c.pageSize = Int(try number(o, "page_size", path, default: 100, whole: true))
                c.maxRequestsPerSecond = try number(o, "max_requests_per_second", path, default: 10)
                c.burst = Int(try number(o, "burst", path, default: 20, whole: true))
                c.maxRetries = Int(try number(o, "max_retries", path, default: 5, positive: false, whole: true))
                c.timeoutSeconds = try number(o, "timeout_seconds", path, default: 30, maximum: 86400)
                c.resourceDeadlineSeconds = try number(o, "resource_deadline_seconds", path, default: 1800, maximum: 7 * 86400)
                c.maxRetryAfterSeconds = try number(o, "max_retry_after_seconds", path, default: 60, positive: false, maximum: 86400)
                c.maxResponseBytes = min(4096, Int(try number(o, "max_response_mib", path, default: 64, whole: true))) << 20
            case .csvUpload, .layerBills:
                let known: Set<String> = kind == .csvUpload
                    ? ["name", "connector", "connection_id", "glob", "object", "mapping"]
                    : ["name", "connector", "connection_id", "glob", "currency"]
                warnUnknown(o, known: known, at: path)
                c.glob = resolve(try string(o, "glob", path, required: true)!)
                if kind == .csvUpload {
                    let object = try string(o, "object", path, required: true)!
                    guard catalog.contract(for: object) != nil else { throw fail("\(path).object", "'\(object)' is not a canonical object type") }
                    c.object = object
                    c.mapping = try string(o, "mapping", path).map(resolve)
                } else {
                    let currency = (try string(o, "currency", path) ?? "USD").uppercased()
                    guard Currency.minorUnits(currency) != nil else { throw fail("\(path).currency", "'\(currency)' is not an ISO 4217 code") }
                    c.currency = currency
                }
            }
            connections.append(c)
        }
        return SyncConfig(version: 1, storePath: storePath, connections: connections, warnings: warnings, file: file)
    }

    /// Loopback is what the host resolves to, not how it is spelled:
    /// `127.attacker.example` starts like a loopback address and is not
    /// one. Every address the name resolves to must be in 127.0.0.0/8 or be
    /// `::1`; a name that does not resolve is not loopback.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, list != nil else { return false }
        defer { freeaddrinfo(list) }
        var next = list
        while let entry = next?.pointee {
            guard let address = entry.ai_addr else { return false }
            switch entry.ai_family {
            case AF_INET:
                let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                if ip >> 24 != 127 { return false }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if bytes != Array(repeating: 0, count: 15) + [1] { return false }
            default:
                return false
            }
            next = entry.ai_next
        }
        return true
    }
}
