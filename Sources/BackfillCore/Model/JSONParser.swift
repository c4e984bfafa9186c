/// A strict JSON parser (RFC 8259, exactly) that keeps numbers as their
/// source text.
///
/// Provider JSON carries money as numbers (Layer: integer cents) and must not
/// pass through `Double`; stored payloads are read back with it too. Whatever
/// it accepts, SQLite's JSON functions accept too (it is stricter than they
/// are), so nothing it lets through can poison the store:
/// - the number grammar of §6 (no `01`, `.5`, `2.`, `1eE2`), escapes of §7
///   only, no raw control characters, valid UTF-8 (§8.1);
/// - `\u` surrogates only in pairs: a lone or mismatched one has no Unicode
///   scalar (§8.2) and is an `invalidString` error, never a trap;
/// - nothing but white space after the top-level value;
/// - a name at most once per object (§4 says SHOULD be unique; a repeated
///   `external_id` or amount would otherwise be resolved silently);
/// - nesting at most `Limits.maxDepth` deep, kept on an explicit stack: the
///   parser never recurses, so no input can exhaust the thread's stack.
///
/// Errors carry the line, byte offset and JSON path of the failure, and a
/// kind that tells broken JSON from JSON that only breaks a limit.
public struct JSONParser {
    /// What a document may cost. Every limit is checked while reading, so
    /// an input over one stops there instead of being buffered whole.
    public struct Limits: Sendable, Equatable {
        /// Arrays and objects inside one another. 256 is far beyond any
        /// provider record and far below SQLite's JSON limit (1000 levels,
        /// `SQLITE_MAX_JSON_DEPTH`), so every stored payload stays queryable.
        public var maxDepth: Int
        /// The longest string, in UTF-8 bytes.
        public var maxStringBytes: Int

        public init(maxDepth: Int = 256, maxStringBytes: Int = 16 << 20) {
            self.maxDepth = maxDepth
            self.maxStringBytes = maxStringBytes
        }

