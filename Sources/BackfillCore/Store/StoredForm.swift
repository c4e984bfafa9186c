/// The payload as a store keeps it: the canonical record without what the
/// row already holds or the contract restores. A store writes `compact` and
/// reads back through `expand`, which gives the canonical record byte for
/// byte: exports stay identical, and the content hash (always taken over the
/// full record, before compaction) still describes what `expand` returns.
///
/// Left out, each only when putting it back gives the same value:
/// - the identity (`source_id`, `source_system`, `connection_id`) and the
///   `currency`, which the row holds as columns;
/// - a field equal to its contract default (`"lines":[]`, `"metadata":{}`);
/// - `document_date` equal to what the contract derives from the type's own
///   date (its first ten characters), and `effective_date` equal to
///   `document_date`, which the contract names as its default.
///
/// For the bench expense that is 378 bytes down to about 150. The rules are
/// data (`Rule`), so SQL views restore the same fields the same way.
public enum StoredForm {
    /// One field a store may leave out, and how it comes back.
    public struct Rule: Sendable {
        public let field: String
        public let restore: Restore
    }

    /// How one left-out field comes back.
    public enum Restore: Sendable, Equatable {
        /// From the row's identity or currency column.
        case column(Column)
        /// The contract's default.
        case defaultValue(Value)
        /// The first ten characters of another field (document dates).
        case datePrefix(of: String)
        /// Another field's value (`effective_date` from `document_date`).
        case copy(of: String)
    }

    /// A row column a left-out field comes back from, named as in SQL.
    public enum Column: String, Sendable {
        case sourceID = "source_id"
        case sourceSystem = "source_system"
        case connectionID = "connection_id"
        case currency
    }

    /// What a compact payload needs besides itself: the row's currency
    /// column and the record's contract (its identity comes with it).
    public struct Expansion: Sendable {
        public let currency: String?
        public let contract: ObjectContract?

        public init(currency: String?, contract: ObjectContract?) {
            self.currency = currency
            self.contract = contract
        }
    }

    /// The identity, for a payload of no known contract.
    static let identityRules = [
        Rule(field: "source_id", restore: .column(.sourceID)), Rule(field: "source_system", restore: .column(.sourceSystem)),
        Rule(field: "connection_id", restore: .column(.connectionID)),
    ]

    /// The fields a store may leave out of `contract`'s payloads, in the
    /// order `expand` restores them (a copy after what it copies). Computed
    /// once per contract (`ObjectContract.storedFormRules`).
    static func rules(fieldsByName: [String: FieldSpec], documentDateSource: String?, defaults: Fields) -> [Rule] {
        var out = identityRules
        if fieldsByName["currency"] != nil { out.append(Rule(field: "currency", restore: .column(.currency))) }
        if fieldsByName["document_date"] != nil, let source = documentDateSource {
            out.append(Rule(field: "document_date", restore: .datePrefix(of: source)))
            if fieldsByName["effective_date"] != nil {
                out.append(Rule(field: "effective_date", restore: .copy(of: "document_date")))
            }
        }
        for (name, value) in defaults where !out.contains(where: { $0.field == name }) {
            out.append(Rule(field: name, restore: .defaultValue(value)))
        }
        return out
    }

    /// `payload` without the fields `expand` puts back as they are.
    public static func compact(_ payload: Fields, identity: RecordIdentity, currency: String?, contract: ObjectContract?) -> Fields {
        let left = leftOut(of: payload, identity: identity, currency: currency, contract: contract)
        var index = -1
        return payload.filter { _ in
            index += 1
            return !left.contains(index)
        }
    }

