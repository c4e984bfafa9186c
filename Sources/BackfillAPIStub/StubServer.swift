import BackfillCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 that stands in for the Backfill API:
/// it serves list pages from JSON files (`<dir>/expenses.json`,
/// `<dir>/bank/transactions.json`: arrays of `{"data", "id", "object"}`
/// envelopes, re-read on every request so a test can change them between
/// syncs), checks the Bearer token, logs every request, and injects faults.
///
/// Loopback only, by construction: it binds 127.0.0.1 and nothing else.
public final class StubServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var dataDirectory: String
        public var token: String?
        /// Answer every n-th request 429 with `Retry-After` (0: never).
        public var every429 = 0
        public var retryAfter = "1"
        /// Answer every n-th request 500 (0: never).
        public var every500 = 0
        /// Answer every n-th request with truncated JSON (0: never).
        public var everyMalformed = 0
        /// Close every n-th connection without answering (0: never).
        public var everyReset = 0
        /// Wait this long before each answer.
        public var delayMilliseconds = 0
        /// The server's own page-size cap (a client's larger `limit` is cut to it).
        public var maxLimit = 100
        /// Bodies served as given for a resource's path (`"expenses"`),
        /// with status 200, whatever the page: hostile or broken pages.
        public var rawBodies: [String: String] = [:]
        /// Resources whose 200 body never ends (no Content-Length, bytes
        /// until the client hangs up, at most 4 GiB): the unbounded response.
        public var endlessResources: Set<String> = []
        /// Resources answered with this status and a JSON error whose
        /// `message` quotes every request header back, the Authorization
        /// header included: the server that echoes a token.
        public var echoingResources: [String: Int] = [:]
        /// Resources answered `302 Found` with this `Location`.
        public var redirects: [String: String] = [:]
        /// Resources that never answer: the request is read, then nothing.
        public var silentResources: Set<String> = []
        /// Resources whose answer comes one byte a second, for ever.
        public var tricklingResources: Set<String> = []
        /// Append each request line and its Authorization header here.
        public var logPath: String?

        public init(dataDirectory: String, token: String? = nil) {
            self.dataDirectory = dataDirectory
            self.token = token
        }
    }

    public let options: Options
    public private(set) var port: UInt16 = 0
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var requestCount = 0
    private var logLines: [String] = []
    /// Parsed data files by path, kept while the file's modification time
    /// stays the same: a 50k-record resource is parsed once, not per page.
    private var cache: [String: (stamp: String, items: [Value], extras: Fields)] = [:]

    public init(options: Options, port: UInt16 = 0) throws {
        self.options = options
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StubError.socket(String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw StubError.socket("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.listener = fd
    }

    public enum StubError: Error, CustomStringConvertible {
        case socket(String)
        public var description: String {
            switch self {
            case .socket(let m): return m
            }
        }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request so far: `GET /v1/expenses?limit=2&page=1 Authorization: Bearer …`.
    public var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return logLines
    }

    public func start() {
        let fd = listener
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Thread.detachNewThread { [self] in self.handle(client) }
            }
        }
    }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    // MARK: One connection

    private func handle(_ client: Int32) {
        defer { close(client) }
        guard let request = readRequest(client) else { return }
        let n: Int = {
            lock.lock()
            defer { lock.unlock() }
            requestCount += 1
            return requestCount
        }()
        let line = "\(request.method) \(request.target) Authorization: \(request.headers["authorization"] ?? "(none)")"
        lock.lock()
        logLines.append(line)
        if let path = options.logPath, let h = FileHandle(forWritingAtPath: path) ?? createLog(path) {
            h.seekToEndOfFile()
            h.write(Data((line + "\n").utf8))
            h.closeFile()
        }
        lock.unlock()
        if options.delayMilliseconds > 0 { usleep(UInt32(options.delayMilliseconds) * 1000) }

        if options.everyReset > 0 && n % options.everyReset == 0 { return }  // hang up unanswered
        if options.every429 > 0 && n % options.every429 == 0 {
            return send(
                client, 429, #"{"code":"RATE_LIMITED","message":"Too many requests","status":"error"}"#,
                extra: ["Retry-After": options.retryAfter])
        }
        if options.every500 > 0 && n % options.every500 == 0 {
            return send(client, 500, #"{"code":"INTERNAL","message":"Internal error","status":"error"}"#)
        }
        if let token = options.token, request.headers["authorization"] != "Bearer \(token)" {
            return send(client, 401, #"{"code":"UNAUTHORIZED","errors":[],"message":"Unauthorized","status":"error"}"#)
        }
        let resource = String(URLComponents(string: request.target)?.path.dropFirst(4) ?? "")
        if let raw = options.rawBodies[resource] { return send(client, 200, raw) }
        if let status = options.echoingResources[resource] {
            let quoted = request.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            let body = CanonicalJSON.string(
                .object([
                    "code": .string("BAD_REQUEST"), "status": .string("error"),
                    "message": .string("cannot serve this request; you sent \(quoted)"),
                ]))
            return send(client, status, body)
        }
        if let location = options.redirects[resource] {
            return send(client, 302, #"{"message":"moved"}"#, extra: ["Location": location])
        }
        if options.silentResources.contains(resource) { return waitForHangUp(client) }
        if options.tricklingResources.contains(resource) { return trickle(client) }
        if options.endlessResources.contains(resource) { return sendEndless(client) }
        let (status, body) = respond(to: request.target)
        if status == 200 && options.everyMalformed > 0 && n % options.everyMalformed == 0 {
            return send(client, 200, String(body.prefix(body.count / 2)))
        }
        send(client, status, body)
    }

    private func sendEndless(_ client: Int32) {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"data\": [\"".utf8)
        _ = head.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 16)
        for _ in 0..<(1 << 16) {
            let n = chunk.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
        }
    }

    /// Holds the connection open, saying nothing, until the client leaves
    /// (or two minutes pass).
    private func waitForHangUp(_ client: Int32) {
        var pollfd = Glibc.pollfd(fd: client, events: Int16(POLLIN), revents: 0)
        _ = poll(&pollfd, 1, 120_000)
    }

    /// A valid start of an answer, then one byte a second until the client
    /// hangs up (or two minutes pass).
    private func trickle(_ client: Int32) {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".utf8)
        _ = head.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        for _ in 0..<120 {
            var byte = UInt8(ascii: " ")
            if Glibc.send(client, &byte, 1, Int32(MSG_NOSIGNAL)) <= 0 { return }
            sleep(1)
        }
    }

    private func createLog(_ path: String) -> FileHandle? {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { return nil }
        return FileHandle(forWritingAtPath: path)
    }

    struct Request {
        let method: String
        let target: String
        let headers: [String: String]
    }

    private func readRequest(_ client: Int32) -> Request? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = recv(client, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            bytes += chunk[0..<n]
            // A GET has no body: the request ends with its blank line.
            if bytes.firstRange(of: [13, 10, 13, 10] as [UInt8]) != nil { break }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(first[0]), target: String(first[1]), headers: headers)
    }

    private func send(_ client: Int32, _ status: Int, _ body: String, extra: [String: String] = [:]) {
        let reasons = [
            200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error",
        ]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Error")\r\nContent-Type: application/json\r\n"
        for (k, v) in extra { head += "\(k): \(v)\r\n" }
        let payload = Array(body.utf8)
        head += "Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let all = Array(head.utf8) + payload
        var offset = 0
        while offset < all.count {
            let n = all[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func load(_ file: String) -> ([Value], Fields)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        // Modification time and size together: an edit within the clock's
        // resolution still changes the size or the time.
        let stamp = "\(modified.timeIntervalSince1970) \((attributes[.size] as? NSNumber)?.intValue ?? -1)"
        lock.lock()
        if let hit = cache[file], hit.stamp == stamp {
            lock.unlock()
            return (hit.items, hit.extras)
        }
        lock.unlock()
        guard let data = FileManager.default.contents(atPath: file), let parsed = try? JSONParser.parse(Array(data)) else { return nil }
        var extras: Fields = [:]
        var items: [Value] = []
        switch parsed {
        case .array(let a): items = a
        case .object(let o):
            items = o["data"]?.arrayValue ?? []
            extras = o.filter { $0.key != "data" }
        default: break
        }
        lock.lock()
        cache[file] = (stamp, items, extras)
        lock.unlock()
        return (items, extras)
    }

    /// A list page from `<dir>/<resource>.json`, 1-based pages.
    private func respond(to target: String) -> (Int, String) {
        guard let components = URLComponents(string: target), components.path.hasPrefix("/v1/") else {
            return (404, #"{"code":"NOT_FOUND","message":"Not found","status":"error"}"#)
        }
        let resource = String(components.path.dropFirst(4))
        let file = URL(fileURLWithPath: options.dataDirectory).appendingPathComponent(resource + ".json").path
        guard let (items, extras) = load(file) else {
            return (404, #"{"code":"NOT_FOUND","message":"Not found","status":"error"}"#)
        }
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let limit = min(max(Int(query["limit"] ?? "") ?? 100, 1), options.maxLimit)
        let page = max(Int(query["page"] ?? "") ?? 1, 1)
        let start = min((page - 1) * limit, items.count)
        let slice = Array(items[start..<min(start + limit, items.count)])
        var body = extras
        body["data"] = .array(slice)
        body["object"] = .string("list")
        body["pagination"] = .object(["limit": .integer(limit), "page": .integer(page)])
        return (200, CanonicalJSON.string(.object(body)))
    }
}
