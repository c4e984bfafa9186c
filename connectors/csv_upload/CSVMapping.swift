import BackfillCore
import Foundation

/// A CSV mapping file: how one provider's export maps onto a contract.
///
/// ```json
/// {"columns": {"Posting Date": "expense_date", "Payee": "vendor_name"},
///  "constants": {"currency": "USD"}, "defaults": {"status": "approved"},
///  "date_formats": ["MM/DD/YYYY"],
///  "amounts": {"thousands_separator": ",", "parentheses_negative": true, "negate": false},
///  "delimiter": ",", "ignore_columns": ["Running Balance"]}
/// ```
/// `columns` renames headers (matched like built-in aliases: case, spaces,
/// `_` and `-` ignored; `Name#2` is the second column named Name);
/// `constants` set a field on every record, whatever the file says;
/// `defaults` fill a field only where the file leaves it empty.
///
/// The shape of real exports: `skip_rows` (lines before the header) or
/// `"header_row": "auto"` (the first row holding every column the mapping
/// names), `encoding`, `skip_if`, an `amount` rule for signs, and
/// `"source_id": {"derive": [...]}` for files without row ids; see
/// `CSVRowRules` and the README's CSV section.
public struct CSVMapping: Sendable {
    public var columns: [String: String] = [:]
    /// The same keys as written, for warnings that name them.
    public var columnHeaders: [String] = []
    public var skipRows = 0
    public var detectHeader = false
    public var encoding: TextEncoding?
    public var rules = CSVRowRules()
    public var constants: Fields = [:]
    public var defaults: Fields = [:]
    public var ignoreColumns: Set<String> = []
    public var options = NormalizeOptions()
    public var delimiter: UInt8 = UInt8(ascii: ",")

    public init() {}

    /// A mapping problem, located in the mapping file by JSON path.
    public struct MappingError: Error, CustomStringConvertible {
        public let file: String
        public let path: String
        public let message: String
        public var description: String { "\(file): error: [invalid_mapping] \(path): \(message)" }
    }

