/// The types a canonical field can have. `money` and `decimal` are both exact
/// decimals; they differ in scale: money is written at the currency's minor
/// unit, a plain decimal (quantity, unit amount, rate, percent) keeps the
/// precision it was given.
public indirect enum FieldType: Sendable, Equatable {
    case string
    case money
    case decimal
    case integer
    case date
    case dateTime
    case boolean
    /// A free-form JSON object (`metadata`, `dimensions`, addresses).
    case map
    case stringArray
    /// An array of free-form objects (`tax_ids`).
    case objectArray
    /// An array of objects that follow a named shape (`lines`, `tax_details`).
    case shapeArray(String)
    /// One object that follows a named shape (`detail`).
    case shape(String)

    init?(catalogName: String) {
        switch catalogName {
        case "string": self = .string
        case "money": self = .money
        case "decimal": self = .decimal
        case "int": self = .integer
        case "date": self = .date
        case "datetime": self = .dateTime
        case "bool": self = .boolean
        case "map": self = .map
        case "strings": self = .stringArray
        case "objects": self = .objectArray
        default:
            if catalogName.hasPrefix("[") && catalogName.hasSuffix("]") {
                self = .shapeArray(String(catalogName.dropFirst().dropLast()))
            } else if catalogName.hasPrefix("{") && catalogName.hasSuffix("}") {
                self = .shape(String(catalogName.dropFirst().dropLast()))
            } else {
                return nil
            }
        }
    }

    /// The name used in messages (`expected a decimal (money)`).
    public var displayName: String {
        switch self {
        case .string: return "string"
        case .money: return "decimal (money)"
        case .decimal: return "decimal"
        case .integer: return "integer"
        case .date: return "date"
        case .dateTime: return "date-time"
        case .boolean: return "boolean"
        case .map: return "map"
        case .stringArray: return "array of string"
        case .objectArray: return "array of object"
        case .shapeArray(let s): return "array of \(s)"
        case .shape(let s): return s
        }
    }
}

/// One field of a contract or shape. A class, not a struct: the normalizer
/// and validator walk every spec of every record, and copying a struct of
/// five reference-counted members per step showed up in profiles.
public final class FieldSpec: Sendable, Equatable {
    public let name: String
    public let type: FieldType
    public let required: Bool
    /// Closed vocabulary, when the seed documents give one.
    public let enumValues: [String]?
    /// The value used when the input omits the field (contract `default:`).
    public let defaultValue: Value?
    /// Whether the validator has anything to check here (required, a closed
    /// vocabulary, a currency code, or a nested shape); it skips the rest.
    public let needsValidation: Bool

    public init(name: String, type: FieldType, required: Bool, enumValues: [String]?, defaultValue: Value?) {
        self.name = name
        self.type = type
        self.required = required
        self.enumValues = enumValues
        self.defaultValue = defaultValue
        switch type {
        case .shape, .shapeArray: needsValidation = true
        default: needsValidation = required || enumValues != nil || name == "currency"
        }
    }

    public static func == (a: FieldSpec, b: FieldSpec) -> Bool {
        a.name == b.name && a.type == b.type && a.required == b.required && a.enumValues == b.enumValues
            && a.defaultValue == b.defaultValue
    }
}

/// A nested object shape: a line, a line's `detail`, a `tax_details` entry.
public struct Shape: Sendable {
    public let name: String
    public let fields: [FieldSpec]
    public let fieldsByName: [String: FieldSpec]

    init(name: String, fields: [FieldSpec]) {
        self.name = name
        self.fields = fields
        self.fieldsByName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
