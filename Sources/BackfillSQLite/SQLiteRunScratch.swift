import BackfillCore

/// The run scratch (see `RunScratch`) as TEMP tables: they roll back with
/// the store's transactions, and memory stays flat whatever the input size.
///
/// A record the store holds, or is about to, is claimed by its row: a bit in
/// memory (1.25 MB for ten million rows) says whether the run met it, and its
/// first input and line go to `run_rows`, keyed by row number and written 256
/// at a time. Neither a no-op re-import nor a first import then costs a
/// statement per record; only a repeat reads the table, for the line its
/// first sighting was on.
///
/// Everything else (dry runs, which create no rows, and what a later claim
/// must find by identity) goes to `run_seen`, keyed by a small scope number
/// (object type, source system, connection) and the source id: one insert
/// finds a repeat and records a first sighting at once. Its rows keep their
/// store row too, so the bits can be made again from the two tables after
/// a rollback.
final class SQLiteRunScratch: RunScratch {
    private let database: Database
    private var scopes = ScopeNumbers()
    private var claimed = RowBits()
    /// Sightings by row not yet in `run_rows`: sent in full statements, and
    /// always before a commit or a read of the table.
    private var unsent: [(row: Int, input: Int, line: Int?)] = []
    /// A `claimNew` whose row the store has not yet created (`created`).
    private var awaiting: (identity: RecordIdentity, input: Int, line: Int?)?

    /// Rows from this number on use `run_seen` alone: the bits stay within 16 MiB.
    private static let maximumBits = 1 << 27
    private static let rowsPerStatement = 256

