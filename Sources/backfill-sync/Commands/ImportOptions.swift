import BackfillCore
import Foundation

/// The options every import shares, and the one way an import runs: open the
/// store, hand the files to the sync runner, deliver the report and its exit
/// code. Connectors differ only in their `FileImport`: how a file becomes a
/// record stream.
struct ImportOptions {
    static let common: [CommandSpec.Option] =
        [
            StoreOpening.option,
            .init(name: "--dry-run", valueName: nil, help: "Plan and report every change; write nothing, not even a run row."),
            .init(name: "--strict", valueName: nil, help: "Apply nothing if anything is rejected."),
            .init(name: "--detailed-exitcode", valueName: nil, help: "With --dry-run: exit 2 when there are changes, 0 when none."),
            .init(
                name: "--wait", valueName: "seconds", help: "If another run holds the store, wait this long for it (then exit 75).",
                defaultValue: "0"),
            .init(
                name: "--max-field-mib", valueName: "MiB", help: "Largest CSV field or JSON string accepted (a larger one fails the file).",
                defaultValue: "16"),
            .init(
                name: "--max-record-mib", valueName: "MiB", help: "Largest CSV row or JSON array element (one bill) accepted.",
                defaultValue: "32"),
        ] + ReportDelivery.commandOptions

    /// The limits `--max-field-mib` and `--max-record-mib` set, checked.
    static func limits(_ args: ParsedArguments) throws -> InputLimits {
        var limits = InputLimits.standard
        for (option, keyPath) in [("--max-field-mib", \InputLimits.maxFieldBytes), ("--max-record-mib", \InputLimits.maxRecordBytes)] {
            guard let text = args.value(option) else { continue }
            guard let mib = Int(text), mib >= 1, mib <= 4096 else {
                throw CommandError.usage("\(option) takes a whole number of MiB from 1 to 4096, not '\(Excerpt(text))'.")
            }
            limits[keyPath: keyPath] = mib << 20
        }
        return limits
    }

    let location: StoreLocation
    let dryRun: Bool
    let strict: Bool
    let args: ParsedArguments
    let detailedExitCode: Bool
    let wait: Double

    init(_ args: ParsedArguments) throws {
        guard let wait = Double(args.value("--wait") ?? "0"), wait >= 0, wait <= 86400 else {
            throw CommandError.usage("--wait takes seconds, from 0 to 86400.")
        }
        self.wait = wait
        location = try StoreLocation(args)
        dryRun = args.flag("--dry-run")
        strict = args.flag("--strict")
        self.args = args
        detailedExitCode = args.flag("--detailed-exitcode")
    }

    /// Runs the files through one run of the pipeline, writes the report
    /// and chooses the exit code.
    func run(command: String, files: [String], with fileImport: FileImport) throws -> ExitCode {
        if detailedExitCode && !dryRun {
            throw CommandError.usage("--detailed-exitcode goes with --dry-run.")
        }
        // The report target first: a bad --report-file fails before any work.
        let report = try ReportDelivery(args, store: location)
        // A file named twice (an overlapping glob) is imported once: its second
        // pass would otherwise reject every row as a duplicate of itself.
        var unique: [String] = []
        for file in files where !unique.contains(file) { unique.append(file) }
        if unique.count < files.count {
            Diagnostics.warning("\(files.count - unique.count) file(s) named more than once; each is imported once")
        }
        let store =
            try dryRun
            ? StoreOpening.forDryRun(location)
            : StoreOpening.forWriting(location, connections: [fileImport.connectionID ?? ""], wait: wait, command: command)
        let observer = CLIObserver(report: report.writer)
        observer.suggestion = fileImport.suggestion
        let runner = SyncRunner(store: store, mode: dryRun ? .dryRun : .apply, observer: observer)
        runner.warn = Diagnostics.warning
        let result: RunResult
        do { result = try runner.importFiles(unique, with: fileImport, strict: strict) } catch {
            throw CommandError.failure(error, store: location.display)
        }
        observer.finish()
        return try report.deliver(
            [result], runner: runner, command: "backfill-sync \(command)", store: location.display,
            detailedExitCode: detailedExitCode)
    }
}

/// `import <name>` for each connector that reads files.
enum ImportCommands {
    static func spec(_ connectors: [ConnectorFactory]) -> CommandSpec {
        CommandSpec(
            name: "import", abstract: "Import files through a connector.",
            subcommands: connectors.compactMap(\.importCommand).map(spec))
    }

    static func spec(_ command: FileImportCommand) -> CommandSpec {
        CommandSpec(
            name: command.name, abstract: command.abstract, discussion: command.discussion,
            arguments: [.init(name: "file", help: command.fileHelp, variadic: true)],
            options: command.options + ImportOptions.common
        ) { args in
            let fileImport: FileImport
            do { fileImport = try command.prepare(args, try ImportOptions.limits(args)) } catch let error as UsageError {
                throw CommandError.usage(error.message)
            } catch let error as InputError {
                throw CommandError.usage(error.message)
            }
            return try ImportOptions(args).run(command: "import \(command.name)", files: args.positionals, with: fileImport)
        }
    }
}
