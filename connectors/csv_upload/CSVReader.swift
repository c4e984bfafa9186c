import BackfillCore
import Foundation

/// Text encodings a CSV upload may declare.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    /// Latin-9: Latin-1 with €, Š, š, Ž, ž, Œ, œ, Ÿ; older European exports.
    case iso885915 = "iso-8859-15"
}

/// One CSV record: its fields, the physical line it starts on, and its text.
public struct CSVRow: Sendable {
    public var fields: [String]
    /// One-based physical line of the record's first character; a quoted
    /// field spanning lines makes the next record start further down.
    public var line: Int
    /// The record's text as read, without the final line break.
    public var text: String
}

/// A streaming RFC 4180 reader that works on bytes, not `Character`s.
///
/// Accepts quoted fields with the delimiter, doubled quotes and line breaks
/// inside, CRLF and LF line ends (mixed too), a UTF-8 byte-order mark, and
/// blank lines (skipped). Memory is one read buffer plus the current record,
/// whatever the file size: a field or record over its `InputLimits` stops
/// the file with a located `too_large` error, and a NUL byte (a binary file,
/// `/dev/zero`, UTF-16 text) with an `invalid_encoding` one, before either
/// is buffered. Text must be valid UTF-8, unless the caller says
/// windows-1252: then bytes are decoded through that code page, so nothing
/// is ever stored garbled.
public struct CSVReader {
    private var input: InputFile
    public var bytesRead: Int { input.bytesConsumed }
    public var totalBytes: Int? { input.totalBytes }
    private var path: String { input.path }
    private let delimiter: UInt8
    private let encoding: TextEncoding
    private let limits: InputLimits
    private var line = 1
    private var startedFile = false

    public init(
        path: String, delimiter: UInt8 = UInt8(ascii: ","), encoding: TextEncoding = .utf8,
        limits: InputLimits = .standard
    ) throws(InputError) {
        self.init(input: try InputFile(path: path, kind: "a CSV file"), delimiter: delimiter, encoding: encoding, limits: limits)
    }

    public init(
        input: InputFile, delimiter: UInt8 = UInt8(ascii: ","), encoding: TextEncoding = .utf8,
        limits: InputLimits = .standard
    ) {
        self.input = input
        self.delimiter = delimiter
        self.encoding = encoding
        self.limits = limits
    }

    private func notText(at offset: Int, line: Int) -> InputError {
        InputError(
            kind: .malformed, origin: Origin(file: path, line: line), code: .invalidEncoding,
            message: "has a NUL byte at byte \(offset): this is a binary file, not CSV text")
    }

    private mutating func peekByte() -> UInt8? { input.peek() }

    /// The next record, or nil at the end of the file.
    public mutating func next() throws(InputError) -> CSVRow? {
        if !startedFile {
            startedFile = true
            var head: [UInt8] = []
            for i in 0..<4 { if let b = input.peek(ahead: i) { head.append(b) } }
            if let foreign = JSONParser.foreignEncoding(of: head) {
                throw InputError(
                    kind: .malformed, origin: Origin(file: path, line: 1), code: .invalidEncoding,
                    message: "is \(foreign) text; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)")
            }
            // UTF-8 byte-order mark: allowed, and not part of the first header.
            if head.starts(with: [0xEF, 0xBB, 0xBF]) {
                for _ in 0..<3 { _ = input.next() }
            }
        }
        while true {
            // Skip blank lines between records (and a blank trailing line).
            guard let first = peekByte() else { return nil }
            if first == 0x0A {
                _ = input.next()
                line += 1
                continue
            }
            if first == 0x0D {
                _ = input.next()
                if peekByte() == 0x0A { _ = input.next() }
                line += 1
                continue
            }
            return try readRecord()
        }
    }

    // Reused for every record, so reading a row allocates only its strings.
    private var content: [UInt8] = []  // every field's bytes, back to back
    private var fieldEnds: [Int] = []  // where each field ends in `content`
    private var raw: [UInt8] = []  // the record as written

