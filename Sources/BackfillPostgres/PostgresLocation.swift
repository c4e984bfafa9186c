import BackfillCore
import Foundation

/// Where a PostgreSQL store lives: a `postgres://` or `postgresql://` URL
/// (libpq's own form, https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING),
/// plus one parameter of ours, `schema=`, which libpq would refuse.
///
/// The password is never part of what the tool prints: `display` has no
/// userinfo password, and a password found in the URL or in the environment
/// is registered with `Secrets`, so no message, report or reject can carry
/// it. Prefer `PGPASSWORD`, `~/.pgpass` (libpq reads both) or the sync
/// config's `password_env` to a password in the URL, which `ps` shows.
public struct PostgresLocation: Sendable, Equatable {
    /// The URL as libpq gets it: without `schema=` and without the password.
    public let url: String
    /// Set when the URL or `password_env` gave one; passed to libpq apart.
    let password: String?
    /// The schema that holds the store's tables (default `backfill`), so
    /// several stores can share one database.
    public let schema: String

    public static let defaultSchema = "backfill"

    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    public static func isPostgresURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses `text`; `passwordFromEnvironment` (the value of the config's
    /// `password_env`) wins over a password in the URL.
    public init(_ text: String, passwordFromEnvironment: String? = nil) throws(Invalid) {
        guard Self.isPostgresURL(text), let separator = text.range(of: "://") else {
            throw Invalid(description: "not a postgres:// or postgresql:// URL")
        }
        let scheme = String(text[..<separator.lowerBound])
        var rest = String(text[separator.upperBound...])
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = String(rest[..<q])
        }
        // Userinfo ends at the last '@' before the path.
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        let path = String(rest[authorityEnd...])
        var urlPassword: String?
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            let host = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                urlPassword = String(userinfo[userinfo.index(after: colon)...]).removingPercentEncoding
                authority = String(userinfo[..<colon]) + "@" + host
            }
        }
        var schema = Self.defaultSchema
        var kept: [String] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            if pair.hasPrefix("schema=") {
                schema = String(pair.dropFirst("schema=".count)).removingPercentEncoding ?? ""
            } else {
                kept.append(String(pair))
            }
        }
        guard Self.isIdentifier(schema) else {
            throw Invalid(
                description: "schema '\(Excerpt(schema))' is not a plain name (letters, digits and _, not starting with a digit, "
                    + "at most 63 characters)")
        }
        self.schema = schema
        self.url = scheme + "://" + authority + path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        self.password = passwordFromEnvironment.flatMap { $0.isEmpty ? nil : $0 } ?? urlPassword
        if let password { Secrets.register(password) }
    }

    /// What messages and reports name the store by: the URL without any
    /// password, and the schema.
    public var display: String { "\(url) (schema \(schema))" }

    /// libpq keywords: the URL expanded as `dbname`, the password apart, and
    /// a name for the session that `pg_stat_activity` shows to another run
    /// waiting on this one's lock.
    func connectionParameters(applicationName: String) -> [(String, String)] {
        var out = [("dbname", url), ("application_name", String(applicationName.prefix(63)))]
        if let password { out.append(("password", password)) }
        return out
    }

    /// The schema name is put into DDL, quoted; only plain names are taken,
    /// so no quoting rule is ever relied on.
    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { b in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
                || b == UInt8(ascii: "_")
        }
    }
}
