import Foundation

/// When to retry and how long to wait: exponential backoff with jitter, or
/// what the server asks for.
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxRetries: Int, baseDelay: Double = 0.5, maxDelay: Double = 60) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// 429 and 5xx are worth another try; other statuses are answers.
    public static func isRetryable(status: Int) -> Bool { status == 429 || (500...599).contains(status) }

    /// Seconds to wait before retry number `attempt` (1, 2, …). A server hint
    /// wins: `Retry-After` in seconds or as an HTTP date (`0` is "no hint"),
    /// else `X-RateLimit-Reset` (UTC epoch seconds, Layer's and others'). Else
    /// full-jitter backoff: random in [½, 1] × base × 2^(attempt−1), capped.
    public func delay(attempt: Int, headers: [String: String], now: Double, random: Double) -> Double {
        if let hint = Self.serverHint(headers: headers, now: now) { return min(hint, maxDelay) }
        let backoff = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return backoff * (0.5 + 0.5 * random)
    }

    static func serverHint(headers: [String: String], now: Double) -> Double? {
        if let retryAfter = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(retryAfter) {
                if seconds > 0 { return seconds }
            } else if let date = httpDate(retryAfter) {
                return max(0, date - now)
            }
        }
        if let reset = headers["x-ratelimit-reset"].flatMap(Double.init), reset > now {
            return reset - now
        }
        return nil
    }

    /// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), let date = CalendarDate(year: year, month: month + 1, day: day)
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return Double(date.daysSinceEpoch * 86400 + time[0] * 3600 + time[1] * 60 + time[2])
    }
}