    private mutating func readRecord() throws(InputError) -> CSVRow {
        let startLine = line
        content.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        raw.removeAll(keepingCapacity: true)
        var fieldStart = 0
        var inQuotes = false
        var quotedField = false
        var quoteLine = line
        var slowSteps = 0
        while true {
            // Runs of ordinary bytes are copied whole from the read buffer;
            // only a delimiter, quote or line break takes the byte-by-byte
            // path below (which also handles its look-ahead).
            let run = input.available()
            if !run.isEmpty {
                var end = run.startIndex
                if inQuotes {
                    while end < run.endIndex, run[end] != UInt8(ascii: "\""), run[end] != 0x0A, run[end] != 0x0D, run[end] != 0 {
                        end += 1
                    }
                } else {
                    while end < run.endIndex, run[end] != delimiter, run[end] != UInt8(ascii: "\""), run[end] != 0x0A,
                        run[end] != 0x0D, run[end] != 0
                    { end += 1 }
                }
                if end > run.startIndex {
                    content.append(contentsOf: run[run.startIndex..<end])
                    raw.append(contentsOf: run[run.startIndex..<end])
                    input.consume(end - run.startIndex)
                    try checkSize(field: content.count - fieldStart, fieldNumber: fieldEnds.count + 1, startLine: startLine)
                    continue
                }
                if run[end] == 0 { throw notText(at: input.offset, line: line) }
            }
            guard let byte = peekByte() else {
                if inQuotes {
                    throw InputError(
                        kind: .malformed, origin: Origin(file: path, line: quoteLine), code: .malformedInput,
                        message: "a quoted field opened here is never closed")
                }
                break
            }
            _ = input.next()
            slowSteps &+= 1
            if slowSteps & 0xFFF == 0 {  // runs of quotes and line breaks only: checked now and then
                try checkSize(field: content.count - fieldStart, fieldNumber: fieldEnds.count + 1, startLine: startLine)
            }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if peekByte() == UInt8(ascii: "\"") {
                        _ = input.next()
                        content.append(byte)
                        raw.append(byte)
                    } else {
                        inQuotes = false
                    }
                    raw.append(byte)
                    continue
                }
                if byte == 0x0A || (byte == 0x0D && peekByte() != 0x0A) { line += 1 }
                content.append(byte)
                raw.append(byte)
                continue
            }
            if byte == delimiter {
                fieldEnds.append(content.count)
                fieldStart = content.count
                quotedField = false
                raw.append(byte)
                continue
            }
            if byte == 0x0A || byte == 0x0D {
                if byte == 0x0D && peekByte() == 0x0A { _ = input.next() }
                line += 1
                break
            }
            if byte == UInt8(ascii: "\"") && content.count == fieldStart && !quotedField {
                inQuotes = true
                quotedField = true
                quoteLine = line
                raw.append(byte)
                continue
            }
            content.append(byte)
            raw.append(byte)
        }
        fieldEnds.append(content.count)
        let text = try decode(raw, line: startLine)
        // Fields split the record at ASCII bytes, so once the record is valid
        // UTF-8 every field is too.
        var fields: [String] = []
        fields.reserveCapacity(fieldEnds.count)
        var from = 0
        for end in fieldEnds {
            let bytes = content[from..<end]
            switch encoding {
            case .utf8: fields.append(String(decoding: bytes, as: UTF8.self))
            case .windows1252: fields.append(Windows1252.decode(bytes))
            case .iso885915: fields.append(Latin9.decode(bytes))
            }
            from = end
        }
        return CSVRow(fields: fields, line: startLine, text: text)
    }

    /// Stops a field or record that passed its limit, while it is read.
    private func checkSize(field: Int, fieldNumber: Int, startLine: Int) throws(InputError) {
        if field > limits.maxFieldBytes {
            throw InputError(
                kind: .malformed, origin: Origin(file: path, line: startLine), code: .tooLarge,
                message: "field \(fieldNumber) of the row starting here is larger than "
                    + "\(InputLimits.describe(limits.maxFieldBytes)) (--max-field-mib)")
        }
        if raw.count > limits.maxRecordBytes {
            throw InputError(
                kind: .malformed, origin: Origin(file: path, line: startLine), code: .tooLarge,
                message: "the row starting here is larger than \(InputLimits.describe(limits.maxRecordBytes)) "
                    + "(--max-record-mib); is a quote left open?")
        }
    }

    private func decode(_ bytes: [UInt8], line: Int) throws(InputError) -> String {
        switch encoding {
        case .utf8:
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            // The physical line of the bad byte, not just the record's first line.
            let bad = UTF8Validation.firstInvalidOffset(bytes) ?? 0
            let badLine = line + bytes[..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw InputError(
                kind: .malformed, origin: Origin(file: path, line: badLine), code: .invalidEncoding,
                message: "is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true))); "
                    + "if the file is windows-1252 (Excel on Windows), pass --encoding windows-1252")
        case .windows1252:
            return Windows1252.decode(bytes)
        case .iso885915:
            if let i = bytes.firstIndex(where: { (0x80...0x9F).contains($0) }) {
                let badLine = line + bytes[..<i].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                throw InputError(
                    kind: .malformed, origin: Origin(file: path, line: badLine), code: .invalidEncoding,
                    message: "has byte 0x\(String(bytes[i], radix: 16, uppercase: true)), a control character in ISO-8859-15; "
                        + "the file is probably windows-1252")
            }
            return Latin9.decode(bytes)
        }
    }
}

/// ISO-8859-15: Latin-1 but for eight code points.
enum Latin9 {
    private static let changed: [UInt8: UInt32] = [
        0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E,
        0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178,
    ]

    static func decode(_ bytes: some Collection<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(changed[b] ?? UInt32(b))!) }
        return String(s)
    }
}

/// The windows-1252 code page: Latin-1 with printable characters in 0x80–0x9F.
enum Windows1252 {
    private static let high: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func decode(_ bytes: some Collection<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            let value: UInt32 = (0x80...0x9F).contains(b) ? high[Int(b - 0x80)] : UInt32(b)
            s.append(Unicode.Scalar(value)!)
        }
        return String(s)
    }
}
