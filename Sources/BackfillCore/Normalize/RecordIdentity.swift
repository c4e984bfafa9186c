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

    /// The canonical id a record gets when its provider assigns none: a UUID
    /// formatted from SHA-256 of the identity (version nibble 8, "custom").
    /// Deterministic, so the same input imported into two fresh stores gets the
    /// same ids and exports are byte-identical; stored once and never changed.
    public var derivedCanonicalID: String {
        var digest = SHA256()
        digest.update(Array(key.utf8))
        var b = Array(digest.finalize().prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = b.map { byte -> String in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-"
            + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}
