import BackfillCore
import Foundation

/// The `csv_upload` connector: bank and expense exports, one record per row,
/// or one document per run of rows sharing a source_id when the file has line
/// columns (`lines.amount`, `lines.description`, …).
public struct CSVConnector: Connector {
    public let sourceSystem = "csv_upload"
    public let objectType: String
    public let connectionID: String?
    public let mapping: CSVMapping
    public let encoding: TextEncoding
    public let contract: ObjectContract
    public let limits: InputLimits
    /// A mapping column the file lacks fails the file (`--strict`), rather than warns.
    public var strictMapping = false
    /// A column that matches no field fails the file (`--strict-columns`),
    /// rather than going to metadata with a warning.
    public var strictColumns = false

    public init(
        objectType: String, connectionID: String?, mapping: CSVMapping = CSVMapping(),
        encoding: TextEncoding = .utf8, catalog: ContractCatalog = .standard,
        limits: InputLimits = .standard
    ) throws(InputError) {
        self.limits = limits
        guard let contract = catalog.contract(for: objectType) else {
            throw InputError(
                kind: .malformed, origin: Origin(file: "--object"), code: .unknownObjectType,
                message: "'\(objectType)' is not a canonical object type")
        }
        self.objectType = objectType
        self.connectionID = connectionID
        self.mapping = mapping
        self.encoding = encoding
        self.contract = contract
    }

    public func open(_ input: String) throws(InputError) -> CSVRecordStream {
        try open(InputFile(path: input, kind: "a CSV file"))
    }