    init(database: Database) throws {
        self.database = database
        try database.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS run_seen (
                scope INTEGER NOT NULL, source_id TEXT NOT NULL, input INTEGER NOT NULL, line INTEGER,
                id TEXT, content_hash TEXT, payload TEXT, row INTEGER,
                PRIMARY KEY (scope, source_id)
            ) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS run_rows (row INTEGER PRIMARY KEY, input INTEGER NOT NULL, line INTEGER);
            DELETE FROM temp.run_seen;
            DELETE FROM temp.run_rows;
            """)
    }

    /// The scratch's own numbering, which a dry run needs as much as an
    /// applied one: the store's `scopes` may not have the scope yet.
    private func scope(_ identity: RecordIdentity) -> Int {
        let next = scopes.count + 1
        return scopes.number(for: identity) { next } ?? 0
    }

    /// A row number the bits cover, or nil.
    private static func covered(_ row: Int?) -> Int? {
        guard let row, row >= 0, row < maximumBits else { return nil }
        return row
    }

    /// Records `identity` as first seen in `input` at `line`, or, when it was
    /// seen before, changes nothing and returns that earlier sighting.
    func claim(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> RunScratchEntry? {
        try settle()
        let scope = scope(identity)
        let row = Self.covered(row?.value)
        try database.statement(
            """
            INSERT INTO temp.run_seen (scope, source_id, input, line, row) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """
        ).run([.int(scope), .text(identity.sourceID), .int(input), line.map(SQLValue.int) ?? .null, row.map(SQLValue.int) ?? .null])
        if database.changes == 1 {
            guard let row else { return nil }
            guard claimed.contains(row), let first = try fastPathSighting(row) else {
                claimed.insert(row)
                return nil
            }
            // The fast path met it first: that sighting becomes the identity's.
            try move(identity, to: first.input, line: first.line)
            return first
        }
        return try database.statement(
            """
            SELECT input, line, id, content_hash, payload FROM temp.run_seen WHERE scope = ? AND source_id = ?
            """
        ).firstRow([.int(scope), .text(identity.sourceID)]) { s in
            RunScratchEntry(input: s.int(0), line: s.isNull(1) ? nil : s.int(1), id: s.text(2), contentHash: s.text(3), payload: s.text(4))
        }
    }

    func claimUnchanged(_ identity: RecordIdentity, row: RowToken?, input: Int, line: Int?) throws -> Bool {
        guard let row = Self.covered(row?.value) else { return try claim(identity, row: row, input: input, line: line) == nil }
        guard !claimed.contains(row) else { return false }
        try claimRow(row, input: input, line: line)
        return true
    }

    func claimNew(_ identity: RecordIdentity, input: Int, line: Int?) throws {
        try settle()
        awaiting = (identity, input, line)
    }

    /// The store made `row` for `identity`: the awaited claim becomes the
    /// row's. Any created row gets its bit, so the fast path never takes a
    /// record this run wrote.
    func created(row: Int, for identity: RecordIdentity) throws {
        guard let row = Self.covered(row) else { return try settle() }
        if let claim = awaiting, claim.identity == identity {
            awaiting = nil
            try claimRow(row, input: claim.input, line: claim.line)
            return
        }
        try settle()
        claimed.insert(row)
        try database.statement("UPDATE temp.run_seen SET row = ? WHERE scope = ? AND source_id = ?")
            .run([.int(row), .int(scope(identity)), .text(identity.sourceID)])
    }

    private func claimRow(_ row: Int, input: Int, line: Int?) throws {
        claimed.insert(row)
        unsent.append((row, input, line))
        if unsent.count == Self.rowsPerStatement { try send() }
    }

    /// An awaited claim with no row after all goes to `run_seen`.
    private func settle() throws {
        guard let claim = awaiting else { return }
        awaiting = nil
        _ = try self.claim(claim.identity, row: nil, input: claim.input, line: claim.line)
    }

    /// Where the fast path first met `row`, if it did.
    private func fastPathSighting(_ row: Int) throws -> RunScratchEntry? {
        try send()
        return try database.statement("SELECT input, line FROM temp.run_rows WHERE row = ?").firstRow([.int(row)]) { s in
            RunScratchEntry(input: s.int(0), line: s.isNull(1) ? nil : s.int(1), id: nil, contentHash: nil, payload: nil)
        }
    }

    /// Writes the unsent fast-path sightings: called before every commit, so
    /// they belong to the transaction that made them.
    func send() throws {
        try settle()
        var from = 0
        while from < unsent.count {
            let count = unsent.count - from >= Self.rowsPerStatement ? Self.rowsPerStatement : 1
            let s = try database.statement(sql: count == 1 ? Self.insertOneRow : Self.insertFullRows)
            var values: [SQLValue] = []
            values.reserveCapacity(count * 3)
            for (row, input, line) in unsent[from..<from + count] {
                values += [.int(row), .int(input), line.map(SQLValue.int) ?? .null]
            }
            try s.run(values)
            from += count
        }
        unsent.removeAll(keepingCapacity: true)
    }

    private static let insertFullRows = insertRows(rowsPerStatement)
    private static let insertOneRow = insertRows(1)

    private static func insertRows(_ count: Int) -> String {
        "INSERT INTO temp.run_rows (row, input, line) VALUES " + repeatElement("(?, ?, ?)", count: count).joined(separator: ", ")
    }

    /// After a rollback, the bits are made again from what the tables kept.
    /// If that fails, the bits set stay: a bit without a sighting only sends
    /// its record the slow way, which finds no sighting and claims it.
    func rolledBack() {
        unsent.removeAll(keepingCapacity: true)
        awaiting = nil
        guard
            let s = try? database.statement(
                "SELECT row FROM temp.run_rows UNION ALL SELECT row FROM temp.run_seen WHERE row IS NOT NULL")
        else { return }
        defer { s.reset() }
        var rebuilt = RowBits()
        do {
            while try s.step() { if let row = Self.covered(s.int(0)) { rebuilt.insert(row) } }
        } catch {
            return
        }
        claimed = rebuilt
    }

    /// A record seen in an earlier input now belongs to this one: a repeat
    /// later in this input is a duplicate of this occurrence.
    func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws {
        try settle()
        try database.statement("UPDATE temp.run_seen SET input = ?, line = ? WHERE scope = ? AND source_id = ?")
            .run([.int(input), line.map(SQLValue.int) ?? .null, .int(scope(identity)), .text(identity.sourceID)])
    }

    /// Dry runs: what would have been written for `identity`.
    func keep(_ change: RecordChange) throws {
        try settle()
        let s = try database.statement("UPDATE temp.run_seen SET id = ?, content_hash = ?, payload = ? WHERE scope = ? AND source_id = ?")
        try s.bind([.text(change.id), .text(change.contentHash)])
        try s.bindText(3, bytes: change.payload)
        try s.bind([.int(scope(change.identity)), .text(change.identity.sourceID)], at: 4)
        try s.step()
    }
}

/// One bit per store row, grown as rows are set.
struct RowBits {
    private var words: [UInt64] = []

    func contains(_ row: Int) -> Bool {
        let word = row >> 6
        return word < words.count && words[word] & (1 << UInt64(row & 63)) != 0
    }

    mutating func insert(_ row: Int) {
        let word = row >> 6
        if word >= words.count { words += repeatElement(0, count: Swift.max(word + 1 - words.count, words.count)) }
        words[word] |= 1 << UInt64(row & 63)
    }
}