        public static let standard = Limits()
    }

    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// Not JSON: the grammar is broken.
            case syntax
            /// Valid grammar, but a string holds a lone or mismatched
            /// surrogate escape: no text can be made of it.
            case invalidString
            /// A name repeated in one object.
            case duplicateKey
            /// Nested deeper than `Limits.maxDepth`.
            case tooDeep
            /// A string longer than `Limits.maxStringBytes`.
            case tooLarge
            /// UTF-16 or UTF-32 text, named by its byte-order mark or zeros.
            case encoding
        }

        public let kind: Kind
        /// Byte offset of the failure in the parsed bytes.
        public let offset: Int
        /// One-based line of the failure in the parsed bytes.
        public let line: Int
        public let path: String
        public let message: String
        public var description: String { "\(message) at \(path) (line \(line), byte \(offset))" }

        /// The stable code a reject or a diagnostic carries.
        public var code: IssueCode {
            switch kind {
            case .syntax: return .malformedInput
            case .invalidString: return .invalidEncoding
            case .duplicateKey: return .duplicateKey
            case .tooDeep: return .tooDeep
            case .tooLarge: return .tooLarge
            case .encoding: return .invalidEncoding
            }
        }
    }

    public static func parse(_ text: String, limits: Limits = .standard) throws(SyntaxError) -> Value {
        try parse(Array(text.utf8), limits: limits)
    }

    /// `depth` is how deep the document already sits in an enclosing one
    /// (an element of a streamed array), so the limit holds for the whole.
    public static func parse(_ bytes: [UInt8], limits: Limits = .standard, depth: Int = 0) throws(SyntaxError) -> Value {
        try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) -> Value in
            var parser = JSONParser(bytes: buffer, limits: limits, baseDepth: depth)
            var tree = ValueTreeBuilder()
            try parser.parseDocument(into: &tree)
            return tree.root ?? .null
        }
    }

    /// The same document, held to the same rules, as a tape of tokens
    /// instead of a tree: no `String`, `Fields` or array is made for a
    /// value until somebody reads it (`JSONNode`).
    public static func tape(_ bytes: [UInt8], limits: Limits = .standard, depth: Int = 0) throws(SyntaxError) -> JSONNode {
        var builder = JSONTape.Builder(bytes: bytes)
        try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) in
            var parser = JSONParser(bytes: buffer, limits: limits, baseDepth: depth)
            try parser.parseDocument(into: &builder)
        }
        return builder.finish()
    }

    /// Names UTF-16 and UTF-32 text from its first bytes: a byte-order mark,
    /// or the zero bytes that ASCII takes in those encodings (RFC 4627 §3).
    /// nil for anything that may be UTF-8.
    public static func foreignEncoding(of bytes: some Collection<UInt8>) -> String? {
        let b = Array(bytes.prefix(4))
        func at(_ i: Int) -> UInt8? { i < b.count ? b[i] : nil }
        if at(0) == 0x00, at(1) == 0x00, at(2) == 0xFE, at(3) == 0xFF { return "UTF-32 (big-endian, with a byte-order mark)" }
        if at(0) == 0xFF, at(1) == 0xFE, at(2) == 0x00, at(3) == 0x00 { return "UTF-32 (little-endian, with a byte-order mark)" }
        if at(0) == 0xFE, at(1) == 0xFF { return "UTF-16 (big-endian, with a byte-order mark)" }
        if at(0) == 0xFF, at(1) == 0xFE { return "UTF-16 (little-endian, with a byte-order mark)" }
        if b.count == 4 {
            if b[0] == 0, b[1] == 0, b[2] == 0, b[3] != 0 { return "UTF-32 (big-endian)" }
            if b[0] != 0, b[1] == 0, b[2] == 0, b[3] == 0 { return "UTF-32 (little-endian)" }
        }
        if b.count >= 2 {
            if b[0] == 0, b[1] != 0 { return "UTF-16 (big-endian)" }
            if b[0] != 0, b[1] == 0 { return "UTF-16 (little-endian)" }
        }
        return nil
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let limits: Limits
    private let baseDepth: Int
    private var index = 0

    /// A string's or a number's text as the grammar found it: a range of
    /// the input when it holds no escape, else the bytes it decodes to.
    /// Either way it is valid UTF-8 by the time a builder sees it.
    enum Text {
        case input(Range<Int>)
        case decoded([UInt8])

        /// The text as a `String`, without checking it again.
        func string(in bytes: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .input(let range): return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            case .decoded(let decoded): return String(decoding: decoded, as: UTF8.self)
            }
        }
    }

    /// An open array or object: how many values it holds so far and, for an
    /// object, where the name of the member being read starts (what an error
    /// path spells out; -1 before the first name).
    private struct Frame {
        var isObject: Bool
        var count = 0
        var keyAt = -1
    }

    private var stack: [Frame] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, limits: Limits, baseDepth: Int) {
        self.bytes = bytes
        self.limits = limits
        self.baseDepth = baseDepth
    }

    // MARK: Errors

    /// `$.bills[3].amount`: spelled out only for an error. A deep path keeps
    /// its first and last levels around a count of the ones left out.
    private var pathText: String {
        var text = "$"
        for (level, frame) in stack.enumerated() {
            if stack.count > 12 && level == 4 { text += "…(\(stack.count - 8) levels)…" }
            if stack.count > 12 && level >= 4 && level < stack.count - 4 { continue }
            if frame.isObject { text += "." + Excerpt(name(at: frame.keyAt)).description } else { text += "[\(frame.count)]" }
        }
        return text
    }

    /// The member name whose string opens at `offset`, read again for a
    /// message: names are not kept as text while parsing.
    private func name(at offset: Int) -> String {
        guard offset >= 0 else { return "" }
        var again = self
        again.index = offset
        return (try? again.parseString())?.string(in: bytes) ?? ""
    }

    private func error(_ message: String, _ kind: SyntaxError.Kind = .syntax, at offset: Int? = nil) -> SyntaxError {
        let at = min(offset ?? index, bytes.count)
        var line = 1
        for i in 0..<at where bytes[i] == 0x0A { line += 1 }
        return SyntaxError(kind: kind, offset: at, line: line, path: pathText, message: message)
    }

    /// The byte at `index` as a person reads it in a message.
    private var found: String { JSONParser.describe(index < bytes.count ? bytes[index] : nil, atEnd: "the end of the input") }

    /// A byte as a message shows it: `'x'` when printable, else `byte 0x1F`;
    /// `atEnd` when there is none. The streaming reader says it the same way.
    static func describe(_ byte: UInt8?, atEnd: String) -> String {
        guard let b = byte else { return atEnd }
        if b >= 0x21 && b < 0x7F { return "'\(String(UnicodeScalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    /// `outer` (`$[3]`) joined with a path inside it (`$.amount`).
    static func path(_ outer: String, inside inner: String) -> String {
        inner == "$" ? outer : outer + inner.dropFirst()
    }

    // MARK: Structure

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseDocument<B: JSONBuilder>(into builder: inout B) throws(SyntaxError) {
        if let encoding = JSONParser.foreignEncoding(of: bytes) {
            throw error("the text is \(encoding), not UTF-8; JSON must be UTF-8 (RFC 8259 §8.1)", .encoding, at: 0)
        }
        // A UTF-8 byte-order mark may be ignored (RFC 8259 §8.1).
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipSpace()
        guard index < bytes.count else { throw error("there is no JSON value: the input is empty") }
        try parseValues(into: &builder)
        skipSpace()
        guard index == bytes.count else { throw error("unexpected \(found) after the JSON value; only white space may follow it") }
    }

    /// Reads one value and everything nested in it, without recursion: an
    /// opened array or object goes on `stack`, and each finished value
    /// counts in the innermost open one until the outermost closes. What
    /// is read goes to `builder`, in document order.
    private mutating func parseValues<B: JSONBuilder>(into builder: inout B) throws(SyntaxError) {
        while true {
            skipSpace()
            guard index < bytes.count else { throw error("the input ends where a value was expected") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                guard baseDepth + stack.count < limits.maxDepth else {
                    throw error("nested deeper than \(limits.maxDepth) levels", .tooDeep)
                }
                index += 1
                builder.open(object: isObject)
                skipSpace()
                if index < bytes.count, bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    builder.close()
                } else {
                    stack.append(Frame(isObject: isObject))
                    if isObject { try readKey(into: &builder) }
                    continue
                }
            case UInt8(ascii: "\""): builder.string(try parseString(), in: bytes)
            case UInt8(ascii: "t"):
                try literal("true")
                builder.literal(true)
            case UInt8(ascii: "f"):
                try literal("false")
                builder.literal(false)
            case UInt8(ascii: "n"):
                try literal("null")
                builder.literal(nil)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): builder.number(try parseNumber(), in: bytes)
            default: throw error("unexpected \(found) where a value was expected")
            }
            // Count the finished value outward, closing every container it completes.
            while true {
                guard !stack.isEmpty else { return }
                let top = stack.count - 1
                stack[top].count += 1
                skipSpace()
                guard index < bytes.count else {
                    throw error(stack[top].isObject ? "the input ends inside an object" : "the input ends inside an array")
                }
                let b = bytes[index]
                if b == UInt8(ascii: ",") {
                    index += 1
                    if stack[top].isObject { try readKey(into: &builder) }
                    break
                }
                if stack[top].isObject ? b == UInt8(ascii: "}") : b == UInt8(ascii: "]") {
                    index += 1
                    stack.removeLast()
                    builder.close()
                    continue
                }
                throw error(stack[top].isObject ? "expected ',' or '}' but found \(found)" : "expected ',' or ']' but found \(found)")
            }
        }
    }

    /// A member's name and its ':' in the innermost (object) frame.
    private mutating func readKey<B: JSONBuilder>(into builder: inout B) throws(SyntaxError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw error("expected a member name in double quotes but found \(found)")
        }
        let keyOffset = index
        let key = try parseString()
        guard builder.key(key, in: bytes) else {
            throw error(
                "the name \"\(Excerpt(key.string(in: bytes)))\" appears twice in one object", .duplicateKey, at: keyOffset)
        }
        stack[stack.count - 1].keyAt = keyOffset
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' but found \(found)") }
        index += 1
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let n = word.utf8CodeUnitCount
        for i in 0..<n where index + i >= bytes.count || bytes[index + i] != word.utf8Start[i] {
            throw error("unexpected \(found) where a value was expected")
        }
        index += n
    }

    // MARK: Numbers (RFC 8259 §6)

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: where its text is.
    private mutating func parseNumber() throws(SyntaxError) -> Range<Int> {
        let start = index
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw error("a number needs a digit after '-'") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error("a number may not have a leading zero") }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw error("a number needs a digit after its decimal point") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error("a number needs a digit in its exponent") }
            while isDigit(index) { index += 1 }
        }
        if index - start > limits.maxStringBytes {
            throw error("a number of \(index - start) digits is longer than \(limits.maxStringBytes) bytes", .tooLarge, at: start)
        }
        return start..<index
    }

    // MARK: Strings (RFC 8259 §7)

    private mutating func parseString() throws(SyntaxError) -> Text {
        let open = index
        index += 1
        // Most strings have no escape: their text is the input's bytes.
        let start = index
        var high: UInt8 = 0  // every byte OR'd: under 0x80, the text is ASCII and valid
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                try checkLength(index - start, openedAt: open)
                if high >= 0x80, let bad = UTF8Validation.firstInvalidOffset(UnsafeBufferPointer(rebasing: bytes[start..<index])) {
                    throw error("the string is not valid UTF-8", at: start + bad)
                }
                index += 1
                return .input(start..<index - 1)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            high |= b
            index += 1
            if index - start > limits.maxStringBytes { try checkLength(index - start, openedAt: open) }
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                try checkLength(out.count, openedAt: open)
                guard UTF8Validation.firstInvalidOffset(out) == nil else {
                    throw error("the string is not valid UTF-8", at: open)
                }
                index += 1
                return .decoded(out)
            }
            if b < 0x20 {
                throw error("control character 0x\(String(b, radix: 16, uppercase: true)) in a string; it must be escaped")
            }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                index += 1
                if out.count > limits.maxStringBytes { try checkLength(out.count, openedAt: open) }
                continue
            }
            let escapeAt = index
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                let unit = try hex4()
                let scalarValue: UInt32
                switch unit {
                case 0xD800..<0xDC00:
                    // A high surrogate: only a low one may follow (§8.2).
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error(
                            "\\u\(hex(unit)) is a high surrogate without the low surrogate that must follow it",
                            .invalidString, at: escapeAt)
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error(
                            "\\u\(hex(unit)) is followed by \\u\(hex(low)), which is not a low surrogate",
                            .invalidString, at: escapeAt)
                    }
                    scalarValue = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                case 0xDC00..<0xE000:
                    throw error("\\u\(hex(unit)) is a low surrogate without a high surrogate before it", .invalidString, at: escapeAt)
                default:
                    scalarValue = unit
                }
                // Every value left is a Unicode scalar: surrogates are handled above.
                guard let scalar = Unicode.Scalar(scalarValue) else { throw error("invalid \\u escape", at: escapeAt) }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw error(
                    "\\\(String(UnicodeScalar(e))) is not a JSON escape (only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX are)",
                    at: escapeAt)
            }
        }
        throw error("the string opened here is never closed", at: open)
    }

    private func checkLength(_ count: Int, openedAt open: Int) throws(SyntaxError) {
        guard count > limits.maxStringBytes else { return }
        throw error("a string longer than \(limits.maxStringBytes) bytes", .tooLarge, at: open)
    }

    private func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw error("a \\u escape needs four hex digits") }
            let b = bytes[index]
            switch b {
            case 48...57: v = v * 16 + UInt32(b - 48)
            case 65...70: v = v * 16 + UInt32(b - 55)
            case 97...102: v = v * 16 + UInt32(b - 87)
            default: throw error("a \\u escape needs four hex digits")
            }
            index += 1
        }
        return v
    }
}

