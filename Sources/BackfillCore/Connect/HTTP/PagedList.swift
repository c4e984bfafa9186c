import Foundation

/// A paginated list endpoint: `GET <path>?limit=<n>&page=<p>` answering
/// `{"data": [...], "pagination": {"limit", "page"}}` (Backfill API reference,
/// every list endpoint).
///
/// Pages are numbered from 1. The reference documents no total and no
/// has-more flag, so a page is the last when it is empty or shorter than the
/// page size the *server* reports in `pagination.limit`: servers may cap the
/// requested limit, and comparing with the requested size would stop after
/// the first capped page and silently drop the rest.
public struct PagedList: Sendable {
    public let client: APIClient
    public let baseURL: URL
    public let path: String
    public let pageSize: Int

    public init(client: APIClient, baseURL: URL, path: String, pageSize: Int) {
        self.client = client
        self.baseURL = baseURL
        self.path = path
        self.pageSize = pageSize
    }

    public struct Page: Sendable {
        public let number: Int
        public let items: [Value]
        public let isLast: Bool
        /// `GET /v1/expenses?limit=100&page=3`: where the records came from.
        public let label: String
        /// Other top-level members of the response (`as_of_date` on accounts).
        public let extras: Fields
    }

    /// Why a body is not a list page, or nil: `{"data": [...]}` is needed.
    static func listShapeProblem(_ body: Value) -> String? {
        guard case .object(let top) = body else { return "the response is not an object with a \"data\" list" }
        guard case .array? = top["data"] else { return "the response has no \"data\" list" }
        return nil
    }

    public func url(page: Int) -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + path
        components.queryItems = [URLQueryItem(name: "limit", value: String(pageSize)), URLQueryItem(name: "page", value: String(page))]
        return components.url!
    }

    public func fetch(page: Int) throws(APIError) -> Page {
        let url = url(page: page)
        let body = try client.getJSON(url, shape: Self.listShapeProblem)
        let label = "GET \(path)?limit=\(pageSize)&page=\(page)"
        guard case .object(let top) = body, case .array(let items)? = top["data"] else {
            // getJSON already refused any other shape; this cannot be reached.
            throw APIError.rejected(status: 200, url: url.absoluteString, message: "the response has no \"data\" list")
        }
        var reported = pageSize
        if case .number(let text)? = top["pagination"]?["limit"], let limit = Int(text), limit > 0 { reported = limit }
        var extras = top
        for key in ["data", "pagination", "object"] { extras.removeValue(forKey: key) }
        return Page(number: page, items: items, isLast: items.isEmpty || items.count < reported, label: label, extras: extras)
    }
}

extension PagedList {
    /// Starts fetching `page` on a second thread, so the next page travels
    /// while this one is written: a sync then takes about as long as the
    /// server needs, not the server's time plus ours. The client is used by
    /// one thread at a time: call `wait()` before fetching anything else.
    public func prefetch(page: Int) -> PendingPage { PendingPage(list: self, page: page) }

    public final class PendingPage: @unchecked Sendable {
        public let page: Int
        private let finished = DispatchSemaphore(value: 0)
        // Written once by the fetching thread before `finished` is signalled.
        private var result: Result<Page, APIError>?

        init(list: PagedList, page: Int) {
            self.page = page
            let thread = Thread { [self] in
                result = Result { () throws(APIError) -> Page in try list.fetch(page: page) }
                finished.signal()
            }
            thread.name = "backfill-sync prefetch"
            thread.start()
        }

        /// The page, or why it could not be fetched; waits for it if needed.
        public func wait() -> Result<Page, APIError> {
            if let result { return result }
            finished.wait()
            return result!
        }
    }
}