    /// The bytes of `compact(payload, …)`, cut from the canonical bytes
    /// already written for the content hash: the members kept, joined, as
    /// the one JSON writer would have written them.
    public static func compactBytes(
        of content: Differ.Content, payload: Fields, identity: RecordIdentity, currency: String?, contract: ObjectContract?
    ) -> [UInt8] {
        let left = leftOut(of: payload, identity: identity, currency: currency, contract: contract)
        guard content.members.count == payload.count else {
            return CanonicalJSON.bytes(.object(compact(payload, identity: identity, currency: currency, contract: contract)))
        }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(content.payload.count)
        payload.withMembers { members in
            for i in members.indices where !left.contains(i) {
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                out += content.payload[content.members[i]]
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The fields `compact` drops, by their place among the payload's
    /// members: those `expand` puts back as they are. Places rather than
    /// names, so that cutting the compact bytes tests each member with an
    /// integer comparison, not a string one per field left out.
    static func leftOut(of payload: Fields, identity: RecordIdentity, currency: String?, contract: ObjectContract?) -> [Int] {
        var out: [Int] = []
        let row = Row(identity: identity, currency: currency)
        for rule in contract?.storedFormRules ?? identityRules {
            guard let index = payload.index(forKey: rule.field), let restored = restored(rule.restore, from: payload, row: row)
            else { continue }
            if payload.withMembers({ same($0[index].value, restored) }) { out.append(index) }
        }
        return out
    }

    /// The canonical record from its compact form.
    public static func expand(_ stored: Fields, identity: RecordIdentity, currency: String?, contract: ObjectContract?) -> Fields {
        var out = stored
        let row = Row(identity: identity, currency: currency)
        for rule in contract?.storedFormRules ?? identityRules where out[rule.field] == nil {
            if let value = restored(rule.restore, from: out, row: row) { out[rule.field] = value }
        }
        return out
    }

    /// The canonical record from the stored text, or nil for text that is
    /// not a JSON object (a store written by hand).
    public static func expandedFields(
        _ stored: String, identity: RecordIdentity, currency: String?, contract: ObjectContract?
    ) -> Fields? {
        guard case .object(let fields)? = try? JSONParser.parse(stored) else { return nil }
        return expand(fields, identity: identity, currency: currency, contract: contract)
    }

    /// The canonical record's bytes from the stored text; text that is not a
    /// JSON object comes back as it is.
    public static func expandedText(_ stored: String, identity: RecordIdentity, currency: String?, contract: ObjectContract?) -> String {
        guard let fields = expandedFields(stored, identity: identity, currency: currency, contract: contract) else { return stored }
        return CanonicalJSON.string(.object(fields))
    }

    private struct Row {
        let identity: RecordIdentity
        let currency: String?
    }

    private static func restored(_ restore: Restore, from payload: Fields, row: Row) -> Value? {
        switch restore {
        case .column(.sourceID): return .string(row.identity.sourceID)
        case .column(.sourceSystem): return .string(row.identity.sourceSystem)
        case .column(.connectionID): return row.identity.connectionID.isEmpty ? nil : .string(row.identity.connectionID)
        case .column(.currency): return row.currency.map(Value.string)
        case .defaultValue(let value): return value
        case .datePrefix(let source):
            guard let text = payload[source]?.stringValue else { return nil }
            return .string(String(text.prefix(10)))
        case .copy(let source): return payload[source]
        }
    }

    /// Equal as stored: the same canonical JSON.
    ///
    /// The defaults are nearly all an empty list or object (`"lines":[]`),
    /// compared here without writing either side. Writing both was about
    /// half of this check, which took a tenth of a worker's time in a first
    /// import.
    private static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)) where x.isEmpty || y.isEmpty: return x.isEmpty && y.isEmpty
        case (.object(let x), .object(let y)) where x.isEmpty || y.isEmpty: return x.isEmpty && y.isEmpty
        default: return CanonicalJSON.bytes(a) == CanonicalJSON.bytes(b)
        }
    }

    /// A field as SQL, restored as `expand` restores it when the compact
    /// payload leaves it out: each backend's views read fields this way.
    /// `stored` reads the field from the payload, `literal` writes a
    /// contract default as that reading would give it.
    public static func sqlValue(
        _ field: String, contract: ObjectContract, stored: (String) -> String, literal: (Value) -> String
    ) -> String {
        let raw = stored(field)
        guard let rule = contract.storedFormRules.first(where: { $0.field == field }) else { return raw }
        switch rule.restore {
        case .column(let column): return "r.\(column.rawValue)"
        case .defaultValue(let value): return "coalesce(\(raw), \(literal(value)))"
        case .datePrefix(let source):
            return "coalesce(\(raw), substr(\(sqlValue(source, contract: contract, stored: stored, literal: literal)), 1, 10))"
        case .copy(let source): return "coalesce(\(raw), \(sqlValue(source, contract: contract, stored: stored, literal: literal)))"
        }
    }

    /// Text as a SQL string literal.
    public static func sqlQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
