import Foundation
import BackfillCore
import BackfillSQLite
import BackfillAPI
import CSVUpload
import LayerBills
#if canImport(Glibc)
import Glibc
#endif

/// Runs one configured connection through the pipeline, each of its inputs
/// (an API page, a dropped file) in one transaction together with the cursor
/// move that records it. The registry of connectors: the only place that
/// knows which connector a config entry names.
final class ConnectionSync {
    let store: any RecordStore
    let dryRun: Bool
    let fullRefresh: Bool
    let observer: BreakdownObserver
    private(set) var notes: [String] = []
    private(set) var authFailures = 0
    private(set) var temporaryFailures = 0
    private(set) var refusedRequests = 0
    /// Resources or connections stopped by a failure of the tool (not of
    /// the data, not of the server): exit 70 once every other one has run.
    private(set) var internalFailures = 0

    init(store: any RecordStore, dryRun: Bool, fullRefresh: Bool, observer: BreakdownObserver) {
        self.store = store
        self.dryRun = dryRun
        self.fullRefresh = fullRefresh
        self.observer = observer
        if fullRefresh { notes.append("--full-refresh: cursors were ignored; every page and file was read again") }
    }

    struct Outcome {
        let counts: RunCounts
        let runID: Int?
        let status: ImportRun.Status
    }
    /// The connection a stopping error ended, as its run row was closed.
    private(set) var stoppedRun = Outcome(counts: RunCounts(), runID: nil, status: .failed)

    /// Errors that end the whole sync rather than one input: a signal, and
    /// a store that is busy, full or failing, which every later input would
    /// meet as well.
    static func stopsTheSync(_ error: Error) -> Bool {
        error.stopsTheRun
    }

    func sync(_ connection: SyncConfig.Connection, token: String?, mapping: CSVMapping?) throws -> Outcome {
        observer.connection = connection.name
        stoppedRun = Outcome(counts: RunCounts(), runID: nil, status: .failed)
        let inputs: [String]
        switch connection.connector {
        case .backfillAPI: inputs = connection.objects.map { "\(connection.baseURL!.absoluteString) \($0)" }
        case .csvUpload, .layerBills: inputs = [connection.glob ?? ""]
        }
        let mapping = mapping ?? CSVMapping()
        let run = try ImportRun(store: store, mode: dryRun ? .dryRun : .apply, strict: false,
                                connector: connection.connector.rawValue, connectionID: connection.connectionID,
                                inputs: inputs, normalizer: Normalizer(options: mapping.options), observer: observer)
        do {
            switch connection.connector {
            case .backfillAPI:
                try syncAPI(connection, token: token ?? "", run: run)
            case .csvUpload:
                let connector = try CSVConnector(objectType: connection.object!, connectionID: connection.connectionID, mapping: mapping)
                observer.stream = connection.object!
                try syncFiles(connection, run: run) { file throws(InputError) in AnyRecordStream(try connector.open(file)) }
            case .layerBills:
                let connector = LayerConnector(connectionID: connection.connectionID, currency: connection.currency)
                observer.stream = "vendor_bill"
                try syncFiles(connection, run: run) { file throws(InputError) in AnyRecordStream(try connector.open(file)) }
            }
        } catch where Self.stopsTheSync(error) {
            // The run row is closed with what committed; the sync stops.
            let status = (try? run.finish(stopped: error is Interrupted ? .interrupted : .failed)) ?? .failed
            stoppedRun = Outcome(counts: run.counts, runID: run.runID, status: status)
            throw error
        } catch {
            // Whatever else ends this connection early is recorded against it,
            // and its run row is closed; the other connections still run.
            try recordInternalFailure(error, connection: connection, input: connection.name, run: run)
        }
        let status = try run.finish()
        return Outcome(counts: run.counts, runID: run.runID, status: status)
    }

    // MARK: Backfill API

    /// Where a resource's pass stands. Stored as JSON in `sync_cursors`.
    struct APICursor: Equatable {
        /// The next page of an unfinished pass (nil: start a new pass at 1).
        var nextPage: Int?
        var passStartedAt: String?
        /// The highest `updated_at` seen in any committed page.
        var maxUpdatedAt: String?
        var lastCompletePassAt: String?

        init() {}

        init(json: String?) {
            guard let json, case .object(let o)? = try? JSONParser.parse(json) else { return }
            if case .number(let n)? = o["next_page"] { nextPage = Int(n) }
            passStartedAt = o["pass_started_at"]?.stringValue
            maxUpdatedAt = o["max_updated_at"]?.stringValue
            lastCompletePassAt = o["last_complete_pass_at"]?.stringValue
        }

        var json: String {
            CanonicalJSON.string(.object([
                "next_page": nextPage.map(Value.integer) ?? .null,
                "pass_started_at": passStartedAt.map(Value.string) ?? .null,
                "max_updated_at": maxUpdatedAt.map(Value.string) ?? .null,
                "last_complete_pass_at": lastCompletePassAt.map(Value.string) ?? .null,
            ]))
        }
    }

