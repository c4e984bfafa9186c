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
    /// Column indices in the order of the keys they set, so a row's fields
    /// are appended to its (sorted) objects rather than inserted between.
    let columnOrder: [Int]
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
    let rowContext: String

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
        let keys = mapper.targets.map { target -> String in
            switch target {
            case .document(let p), .line(let p): return p.joined(separator: ".")
            case .unmapped(let header): return header
            case .ignored: return ""
            }
        }
        self.columnOrder = keys.indices.sorted { Fields.precedes(keys[$0], keys[$1]) }
        self.rowContext = Self.rowContext(
            headers: headers, trailingEmpty: trailingEmpty, mapper: mapper, rules: rules, connector: connector)
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

    /// One CSV row, split into document fields, line fields and the rest.
    struct ParsedRow {
        var document: Fields = [:]
        var line: Fields = [:]
        var unmapped: Fields = [:]
        var row: CSVRow
        var issues: [RecordIssue] = []

        var sourceID: String? {
            guard case .string(let s)? = document["source_id"] else { return nil }
            // Trim only when an end is white space: Foundation's trimming
            // bridges through NSString, which showed up in profiles.
            func plain(_ u: Unicode.Scalar?) -> Bool { u.map { $0.isASCII && $0 != " " && $0 != "\t" } ?? true }
            let t = plain(s.unicodeScalars.first) && plain(s.unicodeScalars.last) ? s : s.trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? nil : t
        }
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
        guard mapper.hasLineColumns else { return record(from: [first]) }
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
        return record(from: group)
    }

    private mutating func readRow() throws(InputError) -> ParsedRow? {
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
        var parsed = ParsedRow(row: row)
        parsed.document = Fields(minimumCapacity: headers.count)  // no regrowth as the row's columns arrive
        let filled = row.fields.reduce(0) { $0 + ($1.isBlankCell ? 0 : 1) }
        if headers.count >= 3 && filled <= 1 {
            // "March 2026" or "Total;;;1.234,56": named for what it is, not as
            // a ragged row or a record missing every field.
            parsed.issues.append(
                RecordIssue(
                    origin: Origin(file: file, line: row.line), sourceID: nil, field: nil, code: .notARecord,
                    message:
                        "has \(filled) filled cell\(filled == 1 ? "" : "s") of \(headers.count): a sub-heading or total, not a record; "
                        + "a skip_if rule in the mapping leaves such rows out"))
            return parsed
        }
        if row.fields.count != headers.count {
            parsed.issues.append(
                RecordIssue(
                    origin: Origin(file: file, line: row.line), sourceID: nil, field: nil, code: .raggedRow,
                    message: "has \(row.fields.count) field\(row.fields.count == 1 ? "" : "s"); the header has \(headers.count)"))
        }
        for index in columnOrder where index < row.fields.count {
            let value = row.fields[index]
            switch mapper.targets[index] {
            // An empty nested cell (an unused dimension) adds no key; an empty
            // top-level cell stays "" so defaults can fill it.
            case .document(let path) where path.count == 1: parsed.document[path[0]] = .string(value)
            case .document(let path) where !value.isEmpty: set(&parsed.document, path[...], .string(value))
            case .line(let path) where path.count == 1 || !value.isEmpty: set(&parsed.line, path[...], .string(value))
            case .document, .line: break
            case .unmapped(let header): if !value.isEmpty { parsed.unmapped[header] = .string(value) }
            case .ignored: break
            }
        }
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

    /// The rows' text, each after its length, so that two rows and one row
    /// holding the same characters (a quoted line break) differ.
    private static func sourceBytes(of rows: [ParsedRow]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.reduce(0) { $0 + $1.row.text.utf8.count + 8 })
        for row in rows {
            let count = UInt64(row.row.text.utf8.count)
            withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: row.row.text.utf8)
        }
        return bytes
    }

    /// Sets a value at a dotted path (`payment_method_details.card_last4`).
    private func set(_ fields: inout Fields, _ path: ArraySlice<String>, _ value: Value) {
        guard let head = path.first else { return }
        if path.count == 1 {
            fields[head] = value
            return
        }
        var nested = fields[head]?.objectValue ?? [:]
        set(&nested, path.dropFirst(), value)
        fields[head] = .object(nested)
    }

    private func record(from rows: [ParsedRow]) -> RawRecord {
        let first = rows[0]
        var document = first.document
        var issues = rows.flatMap(\.issues)
        var unmapped = first.unmapped
        // Rows of one document must agree on document fields; a disagreement
        // is an error, not a silent choice of one row.
        for later in rows.dropFirst() {
            for (key, value) in later.document {
                guard case .string(let s) = value, !s.isEmpty else { continue }
                if case .string(let existing)? = document[key], !existing.isEmpty {
                    if existing != s {
                        issues.append(
                            RecordIssue(
                                origin: Origin(file: file, line: later.row.line), sourceID: first.sourceID, field: key,
                                code: .invalidValue,
                                message:
                                    "'\(Excerpt(s))' differs from '\(Excerpt(existing))' on line \(first.row.line); rows of one document must agree on document fields"
                            ))
                    }
                } else {
                    document[key] = value
                }
            }
            for (k, v) in later.unmapped where unmapped[k] == nil { unmapped[k] = v }
        }
        for (key, value) in connector.mapping.constants {
            set(&document, key.split(separator: ".").map(String.init)[...], value)
        }
        for (key, value) in connector.mapping.defaults {
            let current = document[key]
            if current == nil || current == .string("") { set(&document, key.split(separator: ".").map(String.init)[...], value) }
        }
        if mapper.hasLineColumns {
            document["lines"] = .array(rows.map { .object($0.line) })
        }
        var raw = RawRecord(
            objectType: connector.objectType, origin: Origin(file: file, line: first.row.line),
            sourceSystem: connector.sourceSystem, connectionID: connector.connectionID,
            fields: document, unmapped: unmapped,
            rawText: rows.map(\.row.text).joined(separator: "\n"), issues: issues)
        if mapper.hasLineColumns {
            raw.lineOrigins = rows.map { Origin(file: file, line: $0.row.line) }
        }
        raw.madeFrom = RawRecord.SourceBytes(context: rowContext, bytes: Self.sourceBytes(of: rows))
        return raw
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
