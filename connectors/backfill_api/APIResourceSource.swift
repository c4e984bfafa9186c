import BackfillCore
import Foundation

/// Where a resource's pass stands: its bookmark, stored as JSON in the
/// store's sync cursors.
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
        CanonicalJSON.string(
            .object([
                "next_page": nextPage.map(Value.integer) ?? .null,
                "pass_started_at": passStartedAt.map(Value.string) ?? .null,
                "max_updated_at": maxUpdatedAt.map(Value.string) ?? .null,
                "last_complete_pass_at": lastCompletePassAt.map(Value.string) ?? .null,
            ]))
    }
}

/// One resource's pages, from its cursor to the end of the pass. The next
/// page travels while this one is written. Each page's cursor is the one
/// after it: the runner stores it in the page's transaction, so a run
/// killed at any instant resumes at the first page not committed.
final class APIResourceSource: SyncSource {
    let objectType: String
    var inputsAreIndependent: Bool { false }
    var inputNoun: String { "page" }
    private let pages: PagedList
    private unowned let connection: BackfillAPIConnection
    private let client: APIClient
    private let connector: BackfillAPIConnector
    private let context: SyncContext
    private var cursor: APICursor?
    private var page = 1
    private var pending: PagedList.PendingPage?
    private var done = false

    init(
        object: String, path: String, connection: BackfillAPIConnection, client: APIClient, connector: BackfillAPIConnector,
        context: SyncContext
    ) {
        objectType = object
        self.connection = connection
        self.client = client
        self.connector = connector
        self.context = context
        pages = PagedList(client: client, baseURL: connection.settings.baseURL, path: path, pageSize: connection.settings.pageSize)
    }

    func next(cursor stored: (String) throws -> String?) throws -> SyncStep {
        guard !done else { return .end }
        if cursor == nil {
            var start = APICursor(json: try stored(objectType))
            page = start.nextPage ?? 1
            if page == 1 { start.passStartedAt = Timestamp.now() }
            cursor = start
            let deadline = connection.settings.resourceDeadlineSeconds
            client.deadline = (context.clock.now() + deadline, deadline)
            pending = pages.prefetch(page: page)
        }
        guard let pending else { return .end }
        let waitStarted = context.clock.now()
        let result = pending.wait()
        connection.waits.seconds += context.clock.now() - waitStarted
        let fetched: PagedList.Page
        switch result {
        case .success(let p):
            fetched = p
        case .failure(.interrupted(let signal)):
            throw signal
        case .failure(let error):
            close()
            return .failed(failure(error))
        }
        self.pending = fetched.isLast ? nil : pages.prefetch(page: page + 1)
        let mapped = connector.records(of: fetched, objectType: objectType)
        var next = cursor!
        if let seen = mapped.maxUpdatedAt, seen > (next.maxUpdatedAt ?? "") { next.maxUpdatedAt = seen }
        if fetched.isLast {
            next.nextPage = nil
            next.lastCompletePassAt = Timestamp.now()
            client.deadline = nil
        } else {
            next.nextPage = page + 1
        }
        cursor = next
        page += 1
        let records = mapped.records
        return .input(
            SyncInput(
                label: "\(connection.entry.name) \(fetched.label)", cursor: (objectType, next.json),
                knownCount: records.count
            ) { AnyRecordStream(RecordList(records)) })
    }

    /// The client is not left in use by a thread nobody waits for.
    func close() {
        done = true
        _ = pending?.wait()
        pending = nil
        client.deadline = nil
    }

    private func failure(_ error: APIError) -> SourceFailure {
        let name = connection.entry.name
        let kind: SourceFailure.Kind
        let code: IssueCode
        let message: String
        switch error {
        case .unauthorized(let status, _):
            kind = .credentials
            code = .unauthorized
            message =
                "connection '\(name)': HTTP \(status): the token in \(connection.settings.tokenEnv) was refused; its remaining resources were skipped"
        case .rejected, .redirected:
            kind = .refused
            code = .fetchFailed
            message = "connection '\(name)' \(objectType): \(error)"
        case .retriesExhausted, .tooLarge, .deadlineExceeded, .interrupted:
            kind = .temporary
            code = .fetchFailed
            message =
                "connection '\(name)' \(objectType) page \(page): \(error). "
                + (context.dryRun ? "Nothing was written (dry run)" : "Complete pages are committed; the next run resumes here")
        }
        return SourceFailure(
            kind,
            InputError(
                kind: .malformed, origin: Origin(file: "GET \(pages.url(page: page).path)?page=\(page)"),
                code: code, message: message))
    }
}