    private func syncAPI(_ c: SyncConfig.Connection, token: String, run: ImportRun) throws {
        let clock = SystemClock()
        let client = APIClient(transport: CurlTransport(), token: token,
                               retry: RetryPolicy(maxRetries: c.maxRetries, maxDelay: c.maxRetryAfterSeconds),
                               bucket: TokenBucket(rate: c.maxRequestsPerSecond, burst: c.burst, clock: clock),
                               timeout: c.timeoutSeconds, limits: InputLimits(maxResponseBytes: c.maxResponseBytes), clock: clock)
        client.onRetry = { url, attempt, problem, wait in
            Diagnostics.line("backfill-sync: \(c.name): \(url): \(problem); retry \(attempt) of \(c.maxRetries) in \(String(format: "%.1f", wait)) s")
        }
        // Is a slow sync the server's or ours? The report says: how long
        // requests took (they overlap writing the page before), and how long
        // the sync stood still waiting for a page.
        let started = clock.now()
        var secondsStalled = 0.0
        defer {
            let total = clock.now() - started
            func s(_ x: Double) -> String { String(format: "%.2f s", x) }
            let share = total > 0 ? String(format: " (%.0f%%)", 100 * secondsStalled / total) : ""
            notes.append("\(c.name): \(client.requests) HTTP request(s) in \(s(total)): responses took \(s(client.secondsInRequests)), "
                + "\(s(client.secondsHoldingBack)) went to rate-limit and retry waits, and the sync stood waiting for pages "
                + "\(s(secondsStalled))\(share)")
        }
        let connector = BackfillAPIConnector(connectionID: c.connectionID)
        for object in c.objects {
            observer.stream = object
            guard let path = connector.path(for: object) else { continue }
            var credentialsRefused = false
            try isolating("\(c.name) \(object)", connection: c, run: run) {
                credentialsRefused = try !syncResource(object, path: path, connection: c, client: client, connector: connector,
                                                       run: run, clock: clock, stalled: &secondsStalled)
            }
            if credentialsRefused { return }
        }
    }

    /// One resource's pages, from its cursor to the end of the pass. False
    /// when the connection's credentials were refused: its other resources
    /// are skipped.
    private func syncResource(_ object: String, path: String, connection c: SyncConfig.Connection, client: APIClient,
                              connector: BackfillAPIConnector, run: ImportRun, clock: Clock,
                              stalled secondsStalled: inout Double) throws -> Bool {
        let pages = PagedList(client: client, baseURL: c.baseURL!, path: path, pageSize: c.pageSize)
        client.deadline = (clock.now() + c.resourceDeadlineSeconds, c.resourceDeadlineSeconds)
        defer { client.deadline = nil }
        var cursor = fullRefresh ? APICursor() : APICursor(json: try store.cursor(connection: c.name, stream: object))
        var page = cursor.nextPage ?? 1
        if page == 1 { cursor.passStartedAt = Timestamp.now() }
        var pending = pages.prefetch(page: page)
        paging: while true {
            let fetched: PagedList.Page
            let waitStarted = clock.now()
            let result = pending.wait()
            secondsStalled += clock.now() - waitStarted
            switch result {
            case .success(let p):
                fetched = p
            case .failure(.interrupted(let signal)):
                throw signal
            case .failure(let error):
                try recordFailure(error, connection: c, object: object, page: page, url: pages.url(page: page), run: run)
                if case .unauthorized = error { return false }  // the connection's credentials are refused: stop it
                break paging  // this resource failed; the others go on
            }
            // The next page travels while this one is written.
            let upcoming = fetched.isLast ? nil : pages.prefetch(page: page + 1)
            observer.progress(input: "\(c.name) \(object) page \(page)", records: fetched.items.count)
            let mapped = connector.records(of: fetched, objectType: object)
            var next = cursor
            if let seen = mapped.maxUpdatedAt, seen > (next.maxUpdatedAt ?? "") { next.maxUpdatedAt = seen }
            if fetched.isLast {
                next.nextPage = nil
                next.lastCompletePassAt = Timestamp.now()
            } else {
                next.nextPage = page + 1
            }
            var stream = RecordList(mapped.records)
            let committed = next
            do {
                try run.process(input: "\(c.name) \(fetched.label)", stream: &stream) {
                    try self.store.setCursor(connection: c.name, stream: object, value: committed.json, now: Timestamp.now())
                }
            } catch {
                _ = upcoming?.wait()  // the client is not left in use by a thread nobody waits for
                throw error
            }
            cursor = next
            guard let upcoming else { break }
            pending = upcoming
            page += 1
        }
        return true
    }

    /// Runs one resource or file. A failure of the tool inside it (not of
    /// the data, not of the server) ends that input alone, recorded against
    /// it, and the run goes on. A store locked by another program is not
    /// such a failure: every other input would meet it too, so it ends the
    /// sync (75).
    private func isolating(_ input: String, connection c: SyncConfig.Connection, run: ImportRun,
                           _ body: () throws -> Void) throws {
        do {
            try body()
        } catch where Self.stopsTheSync(error) {
            throw error
        } catch {
            try recordInternalFailure(error, connection: c, input: input, run: run)
        }
    }

