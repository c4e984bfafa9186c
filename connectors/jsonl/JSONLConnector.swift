import BackfillCore

/// The `jsonl` connector: canonical records as JSON Lines, one object a line,
/// in the shape `backfill-sync export` writes: the payload with its identity
/// (`source_system`, `connection_id`, `source_id`), the canonical `id`, and
/// the store's `created_at` / `updated_at`. It moves records between stores,
/// replays an export, and loads canonical data from other tools.
///
/// Choices:
/// - `id` is kept as the canonical id, so a record keeps its id in the new
///   store. The store's `created_at` / `updated_at` belong to the store that
///   wrote them and are dropped: the payload never holds them (a provider's
///   own are under `metadata.<source_system>`).
/// - A line with `removed_at` (an `export --include-removed` tombstone) is
///   skipped with a note: importing it would bring a removed record back.
/// - A line that is not a JSON object, or is longer than `--max-record-mib`,
///   is rejected with its line number; the lines after it still import.
/// - `-` reads standard input.
public struct JSONLConnector: Connector {
    public static let name = "jsonl"
    public var sourceSystem: String { Self.name }
    public let objectType: String
    public let limits: InputLimits

    public init(objectType: String, limits: InputLimits = .standard) {
        self.objectType = objectType
        self.limits = limits
    }

    public func open(_ input: String) throws(InputError) -> JSONLRecordStream {
        let file = try InputFile(path: input == "-" ? "/dev/stdin" : input, kind: "a JSON Lines file")
        return open(file, label: input == "-" ? "<stdin>" : input)
    }

    /// The same from bytes already open (or in memory); `label` names the
    /// input in origins.
    public func open(_ file: InputFile, label: String) -> JSONLRecordStream {
        JSONLRecordStream(file: file, label: label, objectType: objectType, limits: limits)
    }
}

/// The records of one JSON Lines input, one line at a time: memory holds one
/// line, never the file.
public struct JSONLRecordStream: RecordStream, SizedStream, NotingStream {
    private var file: InputFile
    private let label: String
    private let objectType: String
    private let limits: InputLimits
    private var lineNumber = 0
    private var removedSkipped = 0
    /// Fields the store adds to an exported record, not part of its payload.
    static let storeFields: Set<String> = ["id", "created_at", "updated_at", "removed_at"]

    init(file: InputFile, label: String, objectType: String, limits: InputLimits) {
        self.file = file
        self.label = label
        self.objectType = objectType
        self.limits = limits
    }

    public var bytesRead: Int { file.bytesConsumed }
    public var totalBytes: Int? { file.totalBytes }
    public var notes: [String] {
        removedSkipped == 0
            ? [] : ["\(label): \(removedSkipped) removed record(s) (with removed_at) skipped; import brings in live records only"]
    }

    public mutating func next() throws(InputError) -> RawRecord? {
        while let next = readLine() {
            let line = next.line
            lineNumber += 1
            let origin = Origin(file: label, line: lineNumber)
            if next.tooLong {
                return rejected(
                    origin, text: "", code: .tooLarge,
                    message: "the line is longer than \(InputLimits.describe(limits.maxRecordBytes)) (--max-record-mib)")
            }
            // Blank lines (and a final newline) carry nothing.
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let text = String(decoding: line, as: UTF8.self)
            let value: Value
            do { value = try JSONParser.parse(line, limits: limits.json) } catch {
                return rejected(origin, text: text, code: error.code, message: "not JSON: \(error.message) (byte \(error.offset))")
            }
            guard case .object(var fields) = value else {
                return rejected(origin, text: text, code: .notARecord, message: "a line must be one JSON object (a record)")
            }
            if let removed = fields["removed_at"], !removed.isNull {
                removedSkipped += 1
                continue
            }
            let canonicalID = fields["id"]?.stringValue
            for key in Self.storeFields { fields.removeValue(forKey: key) }
            let sourceSystem = fields["source_system"]?.stringValue ?? ""
            var issues: [RecordIssue] = []
            if sourceSystem.isEmpty {
                issues.append(
                    RecordIssue(
                        origin: origin, sourceID: nil, field: "source_system", code: .missingRequired,
                        message: "is required: a canonical record names the system it came from"))
            }
            return RawRecord(
                objectType: objectType, origin: origin, sourceSystem: sourceSystem,
                connectionID: fields["connection_id"]?.stringValue, canonicalID: canonicalID, fields: fields,
                rawText: text, issues: issues)
        }
        return nil
    }

    private func rejected(_ origin: Origin, text: String, code: IssueCode, message: String) -> RawRecord {
        RawRecord(
            objectType: objectType, origin: origin, sourceSystem: "", connectionID: nil, fields: [:], rawText: text,
            issues: [RecordIssue(origin: origin, field: nil, code: code, message: message)])
    }

    /// The next line without its `\n`, or, when it is longer than the record
    /// limit, nothing of it (`tooLong`) and the reader past its end. nil at
    /// the end of the input.
    private mutating func readLine() -> (line: [UInt8], tooLong: Bool)? {
        var line: [UInt8] = []
        var tooLong = false
        var sawAny = false
        while true {
            let chunk = file.available()
            if chunk.isEmpty { return sawAny ? (line, tooLong) : nil }
            sawAny = true
            let end = chunk.firstIndex(of: 0x0A)
            let piece = chunk[chunk.startIndex..<(end ?? chunk.endIndex)]
            if !tooLong {
                if line.count + piece.count > limits.maxRecordBytes {
                    tooLong = true
                    line = []
                } else {
                    line.append(contentsOf: piece)
                }
            }
            file.consume(piece.count + (end == nil ? 0 : 1))
            if end != nil { return (line, tooLong) }
        }
    }
}

/// `import jsonl`; no sync entry (a file drop of exports would be one line here).
public struct JSONLFactory: ConnectorFactory {
    public init() {}
    public var kind: String { JSONLConnector.name }

    public var importCommand: FileImportCommand? {
        FileImportCommand(
            name: "jsonl",
            abstract: "Import canonical records as JSON Lines: what export writes, from another store or another tool.",
            discussion: """
                Each line is one canonical record of --object TYPE with its identity
                (source_system, connection_id, source_id) and, when it has one, its canonical
                id: exactly what backfill-sync export writes. The store's created_at and
                updated_at are dropped (the receiving store keeps its own); lines with
                removed_at are skipped. Records are normalized and validated like any other,
                so a second import of the same lines changes nothing. - reads standard input.

                EXIT CODES: as for import csv (0, 65, 64, 66, 73, 74, 75, 77, 130/143, 70;
                2 with --detailed-exitcode).

                EXAMPLES:
                  backfill-sync export expense --db old.sqlite | backfill-sync import jsonl - --object expense --db new.sqlite
                  backfill-sync import jsonl expenses.jsonl --object expense --dry-run
                """,
            fileHelp: "JSON Lines files, in order; - for standard input.",
            options: [
                .init(
                    name: "--object", valueName: "type", help: "Canonical object type of the records. Required.",
                    allowed: ContractCatalog.standard.objectTypes)
            ]
        ) { args, limits in
            let objectType = try args.objectContract().objectType
            let connector = JSONLConnector(objectType: objectType, limits: limits)
            return FileImport(connector: JSONLConnector.name, connectionID: nil, objectType: objectType) { file throws(InputError) in
                AnyRecordStream(try connector.open(file))
            }
        }
    }
}
