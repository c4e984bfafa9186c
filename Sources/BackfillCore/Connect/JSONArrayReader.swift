import Foundation

/// Streams the elements of a large JSON array one at a time, so a file of
/// 100k bills is never one parsed tree: memory is one read buffer plus the
/// current element.
///
/// Accepts a top-level array (`[{…}, {…}]`, paths `$[i]`) or an object whose
/// `data` member is the array (`{"data": [{…}]}`, paths `$.data[i]`); other
/// members of that object are skipped. Every syntax error names the byte
/// offset and line, and a file that ends early says it is truncated.
public struct JSONArrayReader {
    /// One element: its parsed value, JSON path, and where it starts.
    public struct Element {
        public let value: Value
        public let path: String
        public let index: Int
        public let line: Int
        public let offset: Int
        /// The element exactly as it is in the file: what a reject keeps.
        public let bytes: [UInt8]
    }

    private var input: InputFile
    public var file: String { input.path }
    private var line = 1
    private var started = false
    private var finished = false
    private var index = 0
    /// `$` for a top-level array, `$.data` for the response envelope.
    public private(set) var arrayPath = "$"

    public init(path: String) throws(InputError) {
        self.input = try InputFile(path: path, kind: "a JSON file")
    }

    // MARK: Bytes

    private mutating func peek() -> UInt8? { input.peek() }

    private mutating func advance() -> UInt8? {
        guard let b = input.next() else { return nil }
        if b == 0x0A { line += 1 }
        return b
    }

    private var offset: Int { input.offset }

    private func failure(_ message: String, line: Int? = nil, offset: Int? = nil) -> InputError {
        InputError(kind: .malformed, origin: Origin(file: file, line: line ?? self.line), code: .malformedInput,
                   message: "\(message) (byte \(offset ?? self.offset))")
    }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { _ = advance() }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(InputError) {
        skipSpace()
        guard let b = peek() else { throw failure("the file ends where \(what) was expected; it looks truncated") }
        guard b == byte else { throw failure("expected \(what), found '\(String(UnicodeScalar(b)))'") }
        _ = advance()
    }

    /// Copies one complete JSON value's bytes into `out` (or only skips them).
    /// Works on the read buffer a run at a time: this scan sees every byte of
    /// the file, and a call per byte was most of its cost.
    private mutating func scanValue(into out: inout [UInt8], keep: Bool, path: String) throws(InputError) {
        skipSpace()
        let startLine = line, startOffset = offset
        var depth = 0
        var inString = false
        var escaped = false
        var scalar = false  // a number or literal at the top: ends at a delimiter
        var started = false
        while true {
            let bytes = input.available()
            if bytes.isEmpty {
                if scalar && started { return }
                throw failure("the file ends inside \(path), which starts on line \(startLine) (byte \(startOffset)); it looks truncated")
            }
            var end: Int?  // index just past the value, when it ends in this run
            var newlines = 0
            scan: for i in bytes.indices {
                let b = bytes[i]
                if b == 0x0A { newlines += 1 }
                if !started {
                    started = true
                    switch b {
                    case UInt8(ascii: "\""): inString = true; continue scan
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth = 1; continue scan
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        throw failure("unexpected '\(String(UnicodeScalar(b)))' in \(path)")
                    default: scalar = true; continue scan
                    }
                }
                if scalar {
                    switch b {
                    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09:
                        if b == 0x0A { newlines -= 1 }
                        end = i
                        break scan
                    default: continue scan
                    }
                }
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") {
                        inString = false
                        if depth == 0 { end = i + 1; break scan }
                    }
                    continue scan
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { end = i + 1; break scan }
                default: break
                }
            }
            let stop = end ?? bytes.endIndex
            if keep { out.append(contentsOf: bytes[bytes.startIndex..<stop]) }
            line += newlines
            input.consume(stop - bytes.startIndex)
            if end != nil { return }
        }
    }

    private mutating func readString() throws(InputError) -> String {
        var bytes: [UInt8] = []
        try scanValue(into: &bytes, keep: true, path: "a key")
        guard case .string(let s)? = try? JSONParser.parse(bytes) else { throw failure("expected a string key") }
        return s
    }

    /// Positions the reader at the first element of the array.
    private mutating func start() throws(InputError) {
        started = true
        skipSpace()
        if peek() == 0xEF { _ = advance(); _ = advance(); _ = advance(); skipSpace() }  // UTF-8 BOM
        guard let first = peek() else { throw failure("the file is empty; expected a JSON array of bills or {\"data\": [...]}") }
        if first == UInt8(ascii: "[") {
            _ = advance()
            return
        }
        guard first == UInt8(ascii: "{") else {
            throw failure("this is not JSON: expected '[' or '{' but found '\(String(UnicodeScalar(first)))'")
        }
        _ = advance()
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") { throw failure("the object has no \"data\" array") }
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            skipSpace()
            if key == "data" {
                guard peek() == UInt8(ascii: "[") else { throw failure("\"data\" is not an array") }
                _ = advance()
                arrayPath = "$.data"
                return
            }
            var ignored: [UInt8] = []
            try scanValue(into: &ignored, keep: false, path: "$.\(key)")
            skipSpace()
            if peek() == UInt8(ascii: ",") { _ = advance() }
        }
    }

    /// The next element, or nil after the last.
    public mutating func next() throws(InputError) -> Element? {
        if finished { return nil }
        if !started { try start() }
        skipSpace()
        if index > 0 {
            guard let b = peek() else { throw failure("the file ends inside \(arrayPath) after element \(index - 1); it looks truncated") }
            if b == UInt8(ascii: "]") {
                _ = advance()
                finished = true
                return nil
            }
            guard b == UInt8(ascii: ",") else { throw failure("expected ',' or ']' after \(arrayPath)[\(index - 1)]") }
            _ = advance()
            skipSpace()
        } else if peek() == UInt8(ascii: "]") {
            _ = advance()
            finished = true
            return nil
        }
        let path = "\(arrayPath)[\(index)]"
        let startLine = line, startOffset = offset
        var bytes: [UInt8] = []
        try scanValue(into: &bytes, keep: true, path: path)
        let value: Value
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            let errorLine = startLine + bytes[..<min(error.offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let where_ = error.path == "$" ? path : path + error.path.dropFirst()
            throw failure("invalid JSON in \(where_): \(error.message)", line: errorLine, offset: startOffset + error.offset)
        }
        defer { index += 1 }
        return Element(value: value, path: path, index: index, line: startLine, offset: startOffset, bytes: bytes)
    }
}