    /// A failure of the tool, not of the data, recorded against the input
    /// (a resource, file or connection) it ended.
    private func recordInternalFailure(_ error: Error, connection c: SyncConfig.Connection, input: String, run: ImportRun) throws {
        internalFailures += 1
        try run.inputFailedToOpen(InputError(kind: .malformed, origin: Origin(file: input), code: .internalError,
                                             message: "connection '\(c.name)': \(input) stopped: \(CommandError.text(of: error))"))
    }

    private func recordFailure(_ error: APIError, connection c: SyncConfig.Connection, object: String, page: Int, url: URL,
                               run: ImportRun) throws {
        let code: IssueCode
        let message: String
        switch error {
        case .unauthorized(let status, _):
            authFailures += 1
            code = .unauthorized
            message = "connection '\(c.name)': HTTP \(status): the token in \(c.tokenEnv ?? "token_env") was refused; its remaining resources were skipped"
        case .rejected, .redirected:
            refusedRequests += 1
            code = .fetchFailed
            message = "connection '\(c.name)' \(object): \(error)"
        case .interrupted(let signal):
            throw signal
        case .retriesExhausted, .tooLarge, .deadlineExceeded:
            temporaryFailures += 1
            code = .fetchFailed
            message = "connection '\(c.name)' \(object) page \(page): \(error). "
                + (dryRun ? "Nothing was written (dry run)" : "Complete pages are committed; the next run resumes here")
        }
        try run.inputFailedToOpen(InputError(kind: .malformed, origin: Origin(file: "GET \(url.path)?page=\(page)"),
                                             code: code, message: message))
    }

    // MARK: File drops

    /// Each file the glob matches, imported once per content: its path, size
    /// and SHA-256 are the cursor. A file that fails to read leaves the cursor
    /// where it was, so the next run tries it again.
    private func syncFiles(_ c: SyncConfig.Connection, run: ImportRun,
                           open: (String) throws(InputError) -> AnyRecordStream) throws {
        var skipped = 0
        let files = Self.glob(c.glob ?? "")
        if files.isEmpty {
            // Most often a typo or a drop that never came: said, not silent.
            let note = "\(c.name): no file matches \(c.glob ?? "")"
            Diagnostics.warning(note)
            notes.append(note)
        }
        for file in files {
            let stream = "file:" + file
            guard let fingerprint = Self.fingerprint(file) else {
                try run.inputFailedToOpen(InputError(kind: .unreadable, origin: Origin(file: file), code: .malformedInput,
                                                     message: "cannot be read"))
                continue
            }
            if !fullRefresh, try store.cursor(connection: c.name, stream: stream) == fingerprint.json {
                skipped += 1
                continue
            }
            try isolating(file, connection: c, run: run) {
                do {
                    var records = try open(file)
                    try run.process(input: file, stream: &records) {
                        try self.store.setCursor(connection: c.name, stream: stream, value: fingerprint.json, now: Timestamp.now())
                    }
                    // What the file said of itself (columns kept as metadata, rows skipped).
                    for note in records.notes() {
                        Diagnostics.warning(note)
                        notes.append("\(c.name): \(note)")
                    }
                } catch let error as InputError {
                    try run.inputFailedToOpen(error)
                }
            }
        }
        if skipped > 0 { notes.append("\(c.name): \(skipped) file(s) unchanged since their last import, skipped") }
    }

    struct Fingerprint {
        let size: Int
        let sha256: String
        var json: String { CanonicalJSON.string(.object(["size": .integer(size), "sha256": .string(sha256)])) }
    }

    static func fingerprint(_ path: String) -> Fingerprint? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { handle.closeFile() }
        var hash = SHA256()
        var size = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            size += chunk.count
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return Fingerprint(size: size, sha256: hash.finalizeHex())
    }

    /// Files matching a shell pattern, sorted so runs are repeatable.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }
}

/// A record stream of any connector, so one file-drop loop serves them all.
struct AnyRecordStream: RowFileStream, SizedStream {
    private var nextRecord: () throws(InputError) -> RawRecord?
    let inputHeader: String?
    private let position: () -> Int
    let totalBytes: Int?
    var bytesRead: Int { position() }
    /// The stream's notes as they stand (a CSV file's; others have none).
    let notes: () -> [String]

    init<S: RecordStream>(_ stream: S) {
        var s = stream
        nextRecord = { () throws(InputError) -> RawRecord? in try s.next() }
        notes = { (s as? CSVRecordStream)?.notes ?? [] }
        inputHeader = (stream as? any RowFileStream)?.inputHeader ?? nil
        totalBytes = (stream as? any SizedStream)?.totalBytes ?? nil
        position = { (s as? any SizedStream)?.bytesRead ?? 0 }
    }

    mutating func next() throws(InputError) -> RawRecord? { try nextRecord() }
}