/// Finds the first byte that breaks UTF-8 (RFC 3629: no overlongs, no
/// surrogates, nothing above U+10FFFF): how a message points at it.
public enum UTF8Validation {
    public static func firstInvalidOffset<C: Collection<UInt8>>(_ bytes: C) -> Int? where C.Index == Int {
        let base = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return i - base
            }
            guard i + length <= bytes.endIndex else { return i - base }
            guard bytes[i + 1] >= low && bytes[i + 1] <= high else { return i - base }
            for k in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[i + k]) { return i - base }
            i += length
        }
        return nil
    }
}

/// Where a parse's values go, in document order. One grammar
/// (`JSONParser`) feeds two shapes: a `Value` tree for the code that wants
/// one, and a tape of tokens (`JSONTape`) for a mapper that reads a few
/// members of a large record and wants no `String` for the rest.
protocol JSONBuilder {
    /// An array or object opens; it is the innermost until `close`.
    mutating func open(object: Bool)
    /// A member name of the innermost object: false when that object has
    /// the name already, which the parser reports as a `duplicateKey`.
    mutating func key(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>) -> Bool
    mutating func string(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>)
    mutating func number(_ text: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>)
    /// `true`, `false`, or `null` (nil).
    mutating func literal(_ value: Bool?)
    /// The innermost open array or object closes.
    mutating func close()
}

