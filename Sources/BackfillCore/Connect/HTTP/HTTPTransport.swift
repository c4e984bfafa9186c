import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP response: status, headers (lower-cased names) and body bytes.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure below HTTP: no response at all, or one refused while it came.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case timeout, connection, tooLarge }
    public let kind: Kind
    public let message: String
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

/// Sends GET requests. The seam that lets tests and the retry logic run
/// without a network.
public protocol HTTPTransport: Sendable {
    /// A body longer than `maxBodyBytes` is a `tooLarge` error, stopped as
    /// soon as it passes the limit: it is never buffered whole.
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) throws(TransportError) -> HTTPResponse
}

/// HTTP through FoundationNetworking (libcurl on Linux), one request at a
/// time. No cookies, no cache, no credential store: the Bearer token is sent
/// in the header we set and nowhere else. The body arrives through a
/// delegate, chunk by chunk, so a response over the limit is cancelled
/// when it passes it (a `Content-Length` over it, before any body).
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession
    private let receiver: Receiver

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        receiver = Receiver()
        session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
    }

    /// One request's state, written by the session's delegate queue.
    private final class Transfer: @unchecked Sendable {
        let limit: Int
        let timeout: Double
        var body: [UInt8] = []
        var response: HTTPURLResponse?
        var error: TransportError?
        let done = DispatchSemaphore(value: 0)
        init(limit: Int, timeout: Double) {
            self.limit = limit
            self.timeout = timeout
        }
    }

    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var transfers: [Int: Transfer] = [:]

        func add(_ transfer: Transfer, for task: URLSessionTask) {
            lock.lock(); defer { lock.unlock() }
            transfers[task.taskIdentifier] = transfer
        }

        private func transfer(_ task: URLSessionTask) -> Transfer? {
            lock.lock(); defer { lock.unlock() }
            return transfers[task.taskIdentifier]
        }

        private func tooLarge(_ t: Transfer) -> TransportError {
            TransportError(kind: .tooLarge, message: "the response is larger than \(InputLimits.describe(t.limit)) "
                + "(backfill_api.max_response_mib); lower page_size or raise the limit")
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            guard let t = transfer(dataTask) else { return completionHandler(.cancel) }
            t.response = response as? HTTPURLResponse
            if response.expectedContentLength > Int64(t.limit) {
                t.error = tooLarge(t)
                return completionHandler(.cancel)
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard let t = transfer(dataTask), t.error == nil else { return }
            if t.body.count + data.count > t.limit {
                t.error = tooLarge(t)
                t.body = []
                dataTask.cancel()
                return
            }
            t.body.append(contentsOf: data)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            lock.lock()
            let t = transfers.removeValue(forKey: task.taskIdentifier)
            lock.unlock()
            guard let t else { return }
            if t.error == nil, let error {
                let timedOut = (error as? URLError)?.code == .timedOut
                // The URL carries no secret; the message is safe to show.
                t.error = TransportError(kind: timedOut ? .timeout : .connection,
                                         message: timedOut ? "timed out after \(Int(t.timeout)) s" : error.localizedDescription)
            } else if t.error == nil, t.response == nil {
                t.error = TransportError(kind: .connection, message: "no HTTP response")
            }
            t.done.signal()
        }
    }

    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) throws(TransportError) -> HTTPResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let transfer = Transfer(limit: maxBodyBytes, timeout: timeout)
        let task = session.dataTask(with: request)
        receiver.add(transfer, for: task)
        task.resume()
        transfer.done.wait()
        if let error = transfer.error { throw error }
        let http = transfer.response!
        var names: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            if let k = k as? String, let v = v as? String { names[k.lowercased()] = v }
        }
        return HTTPResponse(status: http.statusCode, headers: names, body: transfer.body)
    }
}
