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
    /// trailing fractional zeros: that form feeds the content hash, so `1.50`
    /// and `1.5` in a unit price do not count as a change.
    public static func write(_ value: Value, into out: inout [UInt8], normalizingDecimals: Bool = false) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .string(let s): writeString(s, into: &out)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .decimal(let d):
            out.append(UInt8(ascii: "\""))
            (normalizingDecimals ? d.normalized : d).write(into: &out)
            out.append(UInt8(ascii: "\""))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, normalizingDecimals: normalizingDecimals)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            var first = true
            // `Fields` keeps its keys in UTF-8 byte order already.
            for (key, member) in fields {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out, normalizingDecimals: normalizingDecimals)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// True when some decimal in `value` carries trailing fractional zeros, i.e.
    /// when the hash form differs from the payload form.
    public static func hasUnnormalizedDecimal(_ value: Value) -> Bool {
        switch value {
        case .decimal(let d): return d.scale != d.normalized.scale
        case .array(let items): return items.contains(where: hasUnnormalizedDecimal)
        case .object(let fields): return fields.contains { hasUnnormalizedDecimal($0.value) }
        default: return false
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
            case UInt8(ascii: "\""): out.append(92); out.append(34)
            case UInt8(ascii: "\\"): out.append(92); out.append(92)
            case 0x0A: out.append(92); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(92); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(92); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.append(92); out.append(UInt8(ascii: "u")); out.append(48); out.append(48)
                out.append(hex.utf8Start[Int(byte >> 4)]); out.append(hex.utf8Start[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
