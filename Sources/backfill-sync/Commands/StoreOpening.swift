import BackfillCore
import BackfillPostgres
import BackfillSQLite
import Foundation

/// Which store a command works on: a SQLite file (the default), or a
/// PostgreSQL schema named by a `postgres://` URL.
enum StoreLocation {
    case sqlite(String)
    case postgres(PostgresLocation)

    /// `--db`'s value, or the config's `store`. `passwordEnvironment` names
    /// the variable holding a PostgreSQL password (`store.password_env`).
    init(_ text: String, passwordEnvironment: String? = nil) throws(CommandError) {
        guard PostgresLocation.isPostgresURL(text) else {
            self = .sqlite(text)
            return
        }
        var password: String?
        if let name = passwordEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw CommandError.usage("store.password_env: the environment variable \(name) is not set")
            }
            password = value
        }
        do { self = .postgres(try PostgresLocation(text, passwordFromEnvironment: password)) } catch {
            throw CommandError.usage("--db: \(Secrets.redact(text)): \(error)")
        }
    }

    /// The `--db` option's value, or the default store.
    init(_ args: ParsedArguments) throws(CommandError) {
        try self.init(args.value("--db") ?? StoreOpening.defaultPath)
    }

    /// How messages and reports name the store: never with a password.
    var display: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let location): return location.display
        }
    }

    /// The files that make up the store, which no output may be written over.
    var files: [(path: String, what: String)] {
        switch self {
        case .sqlite(let path): return SQLiteStore.files(of: path)
        case .postgres: return []
        }
    }
}

/// Opening the store the way each command needs it, with errors a user can
/// act on and exit codes by cause (`CommandError.failure`).
enum StoreOpening {
    static let defaultPath = "backfill.sqlite"

    /// The `--db` help every command shares.
    static let option = CommandSpec.Option(
        name: "--db", valueName: "path|url",
        help: "The store: a SQLite file, or postgresql://user@host/db[?schema=name] (password from PGPASSWORD or ~/.pgpass).",
        defaultValue: defaultPath)

    /// For writing, holding the run lock: another run on the same store (on
    /// PostgreSQL: on one of the same `connections`) makes this one wait up
    /// to `wait` seconds, then exit 75 naming that run.
    static func forWriting(
        _ location: StoreLocation, connections: [String], wait: Double = 0, command: String = "backfill-sync"
    ) throws(CommandError) -> any RecordStore {
        let store: any RecordStore
        let abandoned: [Int]
        do {
            switch location {
            case .sqlite(let path):
                let opened = try SQLiteStore.openForWriting(path: path, lockWait: wait, command: command)
                (store, abandoned) = (opened, opened.abandonedRuns)
            case .postgres(let url):
                let opened = try PostgresStore.openForWriting(url, connections: connections, lockWait: wait, command: command)
                (store, abandoned) = (opened, opened.abandonedRuns)
            }
        } catch {
            throw CommandError.failure(error, store: location.display)
        }
        if !abandoned.isEmpty {
            Diagnostics.warning(
                "\(location.display): run(s) \(abandoned.map(String.init).joined(separator: ", ")) were left running "
                    + "by a process that died (killed, or power lost); marked interrupted")
        }
        return store
    }

    /// For a dry run: the existing store read-only, or an empty one in memory
    /// when there is none yet (a dry run never creates one).
    static func forDryRun(_ location: StoreLocation) throws(CommandError) -> any RecordStore {
        do {
            return try opened(location) ?? SQLiteStore.inMemory()
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.failure(error, store: location.display)
        }
    }

    static func forReading(_ location: StoreLocation) throws(CommandError) -> any RecordStore {
        let store: (any RecordStore)?
        do { store = try opened(location) } catch { throw CommandError.failure(error, store: location.display) }
        guard let store else {
            throw CommandError(
                exitCode: .noInput, message: "\(location.display): no store here yet; import something first, or pass --db PATH")
        }
        return store
    }

    private static func opened(_ location: StoreLocation) throws -> (any RecordStore)? {
        switch location {
        case .postgres(let url):
            return try PostgresStore.openForReading(url)
        case .sqlite(let path):
            let store = try SQLiteStore.openForReading(path: path)
            if store?.isImmutableSnapshot == true {
                Diagnostics.warning(
                    "\(path): the store cannot be opened for shared reading here (read-only file, directory or file "
                        + "system); read as an immutable snapshot, which is exact unless another program is writing it now")
            }
            return store
        }
    }
}
