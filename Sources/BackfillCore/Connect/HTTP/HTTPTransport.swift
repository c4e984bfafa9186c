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

/// A failure below HTTP: no response at all.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case timeout, connection }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}

/// Sends GET requests. The seam that lets tests and the retry logic run
/// without a network.
public protocol HTTPTransport: Sendable {
    func get(_ url: URL, headers: [String: String], timeout: Double) throws(TransportError) -> HTTPResponse
}

/// HTTP through FoundationNetworking (libcurl on Linux), one request at a
/// time. No cookies, no cache, no credential store: the Bearer token is sent
/// in the header we set and nowhere else.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        session = URLSession(configuration: configuration)
    }

    private final class Outcome: @unchecked Sendable {
        var response: HTTPResponse?
        var error: TransportError?
    }

    public func get(_ url: URL, headers: [String: String], timeout: Double) throws(TransportError) -> HTTPResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                let timedOut = (error as? URLError)?.code == .timedOut
                // The URL carries no secret; the message is safe to show.
                outcome.error = TransportError(kind: timedOut ? .timeout : .connection,
                                               message: timedOut ? "timed out after \(Int(timeout)) s" : error.localizedDescription)
            } else if let http = response as? HTTPURLResponse {
                var names: [String: String] = [:]
                for (k, v) in http.allHeaderFields {
                    if let k = k as? String, let v = v as? String { names[k.lowercased()] = v }
                }
                outcome.response = HTTPResponse(status: http.statusCode, headers: names, body: Array(data ?? Data()))
            } else {
                outcome.error = TransportError(kind: .connection, message: "no HTTP response")
            }
            done.signal()
        }
        task.resume()
        done.wait()
        if let error = outcome.error { throw error }
        return outcome.response!
    }
}
