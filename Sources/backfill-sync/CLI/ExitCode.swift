/// Exit codes a cron job can act on (BSD sysexits where one fits).
enum ExitCode: Int32 {
    /// Everything applied; with --detailed-exitcode on a dry run: no changes.
    case success = 0
    /// --detailed-exitcode on a dry run: there are changes to apply.
    case changesPresent = 2
    /// Usage or configuration error (EX_USAGE).
    case usage = 64
    /// Some records or inputs were rejected; the rest applied (EX_DATAERR).
    case dataError = 65
    /// An input file is missing or unreadable (EX_NOINPUT).
    case noInput = 66
    /// A failure of backfill-sync itself (EX_SOFTWARE).
    case internalError = 70
    /// Temporary: the store is locked by another run; try again (EX_TEMPFAIL).
    case temporaryFailure = 75
}

/// A failure that ends a command with a message and an exit code.
struct CommandError: Error {
    let exitCode: ExitCode
    let message: String

    static func usage(_ message: String) -> CommandError { CommandError(exitCode: .usage, message: message) }
}
