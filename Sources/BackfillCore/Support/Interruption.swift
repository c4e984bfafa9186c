import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM, turned into an error thrown at the next safe point.
///
/// The handler only records the signal (an atomic store is all a signal
/// handler may safely do). The pipeline checks between batches, the HTTP
/// client between attempts, during waits and from libcurl's progress
/// callback, and the run lock while it waits; what throws `Interrupted`
/// unwinds through the same paths as any failure: the open transaction
/// rolls back, the run row is closed as `interrupted`, spool files go.
public enum Interruption {
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers, with `SA_RESTART`: the flag is polled, so a
    /// system call may as well go on rather than fail with `EINTR`.
    public static func install() {
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in Interruption.received.store(number, ordering: .relaxed) }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The signal received, or nil.
    public static var pending: Int32? {
        let signal = received.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    /// Throws `Interrupted` once a signal has arrived.
    public static func check() throws(Interrupted) {
        if let signal = pending { throw Interrupted(signal: signal) }
    }
}

/// The run was stopped by a signal; the exit status is 128 + its number.
public struct Interrupted: Error, Sendable, CustomStringConvertible {
    public let signal: Int32
    public var name: String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
    public var description: String { "interrupted by \(name)" }
}
