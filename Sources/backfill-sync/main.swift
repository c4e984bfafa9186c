import BackfillAPI
import BackfillCore
import CSVUpload
import Foundation
import JSONL
import LayerBills

/// The connectors, in the order `import --help` lists them: the one place
/// that knows them. A new connector is a folder, a Package.swift entry and
/// a line here.
let connectors: [ConnectorFactory] = [
    CSVFactory(),
    LayerFactory(),
    BackfillAPIFactory(),
    JSONLFactory(),
]

/// The command tree: every command the tool has.
let root = CommandSpec(
    name: "backfill-sync",
    abstract: "Import accounting data from provider exports into canonical records in a local SQLite store.",
    discussion: """
        Connectors turn provider input into raw records; one pipeline normalizes them
        to the canonical contracts, validates, diffs against the store by source
        identity and content hash, and applies each file in one transaction. Imports
        are idempotent: importing the same data twice changes nothing.

        Start with: backfill-sync import csv --help
        Version: backfill-sync --version
        """,
    subcommands: [
        ImportCommands.spec(connectors),
        CommandSpec(name: "mapping", abstract: "Propose CSV mapping files.", subcommands: [MappingInitCommand.spec]),
        SyncCommand.spec(connectors),
        ExportCommand.spec,
        RunsCommand.spec,
        RejectsCommand.spec,
        RecordCommands.show,
        RecordCommands.history,
        CursorsCommand.spec,
        CommandSpec(name: "help", abstract: "Show help for a command: backfill-sync help import csv."),
    ]
)

@MainActor func main() -> Int32 {
    // SIGINT and SIGTERM stop a run at its next safe point (`Interruption`).
    Interruption.install()
    let parser = CommandLineParser(root: root)
    do {
        switch try parser.parse(Array(CommandLine.arguments.dropFirst())) {
        case .help(let text):
            print(text, terminator: "")
            return ExitCode.success.rawValue
        case .run(let command, let args, _):
            return try command.run!(args).rawValue
        }
    } catch let error as CommandError {
        Diagnostics.error(error.message)
        return error.exitCode.rawValue
    } catch {
        let failure = CommandError.failure(error, store: "the store")
        Diagnostics.error(failure.message)
        return failure.exitCode.rawValue
    }
}

exit(main())
