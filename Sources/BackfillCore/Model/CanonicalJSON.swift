/// The one JSON writer for canonical payloads, exports and reports.
///
/// Deterministic by construction: object keys are sorted by their UTF-8 bytes,
/// no insignificant white space, decimals as strings. The same record always
/// gives the same bytes, which is what makes content hashes and byte-identical
/// exports possible. Hand-written because `JSONSerialization` neither sorts
/// reliably across platforms nor keeps decimals exact.
public enum CanonicalJSON {
    public static func string(_ value: Value) -> String {
        var out: [UInt8] = []
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    /// Writes `value`. With `normalizingDecimals`, decimals are written without
    /// trailing fractional zeros: the form the content hash is taken over, so
    /// `1.50` and `1.5` in a unit price do not count as a change.
    public static func write(_ value: Value, into out: inout [UInt8], normalizingDecimals: Bool = false) {
        var writer = Writer(out: out, normalizingDecimals: normalizingDecimals, recordZeros: false)
        out = []
        writer.write(value)
        out = writer.out
    }

    /// The canonical bytes of `value`, and the byte ranges of trailing
    /// fractional zeros in its decimals (with the point, when nothing is left
    /// after it). The bytes without those ranges are exactly what
    /// `normalizingDecimals` writes: one pass serves payload and hash.
    ///
    /// For an object, `members` is where each of its members (`"key":value`)
    /// lies in `bytes`, in order: an object of some of those members is their
    /// ranges joined by commas, with no second serialization (`StoredForm`).
    public static func bytesAndTrailingZeros(
        _ value: Value
    ) -> (
        bytes: [UInt8], trailingZeros: [Range<Int>], members: [Range<Int>]
    ) {
        var writer = Writer(out: [], normalizingDecimals: false, recordZeros: true)
        writer.out.reserveCapacity(1024)
        writer.recordMembers = true
        writer.write(value)
        return (writer.out, writer.zeros, writer.members)
    }

    private struct Writer {
        var out: [UInt8]
        let normalizingDecimals: Bool
        let recordZeros: Bool
        var zeros: [Range<Int>] = []
        /// Set to note the members of the outermost object only.
        var recordMembers = false
        var members: [Range<Int>] = []

        mutating func write(_ value: Value) {
            switch value {
            case .null: out.append(contentsOf: "null".utf8)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .string(let s): CanonicalJSON.writeString(s, into: &out)
            case .number(let n): out.append(contentsOf: n.utf8)
            case .integer(let i): out.append(contentsOf: String(i).utf8)
            case .decimal(let d):
                out.append(UInt8(ascii: "\""))
                if normalizingDecimals {
                    d.normalized.write(into: &out)
                } else {
                    d.write(into: &out)
                    if recordZeros && d.scale > 0 { recordTrailingZeros() }
                }
                out.append(UInt8(ascii: "\""))
            case .array(let items):
                out.append(UInt8(ascii: "["))
                items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        write(items[i])
                    }
                }
                out.append(UInt8(ascii: "]"))
            case .object(let fields):
                out.append(UInt8(ascii: "{"))
                let noting = recordMembers
                recordMembers = false
                // `Fields` keeps its keys in UTF-8 byte order already.
                fields.withMembers { fields in
                    if noting { members.reserveCapacity(fields.count) }
                    for i in fields.indices {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        let start = out.count
                        CanonicalJSON.writeString(fields[i].key, into: &out)
                        out.append(UInt8(ascii: ":"))
                        write(fields[i].value)
                        if noting { members.append(start..<out.count) }
                    }
                }
                out.append(UInt8(ascii: "}"))
            }
        }

        /// The bytes just written are a decimal with a point: note its
        /// trailing zeros, and the point too when only zeros followed it.
        private mutating func recordTrailingZeros() {
            var end = out.count
            while out[end - 1] == UInt8(ascii: "0") { end -= 1 }
            if out[end - 1] == UInt8(ascii: ".") { end -= 1 }
            if end < out.count { zeros.append(end..<out.count) }
        }
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Almost every string needs no escape: copy it whole.
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""):
                out.append(92)
                out.append(34)
            case UInt8(ascii: "\\"):
                out.append(92)
                out.append(92)
            case 0x0A:
                out.append(92)
                out.append(UInt8(ascii: "n"))
            case 0x0D:
                out.append(92)
                out.append(UInt8(ascii: "r"))
            case 0x09:
                out.append(92)
                out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.append(92)
                out.append(UInt8(ascii: "u"))
                out.append(48)
                out.append(48)
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
