/// The source identity that makes imports idempotent: (object type,
/// source_system, connection_id, source_id). A record with the same identity
/// is the same record, whatever file or page it arrives in.
public struct RecordIdentity: Sendable, Hashable, CustomStringConvertible {
    public let objectType: String
    public let sourceSystem: String
    /// Empty when the record is not scoped to a connection (stored as '', so
    /// that SQLite's UNIQUE constraint, which treats NULLs as distinct, holds).
    public let connectionID: String
    public let sourceID: String

    public init(objectType: String, sourceSystem: String, connectionID: String, sourceID: String) {
        self.objectType = objectType
        self.sourceSystem = sourceSystem
        self.connectionID = connectionID
        self.sourceID = sourceID
    }

    /// One string for the identity, with a separator no id contains.
    public var key: String {
        "\(objectType)\u{1F}\(sourceSystem)\u{1F}\(connectionID)\u{1F}\(sourceID)"
    }

    public var description: String {
        "\(objectType) \(sourceSystem)/\(connectionID.isEmpty ? "-" : connectionID)/\(sourceID)"
    }

    /// How reports, `show` and `history` name a stored record:
    /// `expense exp-1005  (csv_upload/acme, id d96b5bd0-…)`.
    public func label(id: String) -> String {
        "\(objectType) \(sourceID)  (\(sourceSystem)\(connectionID.isEmpty ? "" : "/" + connectionID), id \(id))"
    }

    /// The canonical id a record gets when its provider assigns none: a UUID
    /// formatted from SHA-256 of the identity (version nibble 8, "custom").
    /// Deterministic, so the same input imported into two fresh stores gets the
    /// same ids and exports are byte-identical; stored once and never changed.
    public var derivedCanonicalID: String {
        var b = Array(SHA256.digest(Array(key.utf8)).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80
        b[8] = (b[8] & 0x3F) | 0x80
        return UUIDText.format(b)
    }
}

/// A UUID as the canonical id's text: 32 lowercase hex digits in groups of
/// 8-4-4-4-12. Stores keep such ids as their 16 bytes.
public enum UUIDText {
    public static func format(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { format($0) }
    }

    /// From bytes in place: a store formats every id it reads straight from
    /// the column, with no array made for it.
    public static func format(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        return String(unsafeUninitializedCapacity: 36) { out in
            let digits: StaticString = "0123456789abcdef"
            var o = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[o] = UInt8(ascii: "-")
                    o += 1
                }
                out[o] = digits.utf8Start[Int(bytes[i] >> 4)]
                out[o + 1] = digits.utf8Start[Int(bytes[i] & 15)]
                o += 2
            }
            return o
        }
    }

    /// The 16 bytes of `text` when it is exactly what `format` writes (so
    /// that formatting them gives `text` back), otherwise nil.
    public static func bytes(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { bytes($0) }
    }

    public static func bytes(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count == 36, text[8] == UInt8(ascii: "-"), text[13] == UInt8(ascii: "-"), text[18] == UInt8(ascii: "-"),
            text[23] == UInt8(ascii: "-")
        else { return nil }
        // Read in place, two digits a byte, stepping over the dashes: every
        // id a store writes passes here.
        var out = [UInt8](repeating: 0, count: 16)
        var i = 0
        for n in 0..<16 {
            if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
            guard let high = SHA256.hexDigit(text[i]), let low = SHA256.hexDigit(text[i + 1]) else { return nil }
            out[n] = high << 4 | low
            i += 2
        }
        return out
    }
}
