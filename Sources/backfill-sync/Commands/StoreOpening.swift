import BackfillCore
import BackfillSQLite
import Foundation

/// Opening the store the way each command needs it, with errors a user can
/// act on and exit codes by cause (`CommandError.failure`).
enum StoreOpening {
    static let defaultPath = "backfill.sqlite"

    /// For writing, holding the run lock: another run on the same store makes
    /// this one wait up to `wait` seconds, then exit 75 naming that run.
    static func forWriting(_ path: String, wait: Double = 0, command: String = "backfill-sync") throws(CommandError) -> SQLiteStore {
        let store: SQLiteStore
        do {
            store = try SQLiteStore.openForWriting(path: path, lockWait: wait, command: command)
        } catch {
            throw CommandError.failure(error, store: path)
        }
        if !store.abandonedRuns.isEmpty {
            Diagnostics.warning(
                "\(path): run(s) \(store.abandonedRuns.map(String.init).joined(separator: ", ")) were left running "
                    + "by a process that died (killed, or power lost); marked interrupted")
        }
        return store
    }

    /// For a dry run: the existing store read-only, or an empty one in memory
    /// when there is none yet (a dry run never creates the file).
    static func forDryRun(_ path: String) throws(CommandError) -> SQLiteStore {
        do {
            return try opened(path) ?? SQLiteStore.inMemory()
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.failure(error, store: path)
        }
    }

    static func forReading(_ path: String) throws(CommandError) -> SQLiteStore {
        let store: SQLiteStore?
        do { store = try opened(path) } catch { throw CommandError.failure(error, store: path) }
        guard let store else {
            throw CommandError(exitCode: .noInput, message: "\(path): no store here yet; import something first, or pass --db PATH")
        }
        return store
    }

    private static func opened(_ path: String) throws -> SQLiteStore? {
        let store = try SQLiteStore.openForReading(path: path)
        if store?.isImmutableSnapshot == true {
            Diagnostics.warning(
                "\(path): the store cannot be opened for shared reading here (read-only file, directory or file "
                    + "system); read as an immutable snapshot, which is exact unless another program is writing it now")
        }
        return store
    }
}
