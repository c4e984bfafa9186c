/// Classifies a normalized record against what the store holds: create,
/// update (with every changed field) or unchanged.
///
/// The decision is by content hash, so re-importing the same data writes
/// nothing. The hash is taken over the canonical JSON with decimals written
/// without trailing zeros: `125.0` and `125.00` are the same amount and must
/// not count as a change (money is always at the currency scale anyway; this
/// matters for quantities and unit amounts, which keep their given precision).
public struct Differ: Sendable {
    public init() {}

    public struct Content: Sendable {
        public let payload: [UInt8]
        public let hash: String
        /// Where each top-level member lies in `payload`
        /// (`CanonicalJSON.bytesAndTrailingZeros`).
        public var members: [Range<Int>] = []
        /// The payload as a store keeps it (`StoredForm`), when computed.
        public var stored: [UInt8]? = nil
        /// `hash` as its 32 bytes, and the row's query columns: what a store
        /// binds, worked out with the rest off the store's thread.
        public var digest: [UInt8]? = nil
        public var columns: QueryColumns? = nil
    }

    /// The stored form of a payload and its content hash.
    public func content(of payload: Fields) -> Content {
        let (bytes, trailingZeros, members) = CanonicalJSON.bytesAndTrailingZeros(.object(payload))
        guard !trailingZeros.isEmpty else {
            let digest = SHA256.digest(bytes)
            return Content(payload: bytes, hash: SHA256.hexString(digest), members: members, digest: digest)
        }
        // The hash skips the trailing zeros: it reads the normalized form.
        var hash = SHA256()
        bytes.withUnsafeBytes { all in
            var from = 0
            for zeros in trailingZeros {
                hash.update(UnsafeRawBufferPointer(rebasing: all[from..<zeros.lowerBound]))
                from = zeros.upperBound
            }
            hash.update(UnsafeRawBufferPointer(rebasing: all[from...]))
        }
        let digest = hash.finalize()
        return Content(payload: bytes, hash: SHA256.hexString(digest), members: members, digest: digest)
    }

    /// `content` is `content(of: payload)`, computed ahead by the caller.
    public func classify(
        identity: RecordIdentity, payload: Fields, content: Content, origin: Origin,
        canonicalID: String?, existing: StoredRecord?
    ) -> RecordChange {
        guard let existing else {
            var change = RecordChange(
                action: .create, identity: identity, id: canonicalID ?? identity.derivedCanonicalID,
                origin: origin, fields: [], payload: content.payload, contentHash: content.hash)
            change.values = payload
            change.storedPayload = content.stored
            change.contentDigest = content.digest
            change.columns = content.columns
            return change
        }
        // A removed record sent again comes back, even with the same content.
        if existing.removedAt == nil && existing.contentHash == content.hash {
            return .unchanged(identity, stored: existing, origin: origin)
        }
        let old = existing.canonicalPayload(identity: identity)
        var fields = existing.removedAt.map { [FieldChange(path: "removed_at", from: .string($0), to: nil)] } ?? []
        fields += fieldChanges(from: old, to: .object(payload))
        var change = RecordChange(
            action: .update, identity: identity, id: existing.id, origin: origin,
            fields: fields, payload: content.payload, contentHash: content.hash)
        change.row = existing.row
        change.values = payload
        change.storedPayload = content.stored
        return change
    }

    /// Leaf-by-leaf differences between the stored and the new payload.
    public func fieldChanges(from old: Value, to new: Value) -> [FieldChange] {
        var before: Fields = [:]
        var after: Fields = [:]
        flatten(old, path: "", into: &before)
        flatten(new, path: "", into: &after)
        var changes: [FieldChange] = []
        for path in Set(before.keys).union(after.keys).sorted() {
            let a = before[path]
            let b = after[path]
            if let a, let b, same(a, b) { continue }
            changes.append(FieldChange(path: path, from: a, to: b))
        }
        return changes
    }

    /// Every leaf of a record, in path order (`amount`, `lines[0].amount`):
    /// what a report or `show` lists of a record that is new.
    public func leaves(of value: Value) -> [(path: String, value: Value)] {
        var out: Fields = [:]
        flatten(value, path: "", into: &out)
        return out.map { ($0.key, $0.value) }.sorted { $0.path < $1.path }
    }

    private func flatten(_ value: Value, path: String, into out: inout Fields) {
        switch value {
        case .object(let fields) where !fields.isEmpty:
            for (k, v) in fields { flatten(v, path: path.isEmpty ? k : path + "." + k, into: &out) }
        case .array(let items) where !items.isEmpty:
            for (i, v) in items.enumerated() { flatten(v, path: "\(path)[\(i)]", into: &out) }
        default:
            out[path] = value
        }
    }

    /// Equal as the user means it: decimals numerically, everything else as
    /// its canonical JSON.
    private func same(_ a: Value, _ b: Value) -> Bool {
        if case .decimal(let nb) = b, case .string(let sa) = a, let na = ExactDecimal(sa) { return na == nb }
        if case .decimal(let na) = a, case .string(let sb) = b, let nb = ExactDecimal(sb) { return na == nb }
        return CanonicalJSON.string(a) == CanonicalJSON.string(b)
    }
}
