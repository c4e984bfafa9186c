import BackfillCore

/// The run scratch (`RunScratch`) of a PostgreSQL store: a TEMP table of the
/// store's session, so a run of any size keeps the client's memory flat (in
/// memory, a million identities took about 150 MB). Being a table of the
/// same session, it is part of each input's transaction: a rollback forgets
/// exactly what the rolled-back input added, with nothing to journal.
///
/// Nothing is asked one record at a time. The store's `prefetch` hands over
/// each batch's identities, and their earlier sightings come back with one
/// query; new sightings wait here and go in one `COPY` when enough have
/// gathered, and at the latest before the transaction commits.
final class SessionRunScratch: RunScratch {
    /// 16 bytes of SHA-256 of the identity's key.
    struct Key: Hashable, Comparable {
        let high: UInt64
        let low: UInt64

        init(_ identity: RecordIdentity) { self.init(bytes: SHA256.digest(Array(identity.key.utf8))) }

        init(bytes: [UInt8]) {
            var h: UInt64 = 0
            var l: UInt64 = 0
            for i in 0..<min(8, bytes.count) { h = h << 8 | UInt64(bytes[i]) }
            for i in 8..<min(16, bytes.count) { l = l << 8 | UInt64(bytes[i]) }
            high = h
            low = l
        }

