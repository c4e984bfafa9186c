import Foundation

/// Streams the elements of a large JSON array one at a time, so a file of
/// 100k bills is never one parsed tree: memory is one read buffer plus the
/// current element.
///
/// Accepts a top-level array (`[{…}, {…}]`, paths `$[i]`) or an object whose
/// `data` member is the array (`{"data": [{…}]}`, paths `$.data[i]`). The
/// whole file is held to RFC 8259 as strictly as `JSONParser` holds a
/// document: the other members of that object are read and checked too, a
/// name may appear once (a second `"data"` is a `duplicate_key` error, not
/// a silently dropped array), and nothing but white space may follow the
/// top-level value. An element is a located error of the whole file when it
/// is not JSON; an element that is JSON but holds a string no text can be
/// made of (a lone surrogate escape) comes back with an `issue`, so only
/// that record is rejected. Every error names the line, byte offset and
/// JSON path; a file that ends early says it is truncated.
public struct JSONArrayReader {
    /// One element: its parsed value, JSON path, and where it starts.
    public struct Element: Sendable {
        /// The element on a tape of tokens (`JSONTape`): members become
        /// strings or values only as a mapper reads them. nil when `issue` is set.
        public let node: JSONNode?
        /// The element as a tree; `.null` when `issue` is set.
        public var value: Value { node?.value ?? .null }
        public let path: String
        public let index: Int
        public let line: Int
        public let offset: Int
        /// The element exactly as it is in the file: what a reject keeps.
        public let bytes: [UInt8]
        /// Why the element is not usable although the file is JSON.
        public let issue: RecordIssue?
    }

    private var input: InputFile
    public var bytesRead: Int { input.bytesConsumed }
    public var totalBytes: Int? { input.totalBytes }
    public var file: String { input.path }
    public let limits: InputLimits
    private var line = 1
    private var started = false
    private var finished = false
    private var index = 0
    /// `$` for a top-level array, `$.data` for the response envelope.
    public private(set) var arrayPath = "$"
    /// How deep an element sits: 1 inside `[…]`, 2 inside `{"data": […]}`.
    private var elementDepth = 1
    /// The envelope's member names, each allowed once.
    private var envelopeKeys: Set<String> = []
    private var inEnvelope = false

    public init(path: String, limits: InputLimits = .standard) throws(InputError) {
        self.init(input: try InputFile(path: path, kind: "a JSON file"), limits: limits)
    }

    public init(input: InputFile, limits: InputLimits = .standard) {
        self.input = input
        self.limits = limits
    }

    // MARK: Bytes

    private mutating func peek() -> UInt8? { input.peek() }

    private mutating func advance() -> UInt8? {
        guard let b = input.next() else { return nil }
        if b == 0x0A { line += 1 }
        return b
    }

    private var offset: Int { input.offset }

    private func failure(_ message: String, code: IssueCode = .malformedInput, line: Int? = nil, offset: Int? = nil) -> InputError {
        InputError(
            kind: .malformed, origin: Origin(file: file, line: line ?? self.line), code: code,
            message: "\(message) (byte \(offset ?? self.offset))")
    }

    private var foundText: String {
        mutating get { JSONParser.describe(peek(), atEnd: "the end of the file") }
    }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { _ = advance() }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(InputError) {
        skipSpace()
        guard peek() != nil else { throw failure("the file ends where \(what) was expected; it looks truncated") }
        guard peek() == byte else { throw failure("expected \(what) but found \(foundText)") }
        _ = advance()
    }

