import BackfillCore
import Foundation

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
        let t = CSVRowMaker.isPlain(s) ? s : s.trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }
}

/// What turns one file's rows into raw records, apart from what depends on
/// the rows before (skips, derived ids, grouping into documents), which the
/// stream keeps. Immutable, so a row left unmade (`UnmadeCSVRow`) can be
/// made on any thread.
final class CSVRowMaker: Sendable {
    let file: String
    let headerCount: Int
    let targets: [CSVHeaderMapper.Target]
    /// Column indices in the order of the keys they set, so a row's fields
    /// are appended to its (sorted) objects rather than inserted between.
    let columnOrder: [Int]
    let hasLineColumns: Bool
    let objectType: String
    let sourceSystem: String
    let connectionID: String?
    let constants: Fields
    let defaults: Fields
    let rowContext: String

    init(file: String, headers: [String], mapper: CSVHeaderMapper, connector: CSVConnector, rowContext: String) {
        self.file = file
        self.headerCount = headers.count
        self.targets = mapper.targets
        let keys = mapper.targets.map { target -> String in
            switch target {
            case .document(let p), .line(let p): return p.joined(separator: ".")
            case .unmapped(let header): return header
            case .ignored: return ""
            }
        }
        self.columnOrder = keys.indices.sorted { Fields.precedes(keys[$0], keys[$1]) }
        self.hasLineColumns = mapper.hasLineColumns
        self.objectType = connector.objectType
        self.sourceSystem = connector.sourceSystem
        self.connectionID = connector.connectionID
        self.constants = connector.mapping.constants
        self.defaults = connector.mapping.defaults
        self.rowContext = rowContext
    }

    /// Neither empty nor starting or ending with white space: a cell that
    /// is its own trimmed value.
    static func isPlain(_ s: String) -> Bool {
        func plain(_ u: Unicode.Scalar?) -> Bool { u.map { $0.isASCII && $0 != " " && $0 != "\t" } ?? true }
        return plain(s.unicodeScalars.first) && plain(s.unicodeScalars.last)
    }

    /// A sub-heading or total ("March 2026", "Total;;;1.234,56"): at most one
    /// filled cell in a file of three columns or more. Decided at the second
    /// filled cell, which is most rows' second.
    func isSubheading(_ row: CSVRow) -> Bool {
        guard headerCount >= 3 else { return false }
        var filled = 0
        for cell in row.fields where !cell.isBlankCell {
            filled += 1
            if filled == 2 { return false }
        }
        return true
    }

    /// The row's cells as fields, with the issues of its shape (a sub-heading
    /// or total; a ragged row). The mapping's rules are the stream's.
    func parse(_ row: CSVRow) -> ParsedRow {
        var parsed = ParsedRow(row: row)
        parsed.document = Fields(minimumCapacity: headerCount)  // no regrowth as the row's columns arrive
        if isSubheading(row) {
            // Named for what it is, not as a ragged row or a record missing every field.
            let filled = row.fields.reduce(0) { $0 + ($1.isBlankCell ? 0 : 1) }
            parsed.issues.append(
                RecordIssue(
                    origin: Origin(file: file, line: row.line), sourceID: nil, field: nil, code: .notARecord,
                    message:
                        "has \(filled) filled cell\(filled == 1 ? "" : "s") of \(headerCount): a sub-heading or total, not a record; "
                        + "a skip_if rule in the mapping leaves such rows out"))
            return parsed
        }
        if row.fields.count != headerCount {
            parsed.issues.append(
                RecordIssue(
                    origin: Origin(file: file, line: row.line), sourceID: nil, field: nil, code: .raggedRow,
                    message: "has \(row.fields.count) field\(row.fields.count == 1 ? "" : "s"); the header has \(headerCount)"))
        }
        for index in columnOrder where index < row.fields.count {
            let value = row.fields[index]
            switch targets[index] {
            // An empty nested cell (an unused dimension) adds no key; an empty
            // top-level cell stays "" so defaults can fill it.
            case .document(let path) where path.count == 1: parsed.document[path[0]] = .string(value)
            case .document(let path) where !value.isEmpty: Self.set(&parsed.document, path[...], .string(value))
            case .line(let path) where path.count == 1 || !value.isEmpty: Self.set(&parsed.line, path[...], .string(value))
            case .document, .line: break
            case .unmapped(let header): if !value.isEmpty { parsed.unmapped[header] = .string(value) }
            case .ignored: break
            }
        }
        return parsed
    }

