import BackfillCore

/// The `csv_upload` connector as a plug-in: `import csv`, and file drops in
/// a sync config (`glob`, `object`, optional `mapping`).
public struct CSVFactory: ConnectorFactory {
    public init() {}
    public var kind: String { "csv_upload" }
    public var syncs: Bool { true }

    public func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection? {
        entry.warnUnknown(besides: ["glob", "object", "mapping"])
        let glob = entry.reader.resolve(try entry.string("glob", required: true)!)
        let object = try entry.objectType("object")
        let mappingPath = try entry.string("mapping").map(entry.reader.resolve)
        return FileDropConnection(entry: entry, glob: glob, objectType: object) { () throws(SyncConfig.ConfigError) in
            var mapping = CSVMapping()
            if let mappingPath {
                do { mapping = try CSVMapping.load(path: mappingPath) } catch { throw entry.fail("mapping", "\(error)") }
            }
            let connector: CSVConnector
            do {
                connector = try CSVConnector(
                    objectType: object, connectionID: entry.connectionID, mapping: mapping,
                    encoding: mapping.encoding ?? .utf8)
            } catch { throw entry.fail("object", "\(error)") }
            return connector.fileImport(sourceSystem: entry.connector)
        }
    }

    public var importCommand: FileImportCommand? {
        FileImportCommand(
            name: "csv",
            abstract: "Import CSV exports (bank, expense, bill lines) as canonical records.",
            discussion: """
                Each row becomes one record of --object TYPE, identified by (TYPE, csv_upload,
                --connection, source_id). Headers match contract fields case- and space-
                insensitively (\"Expense Date\" = expense_date) and common export names
                (Date, Amount, Payee/Vendor, Description, Memo, Category, ID, Currency).
                Columns named lines.<field> make consecutive rows with one source_id a single
                document with lines. A --mapping file renames columns and sets constants,
                defaults, date formats and amount formats. Unmapped columns are kept under
                metadata.csv_upload. A mapping also reads real exports: preambles, skip rules,
                direction or debit/credit columns, derived ids (README, "Real-world exports");
                backfill-sync mapping init FILE --object TYPE proposes one.

                Each file is applied in one transaction: a file that cannot be read leaves
                nothing behind, and one bad file never undoes another. Rejected rows are
                reported with file:line, field and code, and stored in the rejects table.

                EXIT CODES: 0 applied; 65 some rows or files rejected (the rest applied,
                or nothing with --strict); 64 usage, or a path naming the wrong thing;
                66 input or directory missing; 73 read-only file system; 74 disk full or
                I/O error; 75 store locked (see --wait); 77 permission denied; 130/143
                SIGINT/SIGTERM (run recorded as interrupted); 70 internal error. With
                --dry-run --detailed-exitcode: 0 no changes, 2 changes present.

                EXAMPLES:
                  backfill-sync import csv samples/expenses.csv --object expense --connection acme
                  backfill-sync import csv bank.csv --object expense --mapping samples/mappings/bank.json --dry-run
                  backfill-sync import csv bills.csv --object vendor_bill --report json --report-file plan.json
                """,
            fileHelp: "CSV files to import, in order.",
            options: [
                .init(
                    name: "--object", valueName: "type", help: "Canonical object type of the rows (expense, vendor_bill, …). Required.",
                    allowed: ContractCatalog.standard.objectTypes),
                .init(name: "--connection", valueName: "id", help: "connection_id that scopes these records' identity."),
                .init(name: "--mapping", valueName: "file", help: "JSON mapping file (see samples/mappings/bank.json)."),
                .init(
                    name: "--encoding", valueName: "name", help: "Text encoding of the files (else the mapping's encoding, else UTF-8).",
                    allowed: TextEncoding.allCases.map(\.rawValue)),
                .init(name: "--delimiter", valueName: "char", help: "Field delimiter: , ; | or tab (else the mapping's, else ,)."),
                .init(
                    name: "--strict-columns", valueName: nil,
                    help: "Fail a file with a column that matches no field, instead of keeping it as metadata."),
            ],
            prepare: Self.prepare)
    }

    static func prepare(_ args: CommandArguments, limits: InputLimits) throws -> FileImport {
        let objectType = try args.objectContract().objectType
        var mapping = CSVMapping()
        if let path = args.value("--mapping") {
            do { mapping = try CSVMapping.load(path: path) } catch { throw UsageError(error.description) }
        }
        let encoding = args.value("--encoding").flatMap(TextEncoding.init(rawValue:)) ?? mapping.encoding ?? .utf8
        if let text = args.value("--delimiter") {
            let named = ["tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"][text.lowercased()] ?? text
            guard named.utf8.count == 1, let byte = named.utf8.first, byte != UInt8(ascii: "\""), byte != 0x0A, byte != 0x0D else {
                throw UsageError("--delimiter takes one character such as ',', ';', '|' or 'tab', not '\(Excerpt(text))'.")
            }
            mapping.delimiter = byte
        }
        var connector = try CSVConnector(
            objectType: objectType, connectionID: args.value("--connection"),
            mapping: mapping, encoding: encoding, limits: limits)
        connector.strictMapping = args.flag("--strict")
        connector.strictColumns = args.flag("--strict-columns")
        var fileImport = connector.fileImport(sourceSystem: connector.sourceSystem)
        fileImport.suggestion = { "backfill-sync mapping init \($0) --object \(objectType)" }
        return fileImport
    }
}

extension CSVConnector {
    /// How the runner opens this connector's files; `sourceSystem` is what
    /// the run row names the connector by.
    func fileImport(sourceSystem: String) -> FileImport {
        FileImport(
            connector: sourceSystem, connectionID: connectionID, normalizer: Normalizer(options: mapping.options),
            objectType: objectType
        ) { file throws(InputError) in AnyRecordStream(try open(file)) }
    }
}
