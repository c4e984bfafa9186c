import Foundation
import BackfillCore

/// Opening the store the way each command needs it, with errors a user can act on.
enum StoreOpening {
    static let defaultPath = "backfill.sqlite"

    /// For writing, holding the run lock: another run on the same store makes
    /// this one wait up to `wait` seconds, then exit 75 naming that run.
    static func forWriting(_ path: String, wait: Double = 0, command: String = "backfill-sync") throws(CommandError) -> Store {
        do {
            return try Store.openForWriting(path: path, lockWait: wait, command: command)
        } catch let error as RunLock.LockError {
            throw CommandError(exitCode: .temporaryFailure, message: "\(path): \(error)")
        } catch let error as SQLiteError where error.isBusy {
            throw CommandError(exitCode: .temporaryFailure, message: "\(path): the store is locked by another run; try again later (\(error))")
        } catch {
            throw CommandError(exitCode: .internalError, message: "\(path): cannot open the store for writing: \(error)")
        }
    }

    /// For a dry run: the existing store read-only, or an empty one in memory
    /// when there is none yet (a dry run never creates the file).
    static func forDryRun(_ path: String) throws(CommandError) -> Store {
        do {
            return try Store.openForReading(path: path) ?? Store.inMemory()
        } catch {
            throw CommandError(exitCode: .internalError, message: "\(path): cannot open the store: \(error)")
        }
    }

    static func forReading(_ path: String) throws(CommandError) -> Store {
        let store: Store?
        do {
            store = try Store.openForReading(path: path)
        } catch {
            throw CommandError(exitCode: .internalError, message: "\(path): cannot open the store: \(error)")
        }
        guard let store else {
            throw CommandError(exitCode: .noInput, message: "\(path): no store here yet; import something first, or pass --db PATH")
        }
        return store
    }
}
