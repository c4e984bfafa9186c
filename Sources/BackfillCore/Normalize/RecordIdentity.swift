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
        let hex = Array(SHA256.hexString(b).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
