import Foundation

/// What the HTTP layer needs of time, so tests can run it without sleeping.
public protocol Clock: Sendable {
    func now() -> Double
    func sleep(seconds: Double)
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    /// Sleeps in short steps, and stops early when SIGINT or SIGTERM has
    /// arrived: a minute's `Retry-After` must not delay a clean stop.
    public func sleep(seconds: Double) {
        let end = now() + seconds
        while Interruption.pending == nil {
            let left = end - now()
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.1))
        }
    }
}

/// A client-side token bucket: `burst` requests at once, refilled at `rate`
/// per second. Keeps a sync under the provider's rate limit instead of
/// discovering it through 429s.
public final class TokenBucket: @unchecked Sendable {
    private let rate: Double
    private let capacity: Double
    private var tokens: Double
    private var last: Double
    private let clock: Clock

    public init(rate: Double, burst: Int, clock: Clock) {
        self.rate = rate
        self.capacity = Double(max(burst, 1))
        self.tokens = Double(max(burst, 1))
        self.clock = clock
        self.last = clock.now()
    }

    /// Takes one token, sleeping until one is available.
    public func acquire() {
        refill()
        if tokens < 1 {
            clock.sleep(seconds: (1 - tokens) / rate)
            refill()
        }
        tokens -= 1
    }

    private func refill() {
        let now = clock.now()
        tokens = min(capacity, tokens + (now - last) * rate)
        last = now
    }
}