    /// Copies one complete JSON value's bytes into `out`, without parsing
    /// it: brackets are counted outside strings. Works on the read buffer a
    /// run at a time: this scan sees every byte of the file, and a call per
    /// byte was most of its cost. Stops with a located error as soon as the
    /// value nests too deep or grows past `maxRecordBytes`.
    private mutating func scanValue(into out: inout [UInt8], path: String, depth baseDepth: Int) throws(InputError) {
        skipSpace()
        let startLine = line
        let startOffset = offset
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
                    case UInt8(ascii: "\""):
                        inString = true
                        continue scan
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth = 1
                        if baseDepth + depth > limits.maxDepth { throw tooDeep(path, offset: startOffset) }
                        continue scan
                    case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"):
                        throw failure("unexpected '\(String(UnicodeScalar(b)))' where \(path) was expected")
                    default:
                        scalar = true
                        continue scan
                    }
                }
                if scalar {
                    switch b {
                    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"), UInt8(ascii: "["),
                        UInt8(ascii: "{"), UInt8(ascii: "\""), 0x20, 0x0A, 0x0D, 0x09:
                        if b == 0x0A { newlines -= 1 }
                        end = i
                        break scan
                    default: continue scan
                    }
                }
                if inString {
                    if escaped {
                        escaped = false
                    } else if b == UInt8(ascii: "\\") {
                        escaped = true
                    } else if b == UInt8(ascii: "\"") {
                        inString = false
                        if depth == 0 {
                            end = i + 1
                            break scan
                        }
                    }
                    continue scan
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if baseDepth + depth > limits.maxDepth {
                        throw tooDeep(path, offset: offset + (i - bytes.startIndex), line: line + newlines)
                    }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        end = i + 1
                        break scan
                    }
                default: break
                }
            }
            let stop = end ?? bytes.endIndex
            out.append(contentsOf: bytes[bytes.startIndex..<stop])
            line += newlines
            input.consume(stop - bytes.startIndex)
            if out.count > limits.maxRecordBytes {
                throw failure(
                    "\(path), which starts on line \(startLine) (byte \(startOffset)), is larger than "
                        + "\(InputLimits.describe(limits.maxRecordBytes)) (--max-record-mib)", code: .tooLarge)
            }
            if end != nil { return }
        }
    }

    private func tooDeep(_ path: String, offset: Int, line: Int? = nil) -> InputError {
        failure("\(path) is nested deeper than \(limits.maxDepth) levels", code: .tooDeep, line: line, offset: offset)
    }

    /// One complete value, parsed as strictly as a document. A value that
    /// is JSON but unusable (`invalidString`) is returned as the error
    /// instead of thrown, for the caller to decide.
    private mutating func readValue(
        path: String, depth: Int
    ) throws(InputError)
        -> (node: JSONNode?, bytes: [UInt8], line: Int, offset: Int, invalid: JSONParser.SyntaxError?)
    {
        skipSpace()
        let startLine = line
        let startOffset = offset
        var bytes: [UInt8] = []
        try scanValue(into: &bytes, path: path, depth: depth)
        do {
            return (try JSONParser.tape(bytes, limits: limits.json, depth: depth), bytes, startLine, startOffset, nil)
        } catch {
            if error.kind == .invalidString { return (nil, bytes, startLine, startOffset, error) }
            throw located(error, in: path, line: startLine, offset: startOffset)
        }
    }

    /// A parser error inside a value, placed in the file.
    private func located(_ error: JSONParser.SyntaxError, in path: String, line: Int, offset: Int) -> InputError {
        let location = JSONParser.path(path, inside: error.path)
        let what = error.kind == .syntax ? "invalid JSON in \(location)" : location
        return failure("\(what): \(error.message)", code: error.code, line: line + error.line - 1, offset: offset + error.offset)
    }

    private mutating func readKey(in path: String) throws(InputError) -> String {
        skipSpace()
        guard peek() == UInt8(ascii: "\"") else {
            throw failure("expected a member name in double quotes in \(path) but found \(foundText)")
        }
        let keyLine = line
        let keyOffset = offset
        let key = try readValue(path: "a member name in \(path)", depth: 1)
        if let invalid = key.invalid { throw located(invalid, in: path, line: keyLine, offset: keyOffset) }
        guard let name = key.node?.string else { throw failure("expected a member name in \(path)") }
        guard envelopeKeys.insert(name).inserted else {
            throw failure("the name \"\(Excerpt(name))\" appears twice in \(path)", code: .duplicateKey, line: keyLine, offset: keyOffset)
        }
        try expect(UInt8(ascii: ":"), "':'")
        return name
    }

    /// Positions the reader at the first element of the array.
    private mutating func start() throws(InputError) {
        started = true
        var head: [UInt8] = []
        for i in 0..<4 { if let b = input.peek(ahead: i) { head.append(b) } }
        if let encoding = JSONParser.foreignEncoding(of: head) {
            throw failure(
                "the file is \(encoding), not UTF-8; JSON must be UTF-8 (RFC 8259 §8.1)", code: .invalidEncoding, line: 1, offset: 0)
        }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { for _ in 0..<3 { _ = advance() } }  // a UTF-8 BOM may be ignored (§8.1)
        skipSpace()
        guard let first = peek() else { throw failure("the file is empty; expected a JSON array of bills or {\"data\": [...]}") }
        if first == UInt8(ascii: "[") {
            _ = advance()
            return
        }
        guard first == UInt8(ascii: "{") else { throw try wrongTopLevel() }
        _ = advance()
        inEnvelope = true
        elementDepth = 2
        skipSpace()
        if peek() == UInt8(ascii: "}") { throw failure("the object has no \"data\" array; expected {\"data\": [...]}") }
        while true {
            let key = try readKey(in: "$")
            skipSpace()
            if key == "data" {
                guard peek() == UInt8(ascii: "[") else { throw failure("\"data\" is not an array; expected {\"data\": [...]}") }
                _ = advance()
                arrayPath = "$.data"
                return
            }
            try skipMember("$.\(key)")
            skipSpace()
            switch peek() {
            case UInt8(ascii: ",")?: _ = advance()
            case UInt8(ascii: "}")?: throw failure("the object has no \"data\" array; expected {\"data\": [...]}")
            case nil: throw failure("the file ends inside the top-level object; it looks truncated")
            default: throw failure("expected ',' or '}' in the top-level object but found \(foundText)")
            }
        }
    }

    /// A member of the envelope other than `data`: read, checked, dropped.
    private mutating func skipMember(_ path: String) throws(InputError) {
        let value = try readValue(path: path, depth: 1)
        if let invalid = value.invalid { throw located(invalid, in: path, line: value.line, offset: value.offset) }
    }

    /// The file starts with neither '[' nor '{': say whether it is JSON of
    /// another shape (a lone string or number) or not JSON at all.
    private mutating func wrongTopLevel() throws(InputError) -> InputError {
        let startOffset = offset
        var rest: [UInt8] = []
        while rest.count <= limits.maxRecordBytes {
            let run = input.available()
            if run.isEmpty { break }
            rest.append(contentsOf: run)
            input.consume(run.count)
        }
        do {
            let value = try JSONParser.parse(rest, limits: limits.json)
            let kind: String
            switch value {
            case .string: kind = "a string"
            case .bool: kind = "a boolean"
            case .null: kind = "null"
            default: kind = "a number"
            }
            return failure("the file is JSON, but \(kind); expected an array of bills or {\"data\": [...]}", line: 1, offset: startOffset)
        } catch {
            return failure(
                "this is not JSON: expected '[' or '{' but found \(JSONParser.describe(rest.first, atEnd: "nothing"))", line: 1,
                offset: startOffset)
        }
    }

    /// After the array's ']': the envelope's remaining members, then only
    /// white space to the end of the file.
    private mutating func finishDocument() throws(InputError) {
        finished = true
        if inEnvelope {
            while true {
                skipSpace()
                switch peek() {
                case UInt8(ascii: "}")?:
                    _ = advance()
                case UInt8(ascii: ",")?:
                    _ = advance()
                    let key = try readKey(in: "$")
                    try skipMember("$.\(key)")
                    continue
                case nil: throw failure("the file ends inside the top-level object; it looks truncated")
                default: throw failure("expected ',' or '}' after \(arrayPath) but found \(foundText)")
                }
                break
            }
        }
        skipSpace()
        if peek() != nil {
            throw failure("unexpected \(foundText) after the top-level JSON value; only white space may follow it")
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
                try finishDocument()
                return nil
            }
            guard b == UInt8(ascii: ",") else {
                throw failure("expected ',' or ']' after \(arrayPath)[\(index - 1)] but found \(foundText)")
            }
            _ = advance()
            skipSpace()
        } else if peek() == UInt8(ascii: "]") {
            _ = advance()
            try finishDocument()
            return nil
        }
        let path = "\(arrayPath)[\(index)]"
        let read = try readValue(path: path, depth: elementDepth)
        defer { index += 1 }
        var issue: RecordIssue?
        if let invalid = read.invalid {
            issue = RecordIssue(
                origin: Origin(
                    file: file, line: read.line + invalid.line - 1,
                    jsonPath: JSONParser.path(path, inside: invalid.path)), field: nil,
                code: invalid.code, message: "\(invalid.message) (byte \(read.offset + invalid.offset))")
        }
        return Element(
            node: read.node, path: path, index: index, line: read.line, offset: read.offset, bytes: read.bytes,
            issue: issue)
    }
}
