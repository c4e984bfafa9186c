import Synchronization

/// The one redaction step: every text on its way to stderr, a report or the
/// store passes through `redact`.
///
/// Process-wide on purpose. Secrets are learned where configuration is read
/// (a connection's token, later a database password) while the sinks are
/// everywhere (diagnostics, three report formats, the rejects table); one
/// registry means no sink can be handed the wrong list or none. Besides the
/// registered values it removes what is a secret by its shape, so a token
/// never registered (a server echoing another client's header) is caught
/// too: the word after `Bearer`, and a URL's `user:password@`.
public enum Secrets {
    private static let known = Mutex<[String]>([])
    public static let mask = "[redacted]"

    /// Remembers `secret` for every later `redact`. Empty strings are
    /// ignored; there is nothing to hide and everything would match.
    public static func register(_ secret: String) {
        guard !secret.isEmpty else { return }
        known.withLock { list in
            guard !list.contains(secret) else { return }
            list.append(secret)
            // Longest first: a secret that contains another is removed whole.
            list.sort { $0.utf8.count > $1.utf8.count }
        }
    }

    /// `text` without any registered secret, bearer credential or URL userinfo.
    public static func redact(_ text: String) -> String {
        var out = text
        for secret in known.withLock({ $0 }) where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: mask)
        }
        return removeShapes(out)
    }

    /// Bytes that may name a credential: letters, digits and `-._~+/=`
    /// (RFC 6750's b64token), plus the other characters tokens use in practice.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~+/=:%$!*".utf8.contains(b)
        }
    }

    /// Ends userinfo: what may not appear between `://` and `@` in a URL.
    private static func endsAuthority(_ b: UInt8) -> Bool { "/?#\\ \t\r\n\"'<>`".utf8.contains(b) || b < 0x20 }

    private static func removeShapes(_ text: String) -> String {
        let bytes = Array(text.utf8)
        // Fast path: nothing that could start either shape.
        guard bytes.count >= 4, bytes.contains(where: { $0 == UInt8(ascii: "@") || $0 | 0x20 == UInt8(ascii: "b") }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let bearer = Array("bearer".utf8)
        let mask = Array(Self.mask.utf8)
        while i < bytes.count {
            // `Bearer <token>`, any case, any run of spaces.
            if i + bearer.count < bytes.count, (0..<bearer.count).allSatisfy({ bytes[i + $0] | 0x20 == bearer[$0] }),
                i == 0 || !isTokenByte(bytes[i - 1])
            {
                var j = i + bearer.count
                var spaces = 0
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 {
                    j += 1
                    spaces += 1
                }
                var end = j
                while end < bytes.count, isTokenByte(bytes[end]) { end += 1 }
                if spaces > 0 && end > j {
                    out.append(contentsOf: bytes[i..<j])
                    out.append(contentsOf: mask)
                    i = end
                    continue
                }
            }
            // `scheme://userinfo@host`: the userinfo goes.
            if bytes[i] == UInt8(ascii: ":"), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/") {
                var j = i + 3
                while j < bytes.count, bytes[j] != UInt8(ascii: "@"), !endsAuthority(bytes[j]) { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: "@"), j > i + 3 {
                    out.append(contentsOf: bytes[i..<(i + 3)])
                    out.append(contentsOf: mask)
                    i = j
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out.count == bytes.count && out == bytes ? text : String(decoding: out, as: UTF8.self)
    }
}