        var bytes: [UInt8] { (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? high : low) >> UInt64(56 - 8 * ($0 % 8))) } }

        static func < (a: Key, b: Key) -> Bool { (a.high, a.low) < (b.high, b.low) }
    }

    private struct Sighting {
        var input: Int32
        var line: Int32?
        var kept: Kept?

        init(input: Int, line: Int?, kept: Kept? = nil) {
            self.input = Int32(clamping: input)
            self.line = line.map { Int32(clamping: $0) }
            self.kept = kept
        }

        var entry: RunScratchEntry {
            RunScratchEntry(
                input: Int(input), line: line.map(Int.init), id: kept?.id, contentHash: kept?.contentHash, payload: kept?.payload)
        }
    }

    /// What a dry run would have written.
    private final class Kept {
        let id: String?
        let contentHash: String?
        let payload: String?

        init(id: String?, contentHash: String?, payload: String?) {
            self.id = id
            self.contentHash = contentHash
            self.payload = payload
        }
    }

    static let table = """
        CREATE TEMP TABLE IF NOT EXISTS backfill_seen (
            key bytea PRIMARY KEY, input integer NOT NULL, line integer, id text, content_hash text, payload text
        )
        """
    /// Unsent sightings go when there are this many (about 8 MB), or this
    /// many bytes of kept payloads: a run of fewer records never writes the
    /// table, and a big one writes it in long runs of sorted keys, which
    /// made the `COPY` into its index twice as fast as 5,000 keys at a time.
    static let batchRows = 1 << 16
    static let batchBytes = 8 << 20
    private let batchRows: Int

    private let connection: Connection
    /// What the table held for the batch in hand (nil: never seen), as read by `load`.
    private var loaded: [Key: Sighting?] = [:]
    /// Sightings set since the last `send`: new ones, and changes to loaded ones.
    private var unsent: [Key: (sighting: Sighting, isNew: Bool)] = [:]
    private var unsentBytes = 0
    private var analyze = AnalyzeSchedule()
    /// Keys written to the table, rolled back or not: only these are asked for.
    private var sent = SentKeys()

    /// Starts each run with an empty table.
    init(connection: Connection, batchRows: Int = SessionRunScratch.batchRows) throws {
        self.connection = connection
        self.batchRows = batchRows
        try connection.execute(Self.table)
        try connection.execute("TRUNCATE pg_temp.backfill_seen")
    }

    /// Reads the earlier sightings of a batch's identities.
    func load(_ identities: [RecordIdentity]) throws {
        loaded.removeAll(keepingCapacity: true)
        var wanted: [Key] = []
        for identity in identities {
            let key = Key(identity)
            guard unsent[key] == nil, loaded.updateValue(.none, forKey: key) == nil, sent.mayContain(key) else { continue }
            wanted.append(key)
        }
        guard !wanted.isEmpty else { return }
        let rows = try connection.query(
            """
            SELECT s.key, s.input, s.line, s.id, s.content_hash, s.payload FROM unnest($1::bytea[]) AS k(key)
            CROSS JOIN LATERAL (SELECT * FROM pg_temp.backfill_seen WHERE key = k.key) s
            """,
            [ArrayLiteral.texts(wanted.map { CopyText.byteaParameter($0.bytes) })])
        for i in 0..<rows.count {
            loaded[Key(bytes: rows.bytes(i, 0) ?? [])] = Self.sighting(rows, i, from: 1)
        }
    }

    /// The sighting of `key`: unsent, loaded for this batch, or (for an
    /// identity no `load` covered) read on its own.
    private func sighting(_ key: Key) throws -> Sighting? {
        if let pending = unsent[key] { return pending.sighting }
        if let answer = loaded[key] { return answer }
        guard sent.mayContain(key) else { return nil }
        let rows = try connection.query(
            "SELECT input, line, id, content_hash, payload FROM pg_temp.backfill_seen WHERE key = $1",
            [CopyText.byteaParameter(key.bytes)])
        let found = rows.count > 0 ? Self.sighting(rows, 0, from: 0) : nil
        loaded[key] = .some(found)
        return found
    }

    private static func sighting(_ rows: Rows, _ i: Int, from c: Int) -> Sighting {
        let kept =
            rows.isNull(i, c + 2) ? nil : Kept(id: rows.text(i, c + 2), contentHash: rows.text(i, c + 3), payload: rows.text(i, c + 4))
        return Sighting(input: rows.int(i, c) ?? 0, line: rows.int(i, c + 1), kept: kept)
    }

    func claim(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> RunScratchEntry? {
        let key = Key(identity)
        if let earlier = try sighting(key) { return earlier.entry }
        try set(key, Sighting(input: input, line: line))
        return nil
    }

    func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws {
        let key = Key(identity)
        try set(key, Sighting(input: input, line: line, kept: try sighting(key)?.kept))
    }

    func keep(_ change: RecordChange) throws {
        let key = Key(change.identity)
        var sighting = try sighting(key) ?? Sighting(input: 0, line: nil)
        sighting.kept = Kept(id: change.id, contentHash: change.contentHash, payload: String(decoding: change.payload, as: UTF8.self))
        unsentBytes += change.payload.count
        try set(key, sighting)
    }

    private func set(_ key: Key, _ sighting: Sighting) throws {
        let stored: Sighting? = loaded[key] ?? nil
        let isNew = unsent[key]?.isNew ?? (stored == nil)
        unsent[key] = (sighting, isNew)
        if unsent.count >= batchRows || unsentBytes >= Self.batchBytes { try send() }
    }

    /// Writes the unsent sightings: new ones with one `COPY`, changed ones
    /// (a record met again in a later input) one `UPDATE` each.
    func send() throws {
        guard !unsent.isEmpty else { return }
        var copy = CopyText()
        for (key, pending) in unsent.sorted(by: { $0.key < $1.key }) {
            let s = pending.sighting
            if pending.isNew {
                sent.insert(key)
                copy.field(bytea: key.bytes)
                copy.field(Int(s.input))
                copy.field(s.line.map(Int.init))
                copy.field(s.kept?.id)
                copy.field(s.kept?.contentHash)
                copy.field(s.kept?.payload)
                copy.endRow()
            } else {
                try connection.query(
                    "UPDATE pg_temp.backfill_seen SET input = $2, line = $3, id = $4, content_hash = $5, payload = $6 WHERE key = $1",
                    [
                        CopyText.byteaParameter(key.bytes), String(s.input), s.line.map { String($0) }, s.kept?.id, s.kept?.contentHash,
                        s.kept?.payload,
                    ])
            }
            // The batch in hand now finds it in the table; older keys are
            // not added, so `loaded` stays the size of one batch.
            if loaded[key] != nil { loaded[key] = .some(s) }
        }
        if !copy.isEmpty {
            try connection.copy("COPY pg_temp.backfill_seen (key, input, line, id, content_hash, payload) FROM STDIN", data: copy.bytes)
            if analyze.add(copy.rows) { try connection.execute("ANALYZE pg_temp.backfill_seen") }
        }
        unsent.removeAll(keepingCapacity: true)
        unsentBytes = 0
    }

    /// The store rolled back, and the table with it: forget what was not sent.
    func rolledBack() {
        unsent.removeAll(keepingCapacity: true)
        unsentBytes = 0
        loaded.removeAll(keepingCapacity: true)
    }
}