    /// The same from bytes already open (or in memory).
    public func open(_ file: InputFile) throws(InputError) -> CSVRecordStream {
        let input = file.path
        var reader = CSVReader(input: file, delimiter: mapping.delimiter, encoding: encoding, limits: limits)
        var above: [String] = []
        let headerRow = try findHeader(&reader, file: input, above: &above)
        // A header that ends with a delimiter ("a,b,") names an empty last
        // column; rows then end with one too. It is no column at all.
        var headers = headerRow.fields
        var trailingEmpty = 0
        while headers.count > 1, headers.last?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            headers.removeLast()
            trailingEmpty += 1
        }
        let addresses = CSVHeaderMapper.addresses(headers)
        func index(of column: String) throws(InputError) -> Int {
            let key = CSVHeaderMapper.matchKey(column)
            guard let i = addresses.firstIndex(of: key) else {
                throw InputError(
                    kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                    message: "the mapping's rules name column '\(Excerpt(column))', which this file does not have "
                        + "(its columns: \(headers.map { Excerpt($0, limit: 30).description }.joined(separator: ", ")))")
            }
            return i
        }
        let rules = try CSVRecordStream.CompiledRules(mapping.rules, headers: headers, format: mapping.options.amountFormat, index: index)
        let consumed = Set(mapping.rules.consumed.map(CSVHeaderMapper.matchKey))
        let mapper = CSVHeaderMapper(headers: headers, contract: contract, mapping: mapping, consumed: consumed)
        var claimed: [CSVHeaderMapper.Target: String] = [:]
        for (header, target) in zip(headers, mapper.targets) where target != .ignored {
            if let other = claimed[target] {
                throw InputError(
                    kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                    message: "columns '\(Excerpt(other))' and '\(Excerpt(header))' both map to \(target.displayName); "
                        + "rename one in a mapping file (a repeated name is addressed as 'Name#2') or list it in ignore_columns")
            }
            claimed[target] = header
        }
        if rules.amount != nil, let total = contract.totalField, claimed[.document([total])] != nil {
            throw InputError(
                kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                message: "the mapping has an amount rule and also maps a column to \(total); keep one")
        }
        var notes: [String] = []
        let missing = mapping.columnHeaders.filter { !addresses.contains(CSVHeaderMapper.matchKey($0)) }
        if !missing.isEmpty {
            let text =
                "the mapping names column(s) this file does not have: "
                + missing.map { "'\(Excerpt($0, limit: 30))'" }.joined(separator: ", ")
            if strictMapping {
                throw InputError(
                    kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                    message: text + " (--strict)")
            }
            notes.append("\(input): " + text)
        }
        let unmatched = mapper.targets.compactMap { target -> String? in if case .unmapped(let h) = target { return h } else { return nil }
        }
        if !unmatched.isEmpty {
            let text = "\(unmatched.count) column(s) match no \(contract.objectType) field"
            let list = unmatched.map { "'\(Excerpt($0, limit: 30))'" }.joined(separator: ", ")
            if strictColumns {
                throw InputError(
                    kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                    message: "\(text) (--strict-columns): \(list); map or ignore each in the mapping")
            }
            notes.append("\(input): \(text) and are kept under metadata.csv_upload: \(list)")
        }
        var stream = CSVRecordStream(
            reader: reader, file: input, headers: headers, trailingEmpty: trailingEmpty, mapper: mapper,
            rules: rules, notes: notes, connector: self)
        if !mapping.detectHeader { above.append(headerRow.text) }
        stream.inputHeader = CanonicalJSON.string(
            .object([
                "text": .string(above.joined(separator: "\n")), "delimiter": .string(String(UnicodeScalar(mapping.delimiter))),
            ]))
        return stream
    }

    /// The header row: after `skip_rows`, or with `"header_row": "auto"`
    /// the first of 50 rows that holds every column the mapping names (or,
    /// for a mapping that names none, two cells that are contract fields or
    /// known export names). A preamble of account number, period and
    /// balance lines is skipped that way.
    private func findHeader(_ reader: inout CSVReader, file: String, above: inout [String]) throws(InputError) -> CSVRow {
        for _ in 0..<mapping.skipRows {
            guard let row = try reader.next() else { break }
            above.append(row.text)
        }
        guard mapping.detectHeader else {
            guard let row = try reader.next() else {
                throw InputError(
                    kind: .malformed, origin: Origin(file: file, line: 1), code: .malformedInput,
                    message: "the file is empty; expected a header row")
            }
            return row
        }
        let wanted = Set((mapping.columnHeaders + mapping.rules.columns).map(CSVHeaderMapper.matchKey))
        for _ in 0..<50 {
            guard let row = try reader.next() else { break }
            defer { above.append(row.text) }
            let keys = Set(CSVHeaderMapper.addresses(row.fields))
            if wanted.isEmpty {
                let mapper = CSVHeaderMapper(headers: row.fields, contract: contract, mapping: mapping)
                if mapper.targets.filter({ if case .document = $0 { return true } else { return false } }).count >= 2 { return row }
            } else if wanted.isSubset(of: keys) {
                return row
            }
        }
        throw InputError(
            kind: .malformed, origin: Origin(file: file, line: 1), code: .malformedInput,
            message: "no header row among the first 50 rows"
                + (wanted.isEmpty ? "" : " holds every column the mapping names (\(mapping.columnHeaders.joined(separator: ", ")))"))
    }
}

extension CSVHeaderMapper.Target {
    var displayName: String {
        switch self {
        case .document(let p): return p.joined(separator: ".")
        case .line(let p): return "lines." + p.joined(separator: ".")
        case .unmapped(let h): return "metadata.csv_upload.\(h)"
        case .ignored: return "nothing"
        }
    }
}

