import BackfillCore
import Foundation

/// One run per connection at a time, across processes and hosts: a
/// session-level advisory lock per connection id
/// (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS),
/// keyed by (schema, connection), held by the store's session for the life
/// of the run. Runs on different connections never wait for each other.
///
/// The server drops a session's locks when the session ends, however the
/// client died (SIGKILL included), so a killed run's connection is free
/// again as soon as its socket closes. Session locks need a session: behind
/// PgBouncer, use session pooling (transaction pooling would hand the lock's
/// session to someone else).
enum RunLocks {
    /// The connection is held by another run; names it from `pg_stat_activity`.
    struct Held: Error, StoreFailure {
        let connection: String
        let holder: String

        var storeFailureKind: StoreFailureKind? { .busy }
        var description: String {
            let name = connection.isEmpty ? "imports with no --connection" : "connection '\(connection)'"
            return "\(name) is in use by another run (\(holder))"
        }
    }

    /// The two 32-bit halves of a lock's key: FNV-1a of the schema and of the
    /// connection id. Two ids that share a hash only share a lock (one waits);
    /// correctness never depends on the hash.
    static func key(schema: String, connection: String) -> (UInt32, UInt32) { (fnv(schema), fnv(connection)) }

    private static func fnv(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for b in text.utf8 { hash = (hash ^ UInt32(b)) &* 0x0100_0193 }
        return hash
    }

    /// Takes the lock of every id in `connections`, waiting up to `wait`
    /// seconds in all; a signal ends the wait. On failure none stays held.
    static func take(_ connections: [String], schema: String, on connection: Connection, wait: Double) throws {
        let deadline = Date().addingTimeInterval(wait)
        var taken: [(UInt32, UInt32)] = []
        do {
            for id in Set(connections).sorted() {
                let key = key(schema: schema, connection: id)
                while try connection.scalar(
                    "SELECT pg_try_advisory_lock($1::integer, $2::integer)",
                    [String(Int32(bitPattern: key.0)), String(Int32(bitPattern: key.1))]) != "t"
                {
                    try Interruption.check()
                    if Date() >= deadline { throw Held(connection: id, holder: try holder(of: key, on: connection)) }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                taken.append(key)
            }
        } catch {
            for key in taken {
                _ = try? connection.query(
                    "SELECT pg_advisory_unlock($1::integer, $2::integer)",
                    [String(Int32(bitPattern: key.0)), String(Int32(bitPattern: key.1))])
            }
            throw error
        }
    }

    /// Who holds `key`: the session's application name (which names the
    /// process and its host), its server pid and when it connected.
    private static func holder(of key: (UInt32, UInt32), on connection: Connection) throws -> String {
        let rows = try connection.query(
            """
            SELECT a.application_name, a.pid::text, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
              AND l.objsubid = 2
            LIMIT 1
            """, [String(key.0), String(key.1)])
        guard rows.count > 0 else { return "unknown; it may have just finished" }
        return "\(rows.text(0, 0) ?? "?"), server pid \(rows.text(0, 1) ?? "?"), connected \(rows.text(0, 2) ?? "?")"
    }

    /// What this process's sessions are called in `pg_stat_activity`.
    static func applicationName(command: String) -> String {
        "backfill-sync pid \(getpid()) on \(ProcessInfo.processInfo.hostName): \(command)"
    }
}