/// Builds the `Value` tree that `JSONParser.parse` returns.
struct ValueTreeBuilder: JSONBuilder {
    private struct Frame {
        var isObject: Bool
        var items: [Value] = []
        var fields = Fields()
        var key = ""
    }

    private var stack: [Frame] = []
    private(set) var root: Value?

    mutating func open(object: Bool) { stack.append(Frame(isObject: object)) }

    mutating func key(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let key = text.string(in: bytes)
        let top = stack.count - 1
        guard stack[top].fields[key] == nil else { return false }
        stack[top].key = key
        return true
    }

    mutating func string(_ text: JSONParser.Text, in bytes: UnsafeBufferPointer<UInt8>) { add(.string(text.string(in: bytes))) }

    mutating func number(_ text: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) {
        add(.number(String(decoding: UnsafeBufferPointer(rebasing: bytes[text]), as: UTF8.self)))
    }

    mutating func literal(_ value: Bool?) { add(value.map(Value.bool) ?? .null) }

    mutating func close() {
        let frame = stack.removeLast()
        add(frame.isObject ? .object(frame.fields) : .array(frame.items))
    }

    private mutating func add(_ value: Value) {
        guard !stack.isEmpty else {
            root = value
            return
        }
        let top = stack.count - 1
        if stack[top].isObject {
            let key = stack[top].key
            stack[top].fields[key] = value
        } else {
            stack[top].items.append(value)
        }
    }
}