/// Streams raw records from one CSV file.
public struct CSVRecordStream: RowFileStream, SizedStream, NotingStream {
    public var bytesRead: Int { reader.bytesRead }
    public var totalBytes: Int? { reader.totalBytes }
    /// Preamble and header as read, and the delimiter: what `rejects
    /// --format csv` writes above the rejected rows.
    public internal(set) var inputHeader: String? = nil
    var reader: CSVReader
    let file: String
    let headers: [String]
    let mapper: CSVHeaderMapper
    let connector: CSVConnector
    private var pending: ParsedRow?
    /// Empty header cells dropped from the end: rows may carry as many empty fields.
    let trailingEmpty: Int
    let rules: CompiledRules
    /// How many identical rows of each derived key came so far, by the
    /// key's first 8 bytes: a million distinct rows cost about 32 MB.
    private var occurrences: [UInt64: Int] = [:]
    /// Rows `skip_if` left out.
    public private(set) var skipped = 0
    /// What a person should know about this file's columns (absent mapping
    /// columns, columns kept only as metadata), and at the end the skips.
    public var notes: [String] {
        baseNotes + (skipped > 0 ? ["\(file): \(skipped) row(s) skipped by the mapping's skip_if"] : [])
    }
    private let baseNotes: [String]
    /// `RawRecord.SourceBytes.context` for this file's records: everything
    /// besides a row's text that turns it into a raw record (see `madeFrom`).
    var rowContext: String { maker.rowContext }
    /// What turns a row into its record, shared with the rows left unmade.
    let maker: CSVRowMaker
    /// The column of the source id, when a row can go unmade
    /// (`UnmadeCSVRow`): the id is that one cell, and no rule, line column,
    /// constant or default has a part in the record's identity or issues.
    let unmadeIDColumn: Int?

    init(
        reader: CSVReader, file: String, headers: [String], trailingEmpty: Int = 0, mapper: CSVHeaderMapper,
        rules: CompiledRules = CompiledRules(), notes: [String] = [], connector: CSVConnector
    ) {
        self.reader = reader
        self.file = file
        self.headers = headers
        self.trailingEmpty = trailingEmpty
        self.rules = rules
        self.baseNotes = notes
        self.mapper = mapper
        self.connector = connector
        self.maker = CSVRowMaker(
            file: file, headers: headers, mapper: mapper, connector: connector,
            rowContext: Self.rowContext(headers: headers, trailingEmpty: trailingEmpty, mapper: mapper, rules: rules, connector: connector))
        let idColumns = mapper.targets.indices.filter { mapper.targets[$0] == .document(["source_id"]) }
        let plain =
            !mapper.hasLineColumns && rules.amount == nil && rules.combine == nil && rules.derive.isEmpty
            && !connector.mapping.constants.keys.contains("source_id") && !connector.mapping.defaults.keys.contains("source_id")
        self.unmadeIDColumn = plain && idColumns.count == 1 ? idColumns[0] : nil
    }

    /// What a record is made from besides its rows' text, hashed once per
    /// file: the header as read, the empty columns dropped from its end,
    /// each column's target, the rules bound to their columns, constants,
    /// defaults, delimiter and encoding. Given that and the text, splitting
    /// and mapping are fixed, so the text's hash can stand for the record
    /// (`RecordFingerprinter`). The one other input is the occurrence count
    /// in a derived source id (`d-…-2`): it is part of the identity whose
    /// stored fingerprint the hash is compared with, so it needs no place
    /// here. The rest of the mapping (amount and date formats, time zone)
    /// is the normalizer's, in the fingerprint's seed.
    ///
    /// Targets and rules are written with `String(reflecting:)`: value types
    /// of strings, numbers and arrays, which it spells out whole and in order.
    static func rowContext(
        headers: [String], trailingEmpty: Int, mapper: CSVHeaderMapper, rules: CompiledRules, connector: CSVConnector
    ) -> String {
        var text = "csv_upload row 1\u{1F}\(connector.mapping.delimiter)\u{1F}\(connector.encoding.rawValue)\u{1F}"
        text += "\(headers.count)\u{1F}" + headers.joined(separator: "\u{1F}") + "\u{1F}\(trailingEmpty)\u{1F}"
        text += String(reflecting: mapper.targets) + "\u{1F}" + String(reflecting: rules) + "\u{1F}"
        text += CanonicalJSON.string(.object(connector.mapping.constants)) + "\u{1F}"
        text += CanonicalJSON.string(.object(connector.mapping.defaults))
        return SHA256.hex(Array(text.utf8))
    }

