import BackfillCore

/// Rows in `COPY … FROM STDIN`'s text format
/// (https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2):
/// tab-separated, newline-ended, `\N` for NULL, and backslash, tab, newline
/// and carriage return escaped in values. Built into one buffer per batch.
struct CopyText {
    private(set) var bytes: [UInt8] = []
    private var atRowStart = true
    private(set) var rows = 0

    var isEmpty: Bool { rows == 0 }

    mutating func field(_ value: String?) {
        separate()
        guard let value else {
            bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
            return
        }
        escape(value.utf8)
    }

    mutating func field(_ value: Int?) { field(value.map(String.init)) }

    /// A `bytea` value in hex form (`\x0a1b…`), its backslash escaped for COPY.
    mutating func field(bytea value: [UInt8]?) {
        separate()
        guard let value else {
            bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
            return
        }
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")]
        bytes += SHA256.hexString(value).utf8
    }

    /// Raw UTF-8 text (a payload as serialized), escaped.
    mutating func field(utf8 value: [UInt8]) {
        separate()
        escape(value)
    }

    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        atRowStart = true
        rows += 1
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        atRowStart = true
        rows = 0
    }

    private mutating func separate() {
        if !atRowStart { bytes.append(UInt8(ascii: "\t")) }
        atRowStart = false
    }

    private mutating func escape<C: Collection>(_ value: C) where C.Element == UInt8 {
        for b in value {
            switch b {
            case UInt8(ascii: "\\"): bytes += [b, b]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: bytes.append(b)
            }
        }
    }

    /// A bytea parameter's text form: `\x` and hex.
    static func byteaParameter(_ value: [UInt8]) -> String { "\\x" + SHA256.hexString(value) }
}