    /// The rows' text, each after its length, so that two rows and one row
    /// holding the same characters (a quoted line break) differ.
    static func sourceBytes(of rows: [CSVRow]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.reduce(0) { $0 + $1.text.utf8.count + 8 })
        for row in rows {
            let count = UInt64(row.text.utf8.count)
            withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: row.text.utf8)
        }
        return bytes
    }

    /// Sets a value at a dotted path (`payment_method_details.card_last4`).
    static func set(_ fields: inout Fields, _ path: ArraySlice<String>, _ value: Value) {
        guard let head = path.first else { return }
        if path.count == 1 {
            fields[head] = value
            return
        }
        var nested = fields[head]?.objectValue ?? [:]
        set(&nested, path.dropFirst(), value)
        fields[head] = .object(nested)
    }

    func record(from rows: [ParsedRow]) -> RawRecord {
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
        for (key, value) in constants {
            Self.set(&document, key.split(separator: ".").map(String.init)[...], value)
        }
        for (key, value) in defaults {
            let current = document[key]
            if current == nil || current == .string("") { Self.set(&document, key.split(separator: ".").map(String.init)[...], value) }
        }
        if hasLineColumns {
            document["lines"] = .array(rows.map { .object($0.line) })
        }
        var raw = RawRecord(
            objectType: objectType, origin: Origin(file: file, line: first.row.line),
            sourceSystem: sourceSystem, connectionID: connectionID,
            fields: document, unmapped: unmapped,
            rawText: rows.map(\.row.text).joined(separator: "\n"), issues: issues)
        if hasLineColumns {
            raw.lineOrigins = rows.map { Origin(file: file, line: $0.row.line) }
        }
        raw.madeFrom = RawRecord.SourceBytes(context: rowContext, bytes: Self.sourceBytes(of: rows.map(\.row)))
        return raw
    }
}

/// A row of a plain mapping, left unmade until the fast path misses: its
/// shell is what the fast path compares, and making it is what
/// `CSVRecordStream.next()` would have done with the row.
struct UnmadeCSVRow: UnmadeRecord {
    let row: CSVRow
    let sourceID: String
    let maker: CSVRowMaker

    /// nil when the row must be made now: its id cell is empty (the
    /// normalizer would look elsewhere for an id) or starts or ends with
    /// white space or a non-ASCII character (left to the made record rather
    /// than reasoned about), or the row would carry an issue of its shape.
    init?(_ row: CSVRow, idColumn: Int, maker: CSVRowMaker) {
        guard row.fields.count == maker.headerCount, idColumn < row.fields.count else { return nil }
        let id = row.fields[idColumn]
        guard !id.isEmpty, CSVRowMaker.isPlain(id) else { return nil }
        guard !maker.isSubheading(row) else { return nil }
        self.row = row
        self.sourceID = id
        self.maker = maker
    }

    func shell() -> RawRecord {
        var raw = RawRecord(
            objectType: maker.objectType, origin: Origin(file: maker.file, line: row.line), sourceSystem: maker.sourceSystem,
            connectionID: maker.connectionID, fields: ["source_id": .string(sourceID)], rawText: row.text)
        raw.madeFrom = RawRecord.SourceBytes(context: maker.rowContext, bytes: CSVRowMaker.sourceBytes(of: [row]))
        return raw
    }

    func make() -> RawRecord { maker.record(from: [maker.parse(row)]) }
}