    public static func load(path: String) throws(MappingError) -> CSVMapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            let message: String
            switch UnreadablePath.check(path) ?? .denied {
            case .missing: message = "the mapping file is missing"
            case .directory: message = "is a directory, not a mapping file"
            case .denied: message = "cannot read the mapping file (permission denied?)"
            }
            throw MappingError(file: path, path: "$", message: message)
        }
        return try parse(Array(data), file: path)
    }

    /// A mapping from its JSON text; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file path: String) throws(MappingError) -> CSVMapping {
        let root: Value
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw MappingError(file: path, path: error.path, message: "not JSON: \(error.message) (byte \(error.offset))")
        }
        guard case .object(let top) = root else { throw MappingError(file: path, path: "$", message: "expected a JSON object") }
        var mapping = CSVMapping()
        func fail(_ p: String, _ m: String) -> MappingError { MappingError(file: path, path: p, message: m) }
        func object(_ key: String) throws(MappingError) -> Fields {
            guard let v = top[key] else { return [:] }
            guard case .object(let o) = v else { throw fail("$.\(key)", "expected an object") }
            return o
        }
        func stringList(_ key: String) throws(MappingError) -> [String] {
            guard let v = top[key] else { return [] }
            guard case .array(let items) = v else { throw fail("$.\(key)", "expected a list of strings") }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else { throw fail("$.\(key)[\(i)]", "expected a string") }
                out.append(s)
            }
            return out
        }
        let known: Set = [
            "columns", "constants", "defaults", "date_formats", "amounts", "delimiter", "ignore_columns", "object", "$comment",
            "skip_rows", "header_row", "encoding", "skip_if", "amount", "source_id", "timezone", "datetime",
        ]
        if let unknown = top.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("$.\(unknown)", "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        for (header, target) in try object("columns") {
            guard case .string(let field) = target else { throw fail("$.columns.\(header)", "expected a field name") }
            mapping.columns[CSVHeaderMapper.matchKey(header)] = field
            mapping.columnHeaders.append(header)
        }
        if let v = top["skip_rows"] {
            guard case .number(let n) = v, let rows = Int(n), rows >= 0, rows <= 1000 else {
                throw fail("$.skip_rows", "expected a whole number of lines from 0 to 1000")
            }
            mapping.skipRows = rows
        }
        if let v = top["header_row"] {
            guard case .string("auto") = v else {
                throw fail("$.header_row", "expected \"auto\" (find the header among the first 50 rows)")
            }
            mapping.detectHeader = true
        }
        if let v = top["encoding"] {
            guard case .string(let name) = v, let encoding = TextEncoding(rawValue: name.lowercased()) else {
                throw fail("$.encoding", "expected one of \(TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mapping.encoding = encoding
        }
        if let v = top["timezone"] {
            guard case .string(let name) = v, name.contains("/") || name == "UTC", let zone = TimeZone(identifier: name) else {
                throw fail("$.timezone", "expected an IANA time zone name such as Europe/Amsterdam or America/New_York")
            }
            mapping.options.timeZone = zone
        }
        mapping.rules = try Self.rules(top, fail: fail)
        mapping.constants = try object("constants")
        mapping.defaults = try object("defaults")
        mapping.ignoreColumns = Set(try stringList("ignore_columns").map(CSVHeaderMapper.matchKey))
        for (i, text) in try stringList("date_formats").enumerated() {
            guard let pattern = DatePattern(text) else {
                throw fail("$.date_formats[\(i)]", "'\(text)' is not a date pattern (use YYYY, YY, MMM, MM, M, DD, D and separators)")
            }
            mapping.options.datePatterns.append(pattern)
        }
        let amounts = try object("amounts")
        for (key, value) in amounts {
            switch (key, value) {
            case ("thousands_separator", .string(let s)) where s.count == 1: mapping.options.amountFormat.thousandsSeparator = s.first
            case ("decimal_separator", .string(let s)) where s.count == 1: mapping.options.amountFormat.decimalSeparator = s.first!
            case ("parentheses_negative", .bool(let b)): mapping.options.amountFormat.parenthesesNegative = b
            case ("negate", .bool(let b)): mapping.options.amountFormat.negate = b
            case ("style", .string("auto")): mapping.options.amountFormat.autoDetect = true
            default:
                throw fail(
                    "$.amounts.\(key)",
                    "unknown or ill-typed; expected thousands_separator/decimal_separator (one character), parentheses_negative/negate (true or false), style (\"auto\")"
                )
            }
        }
        if mapping.options.amountFormat.thousandsSeparator == mapping.options.amountFormat.decimalSeparator {
            throw fail("$.amounts", "thousands and decimal separators must differ")
        }
        if let d = top["delimiter"] {
            guard case .string(let s) = d, s.utf8.count == 1, let byte = s.utf8.first, byte != UInt8(ascii: "\"") else {
                throw fail("$.delimiter", "expected one character such as \",\", \";\" or \"\\t\"")
            }
            mapping.delimiter = byte
        }
        return mapping
    }

    /// `skip_if`, `amount` and `source_id`, checked for shape.
    private static func rules(_ top: Fields, fail: (String, String) -> MappingError) throws(MappingError) -> CSVRowRules {
        var rules = CSVRowRules()
        func text(_ v: Value?, _ path: String) throws(MappingError) -> String {
            guard case .string(let s)? = v, !s.isEmpty else { throw fail(path, "expected a column name") }
            return s
        }
        func texts(_ v: Value?, _ path: String) throws(MappingError) -> [String] {
            if case .string(let s)? = v { return [s] }
            guard case .array(let items)? = v, !items.isEmpty else { throw fail(path, "expected a list of values") }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else { throw fail("\(path)[\(i)]", "expected a string") }
                out.append(s)
            }
            return out
        }
        if let v = top["skip_if"] {
            guard case .array(let items) = v else {
                throw fail("$.skip_if", "expected a list of {\"column\", \"equals\"|\"prefix\"|\"empty\"}")
            }
            for (i, item) in items.enumerated() {
                let path = "$.skip_if[\(i)]"
                guard case .object(let o) = item else { throw fail(path, "expected an object") }
                var rule = CSVRowRules.SkipRule(column: try text(o["column"], path + ".column"))
                if o["equals"] != nil { rule.equals = try texts(o["equals"], path + ".equals") }
                if o["prefix"] != nil { rule.prefix = try text(o["prefix"], path + ".prefix") }
                if case .bool(let b)? = o["empty"] { rule.empty = b }
                if let extra = o.keys.sorted().first(where: { !["column", "equals", "prefix", "empty"].contains($0) }) {
                    throw fail(path + "." + extra, "unknown key; expected column, equals, prefix or empty")
                }
                guard !rule.equals.isEmpty || rule.prefix != nil || rule.empty else {
                    throw fail(path, "says nothing to match: add equals, prefix or empty")
                }
                rules.skipIf.append(rule)
            }
        }
        if let v = top["amount"] {
            guard case .object(let o) = v else { throw fail("$.amount", "expected an object") }
            if o["debit"] != nil || o["credit"] != nil {
                rules.amount = .debitCredit(debit: try text(o["debit"], "$.amount.debit"), credit: try text(o["credit"], "$.amount.credit"))
            } else if case .object(let d)? = o["direction"] {
                rules.amount = .direction(
                    column: try text(o["column"], "$.amount.column"),
                    directionColumn: try text(d["column"], "$.amount.direction.column"),
                    out: try texts(d["out"], "$.amount.direction.out"), in: try texts(d["in"], "$.amount.direction.in"))
            } else {
                let negative = o["negative_is"]?.stringValue
                guard negative == nil || negative == "out" || negative == "in" else {
                    throw fail("$.amount.negative_is", "expected \"out\" or \"in\"")
                }
                rules.amount = .signed(column: try text(o["column"], "$.amount.column"), negativeIsOut: negative.map { $0 == "out" })
            }
        }
        if let v = top["datetime"] {
            guard case .object(let o) = v, case .string(let field)? = o["field"], !field.isEmpty else {
                throw fail("$.datetime", "expected {\"field\": \"posted_at\", \"date\": column, \"time\": column, \"zone\": column}")
            }
            var columns = [try text(o["date"], "$.datetime.date"), try text(o["time"], "$.datetime.time")]
            if o["zone"] != nil { columns.append(try text(o["zone"], "$.datetime.zone")) }
            rules.combineDateTime = (field, columns)
        }
        if let v = top["source_id"] {
            guard case .object(let o) = v, o["derive"] != nil else { throw fail("$.source_id", "expected {\"derive\": [column, ...]}") }
            rules.deriveSourceID = try texts(o["derive"], "$.source_id.derive")
        }
        return rules
    }
}
