/// The value model shared by every stage: what connectors produce and what the
/// canonical payload is made of.
///
/// It is JSON with two exact cases added. `number` keeps a JSON number's text as
/// written, so `123` cents or `1.10` is never seen through `Double`. `decimal` is
/// a typed canonical amount; the writer emits it as a JSON string (`"125.00"`),
/// which is how the Backfill API represents money.
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case string(String)
    /// A JSON number exactly as written in the source text.
    case number(String)
    case decimal(ExactDecimal)
    case integer(Int)
    case array([Value])
    case object(Fields)

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: Fields? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [Value]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Text for a scalar as a user would read it in a report (`from → to`).
    public var displayText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .number(let n): return n
        case .decimal(let d): return d.description
        case .integer(let i): return String(i)
        case .array, .object: return CanonicalJSON.string(self)
        }
    }

    /// A value as reports, `show` and `history` print it: text and decimals
    /// quoted, as in JSON, so both sides of `from → to` read alike and a
    /// stored `"12.50"` is not mistaken for a number `12.5`.
    public var quotedText: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .decimal(let d): return "\"\(d)\""
        default: return displayText
        }
    }

    public subscript(key: String) -> Value? {
        objectValue?[key]
    }
}
