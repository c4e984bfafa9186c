import BackfillCore

/// The run scratch (`RunScratch`) of a PostgreSQL store, in this process's
/// memory: a TEMP table would cost a round trip per record. Keyed by 16
/// bytes of SHA-256 of the identity, about 60 bytes an identity (60 MB for
/// a run of a million records); a dry run also keeps what it would have
/// written. Changes since the store's last commit are journaled, so a
/// rollback forgets exactly what the rolled-back input added.
final class MemoryRunScratch: RunScratch {
    private struct Key: Hashable {
        let high: UInt64
        let low: UInt64

        init(_ identity: RecordIdentity) {
            let digest = SHA256.digest(Array(identity.key.utf8))
            var h: UInt64 = 0
            var l: UInt64 = 0
            for i in 0..<8 {
                h = h << 8 | UInt64(digest[i])
                l = l << 8 | UInt64(digest[8 + i])
            }
            high = h
            low = l
        }
    }

    /// What a dry run would have written.
    private final class Kept {
        let id: String
        let contentHash: String
        let payload: String

        init(id: String, contentHash: String, payload: String) {
            self.id = id
            self.contentHash = contentHash
            self.payload = payload
        }
    }

    private struct Sighting {
        var input: Int32
        var line: Int32?
        var kept: Kept?
    }

    private var seen: [Key: Sighting] = [:]
    /// Each key's value before its first change since the last commit.
    private var journal: [(Key, Sighting?)] = []

    func claim(_ identity: RecordIdentity, input: Int, line: Int?) throws -> RunScratchEntry? {
        let key = Key(identity)
        if let earlier = seen[key] {
            return RunScratchEntry(
                input: Int(earlier.input), line: earlier.line.map(Int.init), id: earlier.kept?.id, contentHash: earlier.kept?.contentHash,
                payload: earlier.kept?.payload)
        }
        set(key, Sighting(input: Int32(clamping: input), line: line.map { Int32(clamping: $0) }))
        return nil
    }

    func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws {
        let key = Key(identity)
        var sighting = seen[key] ?? Sighting(input: 0)
        sighting.input = Int32(clamping: input)
        sighting.line = line.map { Int32(clamping: $0) }
        set(key, sighting)
    }

    func keep(_ change: RecordChange) throws {
        let key = Key(change.identity)
        var sighting = seen[key] ?? Sighting(input: 0)
        sighting.kept = Kept(id: change.id, contentHash: change.contentHash, payload: String(decoding: change.payload, as: UTF8.self))
        set(key, sighting)
    }

    private func set(_ key: Key, _ sighting: Sighting) {
        journal.append((key, seen[key]))
        seen[key] = sighting
    }

    /// The store committed: what is in the scratch now stays.
    func committed() { journal.removeAll(keepingCapacity: true) }

    /// The store rolled back: undo every change since the last commit.
    func rolledBack() {
        for (key, before) in journal.reversed() { seen[key] = before }
        journal.removeAll(keepingCapacity: true)
    }
}
