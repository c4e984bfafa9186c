import BackfillCore
import BackfillSQLite
import CSVUpload
import Foundation

/// `mapping init`: from a new bank export to a first dry run in one step.
enum MappingInitCommand {
    static let spec = CommandSpec(
        name: "init",
        abstract: "Read a CSV export and propose the mapping file that imports it.",
        discussion: """
            Sniffs the encoding (UTF-8 or Windows-1252), the delimiter, preamble lines
            before the header, date patterns, the decimal style, the amount and its sign
            (a direction column, debit/credit columns, CR markers), an id column or the
            columns to derive ids from, and pending rows. Writes the mapping (to standard
            output, or --output) with what it guessed and what it could not decide in its
            $comment; the same notes go to standard error. It never invents a business
            fact: a required status or an unnamed currency is listed for you to set.

            EXAMPLES:
              backfill-sync mapping init statement.csv --object expense --output statement.json
              backfill-sync import csv statement.csv --object expense --mapping statement.json --dry-run
            """,
        arguments: [.init(name: "file", help: "The CSV export to read (its first MiB).")],
        options: [
            .init(
                name: "--object", valueName: "type", help: "Canonical object type of the rows (expense, bank_transaction, …). Required.",
                allowed: ContractCatalog.standard.objectTypes),
            .init(name: "--output", valueName: "path", help: "Write the mapping here (whole or not at all) instead of standard output."),
        ],
        run: run
    )

    static func run(_ args: ParsedArguments) throws -> ExitCode {
        let contract = try args.objectContract()
        let file = args.positionals[0]
        let proposal: CSVMappingProposal
        do {
            proposal = try CSVMappingProposal.propose(file: file, contract: contract)
        } catch {
            Diagnostics.line(error.description)
            return error.kind == .unreadable ? .noInput : .dataError
        }
        for note in proposal.guessed { Diagnostics.line("guessed: \(note)") }
        for note in proposal.undecided { Diagnostics.line("could not decide: \(note)") }
        if let path = args.value("--output"), let store = storeAt(path) {
            throw CommandError.usage("\(path): refusing to write the mapping over \(store); choose another --output")
        }
        let out =
            try args.value("--output").map { path in
                do { return try OutputSink.file(path, protecting: [(file, "the export being read")]) } catch {
                    throw CommandError.failure(error, store: path)
                }
            } ?? OutputSink.standardOutput()
        out.write(proposal.json(source: file))
        do { try out.close() } catch { throw CommandError.failure(error, store: "") }
        let target = args.value("--output") ?? "MAPPING.json"
        Diagnostics.line("next: backfill-sync import csv \(file) --object \(contract.objectType) --mapping \(target) --dry-run")
        return .success
    }

    /// What `path` would destroy if it is a store or one of its files
    /// (mapping init takes no --db, so a store is known by its bytes: SQLite's
    /// "SQLite format 3" header), or nil.
    static func storeAt(_ path: String) -> String? {
        func isSQLite(_ p: String) -> Bool {
            guard let handle = FileHandle(forReadingAtPath: p) else { return false }
            defer { handle.closeFile() }
            return handle.readData(ofLength: 16) == Data("SQLite format 3\u{0}".utf8)
        }
        if isSQLite(path) { return "a SQLite store" }
        // The store's companions: the same list --report-file is refused.
        for (companion, _) in SQLiteStore.files(of: "").dropFirst() where path.hasSuffix(companion) {
            let store = String(path.dropLast(companion.count))
            if isSQLite(store) { return "a file of the SQLite store \(store)" }
        }
        return nil
    }
}
