/// Text made safe to print on a terminal or in a one-line-per-item report.
///
/// A file name or a provider's value may hold a newline (a forged
/// `file:1: error:` line), an ANSI escape (a cleared screen, a recoloured
/// line, a retitled window) or a bidirectional override (text shown in an
/// order other than its bytes). Each is shown as an escape instead: `\n`,
/// `\r`, `\t`, `\x1b`, `\u{202E}`. Printable text, including every
/// non-Latin script, is left alone. JSON output needs none of this: its
/// string escaping already covers control characters.
public enum TerminalText {
    /// `text` padded with spaces to `width` characters: a column of a table.
    public static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    public static func escape(_ text: String) -> String {
        // Fast path: printable ASCII, the usual case, is returned as is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F:
                out += "\\x" + hex(scalar.value, width: 2)
            case 0x80..<0xA0, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                // C1 controls (0x9B is a one-byte CSI), line separators and
                // bidirectional marks and overrides.
                out += "\\u{" + hex(scalar.value, width: 4) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// What a person may see of `text`: secrets removed, then escaped.
    public static func safe(_ text: String) -> String { escape(Secrets.redact(text)) }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
