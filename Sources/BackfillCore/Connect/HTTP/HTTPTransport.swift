import CCurl
import Foundation

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
    public enum Kind: Sendable { case timeout, connection, tooLarge, interrupted }
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

/// HTTP through libcurl's easy interface, one blocking request at a time.
///
/// Not `URLSession`: on Linux, FoundationNetworking hands each chunk of a
/// body to its delegate asynchronously and cannot stop a fast sender, so a
/// 4 GiB response on loopback grew the process past 4 GB although the
/// delegate had cancelled it at 1 MiB. Here the write callback refuses the
/// chunk that passes the limit and libcurl aborts the transfer there.
///
/// No cookies, no cache, no redirects (a `3xx` is an answer like any other,
/// so the Bearer token is never sent to a second origin), HTTP and HTTPS
/// only. `timeout` bounds the whole request, connect to last byte: a
/// server trickling one byte a second holds a sync no longer than a silent
/// one.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init() {}

    /// One request's body and headers, written by libcurl's callbacks.
    private final class Transfer {
        let limit: Int
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var tooLarge = false
        init(limit: Int) { self.limit = limit }
    }

    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) throws(TransportError) -> HTTPResponse {
        guard Self.initialized, let handle = curl_easy_init() else {
            throw TransportError(kind: .connection, message: "libcurl could not be initialized")
        }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }

        let transfer = Transfer(limit: maxBodyBytes)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        let milliseconds = max(1, Int((timeout * 1000).rounded(.up)))
        let seconds = max(1, Int(timeout.rounded(.up)))
        _ = bf_curl_set_string(handle, CURLOPT_URL, url.absoluteString)
        _ = bf_curl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        _ = bf_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        _ = bf_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = bf_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = bf_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = bf_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // gzip and the rest; the limit counts decoded bytes
        _ = bf_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        _ = bf_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        _ = bf_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = bf_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, seconds)
        _ = bf_curl_set_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxBodyBytes))
        _ = bf_curl_set_write_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            guard transfer.body.count + n <= transfer.limit else {
                transfer.tooLarge = true
                return 0  // libcurl aborts the transfer: CURLE_WRITE_ERROR
            }
            if n > 0, let data { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n)) }
            return n
        }
        _ = bf_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = bf_curl_set_write_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            guard n > 0, let data else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            if line.hasPrefix("HTTP/") { transfer.headers = [:] }  // a new response (after 100 Continue)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                transfer.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return n
        }
        _ = bf_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        // Called about once a second and on every chunk: a signal stops the
        // transfer there instead of after the whole timeout.
        _ = bf_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
        _ = bf_curl_set_progress_callback(handle) { _, _, _, _, _ in Interruption.pending == nil ? 0 : 1 }

        let code = curl_easy_perform(handle)
        if transfer.tooLarge || code == CURLE_FILESIZE_EXCEEDED {
            throw TransportError(
                kind: .tooLarge,
                message: "the response is larger than \(InputLimits.describe(maxBodyBytes)) "
                    + "(backfill_api.max_response_mib); lower page_size or raise the limit")
        }
        if let signal = Interruption.pending {
            throw TransportError(kind: .interrupted, message: Interrupted(signal: signal).description)
        }
        switch code {
        case CURLE_OK:
            return HTTPResponse(status: bf_curl_response_code(handle), headers: transfer.headers, body: transfer.body)
        case CURLE_OPERATION_TIMEDOUT:
            throw TransportError(kind: .timeout, message: "timed out: no complete response within \(Self.seconds(timeout)) s")
        default:
            // libcurl's sentence names the failure, never a header's value.
            throw TransportError(kind: .connection, message: String(cString: curl_easy_strerror(code)))
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
