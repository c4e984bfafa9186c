import BackfillCore

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

    public init(objectType: String, connectionID: String?, mapping: CSVMapping = CSVMapping(),
                encoding: TextEncoding = .utf8, catalog: ContractCatalog = .standard,
                limits: InputLimits = .standard) throws(InputError) {
        self.limits = limits
        guard let contract = catalog.contract(for: objectType) else {
            throw InputError(kind: .malformed, origin: Origin(file: "--object"), code: .unknownObjectType,
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
        guard let headerRow = try reader.next() else {
            throw InputError(kind: .malformed, origin: Origin(file: input, line: 1), code: .malformedInput,
                             message: "the file is empty; expected a header row")
        }
        let mapper = CSVHeaderMapper(headers: headerRow.fields, contract: contract, mapping: mapping)
        var claimed: [CSVHeaderMapper.Target: String] = [:]
        for (header, target) in zip(headerRow.fields, mapper.targets) where target != .ignored {
            if let other = claimed[target] {
                throw InputError(kind: .malformed, origin: Origin(file: input, line: headerRow.line), code: .malformedInput,
                                 message: "columns '\(Excerpt(other))' and '\(Excerpt(header))' both map to \(target.displayName); "
                                    + "rename one in a mapping file or list it in ignore_columns")
            }
            claimed[target] = header
        }
        return CSVRecordStream(reader: reader, file: input, headers: headerRow.fields, mapper: mapper, connector: self)
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
public struct CSVRecordStream: RecordStream {
    var reader: CSVReader
    let file: String
    let headers: [String]
    let mapper: CSVHeaderMapper
    let connector: CSVConnector
    private var pending: ParsedRow?
    /// Column indices in the order of the keys they set, so a row's fields
    /// are appended to its (sorted) objects rather than inserted between.
    let columnOrder: [Int]

    init(reader: CSVReader, file: String, headers: [String], mapper: CSVHeaderMapper, connector: CSVConnector) {
        self.reader = reader
        self.file = file
        self.headers = headers
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
        guard let row = try reader.next() else { return nil }
        var parsed = ParsedRow(row: row)
        parsed.document = Fields(minimumCapacity: headers.count)  // no regrowth as the row's columns arrive
        if row.fields.count != headers.count {
            parsed.issues.append(RecordIssue(
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
        if let id = parsed.sourceID {
            for i in parsed.issues.indices { parsed.issues[i].sourceID = id }
        }
        return parsed
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
                        issues.append(RecordIssue(
                            origin: Origin(file: file, line: later.row.line), sourceID: first.sourceID, field: key,
                            code: .invalidValue,
                            message: "'\(Excerpt(s))' differs from '\(Excerpt(existing))' on line \(first.row.line); rows of one document must agree on document fields"))
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
        var raw = RawRecord(objectType: connector.objectType, origin: Origin(file: file, line: first.row.line),
                            sourceSystem: connector.sourceSystem, connectionID: connector.connectionID,
                            fields: document, unmapped: unmapped,
                            rawText: rows.map(\.row.text).joined(separator: "\n"), issues: issues)
        if mapper.hasLineColumns {
            raw.lineOrigins = rows.map { Origin(file: file, line: $0.row.line) }
        }
        return raw
    }

}

extension Optional {
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

import Foundation
