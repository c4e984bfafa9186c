import Foundation
import BackfillCore

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
/// `_` and `-` ignored); `constants` set a field on every record, whatever the
/// file says; `defaults` fill a field only where the file leaves it empty.
public struct CSVMapping: Sendable {
    public var columns: [String: String] = [:]
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
            throw MappingError(file: path, path: "$", message: "cannot read the mapping file")
        }
        let root: Value
        do {
            root = try JSONParser.parse(Array(data))
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
        let known: Set = ["columns", "constants", "defaults", "date_formats", "amounts", "delimiter", "ignore_columns", "object", "$comment"]
        if let unknown = top.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("$.\(unknown)", "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        for (header, target) in try object("columns") {
            guard case .string(let field) = target else { throw fail("$.columns.\(header)", "expected a field name") }
            mapping.columns[CSVHeaderMapper.matchKey(header)] = field
        }
        mapping.constants = try object("constants")
        mapping.defaults = try object("defaults")
        mapping.ignoreColumns = Set(try stringList("ignore_columns").map(CSVHeaderMapper.matchKey))
        for (i, text) in try stringList("date_formats").enumerated() {
            guard let pattern = DatePattern(text) else {
                throw fail("$.date_formats[\(i)]", "'\(text)' is not a date pattern (use YYYY, MM, M, DD, D and separators)")
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
            default: throw fail("$.amounts.\(key)", "unknown or ill-typed; expected thousands_separator/decimal_separator (one character), parentheses_negative/negate (true or false)")
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
}