    public mutating func next() throws(InputError) -> RawRecord? {
        let first: ParsedRow
        if let waiting = pending.take() {
            first = waiting
        } else if let row = try readRow() {
            first = row
        } else {
            return nil
        }
        guard mapper.hasLineColumns else { return maker.record(from: [first]) }
        // Consecutive rows sharing a source_id are one document with lines.
        var group = [first]
        while let sourceID = first.sourceID, let following = try readRow() {
            if following.sourceID == sourceID {
                group.append(following)
            } else {
                pending = following
                break
            }
        }
        return maker.record(from: group)
    }

    /// A row can go unmade when its id cell is the whole source id and the
    /// row would carry no issue.
    public mutating func nextGroup() throws(InputError) -> RecordGroup? {
        guard let idColumn = unmadeIDColumn else { return try next().map(RecordGroup.made) }
        guard let row = try nextRow() else { return nil }
        if let unmade = UnmadeCSVRow(row, idColumn: idColumn, maker: maker) { return .unmade(unmade) }
        return .made(maker.record(from: [parsed(row)]))
    }

    private mutating func readRow() throws(InputError) -> ParsedRow? {
        try nextRow().map { parsed($0) }
    }

    /// The next row that `skip_if` keeps, with the empty cells past the
    /// header's dropped.
    private mutating func nextRow() throws(InputError) -> CSVRow? {
        var next: CSVRow?
        while let candidate = try reader.next() {
            if rules.skips(candidate.fields) {
                skipped += 1
                continue
            }
            next = candidate
            break
        }
        guard var row = next else { return nil }
        if trailingEmpty > 0, row.fields.count > headers.count, row.fields.count <= headers.count + trailingEmpty,
            row.fields[headers.count...].allSatisfy(\.isBlankCell)
        {
            row.fields.removeLast(row.fields.count - headers.count)
        }
        return row
    }

    private mutating func parsed(_ row: CSVRow) -> ParsedRow {
        var parsed = maker.parse(row)
        if parsed.issues.isEmpty { applyRules(&parsed) }
        if let id = parsed.sourceID {
            for i in parsed.issues.indices { parsed.issues[i].sourceID = id }
        }
        return parsed
    }

    /// The amount rule and the derived id, on a row that has every column.
    private mutating func applyRules(_ parsed: inout ParsedRow) {
        let origin = Origin(file: file, line: parsed.row.line)
        let contract = connector.contract
        let total = contract.totalField ?? "amount"
        if let rule = rules.amount {
            switch rules.signedAmount(rule, parsed.row.fields, moneyOutSign: contract.moneyOutSign) {
            case .success(let value): parsed.document[total] = .decimal(value)
            case .failure(let problem):
                parsed.issues.append(RecordIssue(origin: origin, field: total, code: problem.code, message: problem.message))
            }
        }
        if let combine = rules.combine, let text = rules.combined(parsed.row.fields) {
            parsed.document[combine.field] = .string(text)
        }
        if !rules.derive.isEmpty {
            let key = rules.derivedKey(parsed.row.fields, options: connector.mapping.options)
            let short = UInt64(key.prefix(16), radix: 16) ?? 0
            let n = occurrences[short, default: 0] + 1
            occurrences[short] = n
            parsed.document["source_id"] = .string("d-\(key.prefix(20))-\(n)")
        }
    }

}

extension Optional {
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

extension String {
    /// Empty or only white space (tabs and Unicode spaces, what Foundation's
    /// `.whitespaces` trims): a cell with nothing in it. Decided at the first
    /// other character, without Foundation's trimming, which bridges through
    /// NSString and, run on every cell of every row, was a third of a
    /// re-import's time.
    var isBlankCell: Bool {
        unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" || (!$0.isASCII && $0.properties.generalCategory == .spaceSeparator) }
    }
}
