/// A small strict JSON parser that keeps numbers as their source text.
///
/// Provider JSON carries money as numbers (Layer: integer cents) and must not
/// pass through `Double`; stored payloads are read back with it too. Errors
/// carry the byte offset and the JSON path of the value being read.
public struct JSONParser {
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public let offset: Int
        public let path: String
        public let message: String
        public var description: String { "\(message) at \(path) (byte \(offset))" }
    }

    private let bytes: [UInt8]
    private var index = 0

    public static func parse(_ text: String) throws(SyntaxError) -> Value {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> Value {
        var parser = JSONParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.parseValue(path: "$")
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the JSON value", "$") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String, _ path: String) -> SyntaxError {
        SyntaxError(offset: index, path: path, message: message)
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue(path: String) throws(SyntaxError) -> Value {
        guard index < bytes.count else { throw error("unexpected end of JSON", path) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString(path: path))
        case UInt8(ascii: "t"): try literal("true", path); return .bool(true)
        case UInt8(ascii: "f"): try literal("false", path); return .bool(false)
        case UInt8(ascii: "n"): try literal("null", path); return .null
        default: return .number(try parseNumber(path: path))
        }
    }

    private mutating func literal(_ word: String, _ path: String) throws(SyntaxError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("invalid literal", path)
        }
        index += w.count
    }

    private mutating func parseObject(path: String) throws(SyntaxError) -> Value {
        index += 1
        var fields: Fields = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key", path) }
            let key = try parseString(path: path)
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'", path) }
            index += 1
            skipSpace()
            fields[key] = try parseValue(path: path + "." + key)
            skipSpace()
            guard index < bytes.count else { throw error("unterminated object", path) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
            throw error("expected ',' or '}'", path)
        }
    }

    private mutating func parseArray(path: String) throws(SyntaxError) -> Value {
        index += 1
        var items: [Value] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try parseValue(path: "\(path)[\(items.count)]"))
            skipSpace()
            guard index < bytes.count else { throw error("unterminated array", path) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected ',' or ']'", path)
        }
    }

    private mutating func parseNumber(path: String) throws(SyntaxError) -> String {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count {
            let b = bytes[index]
            if (b >= 48 && b <= 57) { digits += 1; index += 1; continue }
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { index += 1; continue }
            break
        }
        guard digits > 0 else { throw error("invalid value", path) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString(path: String) throws(SyntaxError) -> String {
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in string", path) }
                return s
            }
            if b == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(path)
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4(path)
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape", path) }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(e)
                }
                continue
            }
            if b < 0x20 { throw error("control character in string", path) }
            out.append(b)
            index += 1
        }
        throw error("unterminated string", path)
    }

    private mutating func hex4(_ path: String) throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape", path) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            index += 1
            switch b {
            case 48...57: v = v * 16 + UInt32(b - 48)
            case 65...70: v = v * 16 + UInt32(b - 55)
            case 97...102: v = v * 16 + UInt32(b - 87)
            default: throw error("invalid \\u escape", path)
            }
        }
        return v
    }
}
