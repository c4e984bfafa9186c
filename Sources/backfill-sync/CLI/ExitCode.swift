import BackfillCore
import BackfillSQLite

#if canImport(Glibc)
import Glibc
#endif

/// Exit codes a cron job can act on (BSD sysexits where one fits). The
/// README's table lists them. Two places decide which one a command gets:
/// `CommandError.failure(_:store:)` for whatever stops it, and
/// `init(counts:unreadableInputs:failures:detailedExitCode:)` for an import
/// or sync that ran to its end.
enum ExitCode: Int32 {
    /// Everything applied; with --detailed-exitcode on a dry run: no changes.
    case success = 0
    /// --detailed-exitcode on a dry run: there are changes to apply.
    case changesPresent = 2
    /// Usage or configuration error, or a path that names the wrong thing
    /// (a directory as the store, a file that is not SQLite) (EX_USAGE).
    case usage = 64
    /// Some records or inputs were rejected; the rest applied (EX_DATAERR).
    case dataError = 65
    /// An input file, or a directory on a path, is missing (EX_NOINPUT).
    case noInput = 66
    /// A failure of backfill-sync itself (EX_SOFTWARE).
    case internalError = 70
    /// A file cannot be created: a read-only file system (EX_CANTCREAT).
    case cannotCreate = 73
    /// Disk full or another I/O error, naming the path (EX_IOERR).
    case ioError = 74
    /// Temporary: the store is locked by another run or program (EX_TEMPFAIL).
    case temporaryFailure = 75
    /// Permission denied (EX_NOPERM).
    case noPermission = 77
    /// SIGINT (128 + 2).
    case interrupted = 130
    /// SIGTERM (128 + 15).
    case terminated = 143
}

extension ExitCode {
    /// The exit code of an import or sync that ran to its end. Precedence
    /// (README, "Exit codes"): a failure of the tool first, then what needs a
    /// person (config, token), then missing input, then what the next run
    /// retries, then rejected data.
    /// `detailedExitCode` is `--detailed-exitcode` on a dry run.
    init(counts: RunCounts, unreadableInputs: Bool, failures: SyncRunner.FailureCounts, detailedExitCode: Bool) {
        if failures.internal > 0 {
            self = .internalError
        } else if failures.credentials > 0 || failures.refused > 0 {
            self = .usage
        } else if unreadableInputs {
            self = .noInput
        } else if failures.temporary > 0 {
            self = .temporaryFailure
        } else if counts.failed > 0 {
            self = .dataError
        } else if detailedExitCode && counts.changes > 0 {
            self = .changesPresent
        } else {
            self = .success
        }
    }
}

/// A failure that ends a command with a message and an exit code.
struct CommandError: Error, CustomStringConvertible {
    let exitCode: ExitCode
    let message: String

    var description: String { message }

    static func usage(_ message: String) -> CommandError { CommandError(exitCode: .usage, message: message) }

    /// The exit code and message for whatever stopped a command. `store`
    /// names the store in messages about it; nothing but an unforeseen
    /// failure gets 70.
    static func failure(_ error: Error, store: String) -> CommandError {
        switch error {
        case let error as CommandError:
            return error
        case let error as Interrupted:
            return CommandError(exitCode: error.signal == SIGINT ? .interrupted : .terminated, message: error.description)
        case let error as IOFailure:
            return CommandError(exitCode: exitCode(error.cause), message: error.description)
        case let error as UsageError:
            return .usage(error.message)
        case let error as OutputSink.Refusal:
            return .usage(error.description)
        case let error as RunLock.LockError:
            switch error {
            case .held: return CommandError(exitCode: .temporaryFailure, message: "\(store): \(error)")
            case .cannotOpen(let failure): return CommandError(exitCode: exitCode(failure.cause), message: failure.description)
            }
        case let error as StoreError:
            return .usage(error.description)
        case let error as StoreFailure:
            return storeFailure(error, store: store)
        default:
            return CommandError(exitCode: .internalError, message: ErrorText.of(error))
        }
    }

    static func exitCode(_ cause: IOFailure.Cause) -> ExitCode {
        switch cause {
        case .io: return .ioError
        case .permission: return .noPermission
        case .readOnly: return .cannotCreate
        case .missing: return .noInput
        case .unusable: return .usage
        }
    }

    /// A store failure, by what a person must do about it.
    private static func storeFailure(_ error: StoreFailure, store: String) -> CommandError {
        let code: ExitCode
        let advice: String
        switch error.storeFailureKind {
        case .busy:
            code = .temporaryFailure
            advice = "the store is locked by another program; try again later"
        case .diskFull:
            code = .ioError
            advice = "the disk is full; nothing of the input in flight was kept"
        case .io(let damaged):
            code = .ioError
            advice = damaged ? "the store file is damaged; restore it from a backup" : "the store could not be read or written"
        case .readOnly(let permission):
            code = permission ? .noPermission : .cannotCreate
            advice = "the store cannot be written here (read-only file or file system)"
        case .permissionDenied:
            code = .noPermission
            advice = "permission denied"
        case .cannotOpen(let errno):
            code = errno == 0 ? .ioError : exitCode(IOFailure(code: errno, path: store, action: "").cause)
            advice = "cannot open the store"
        case .notAStore:
            code = .usage
            advice = "is not a backfill-sync store (not a SQLite database); check --db"
        case .unavailable:
            code = .temporaryFailure
            advice = "the database server cannot be reached or went away; nothing of the input in flight was kept"
        case nil:
            return CommandError(exitCode: .internalError, message: "\(store): \(error)")
        }
        return CommandError(exitCode: code, message: "\(store): \(advice) (\(error))")
    }
}
