import BackfillCore

/// The run scratch (see `RunScratch`) as a TEMP table: it rolls back with
/// the store's transactions, and memory stays flat whatever the input size. Rows are keyed
/// by a small scope number (object type, source system, connection) and the
/// source id, and name their input by number: about 20 bytes a row instead of
/// the identity and file name spelled out in each, and consecutive source ids
/// land on the same pages. One insert per record finds a repeat and records
/// a first sighting at once.
final class SQLiteRunScratch: RunScratch {
    private let database: Database
    private var scopes = ScopeNumbers()

    init(database: Database) throws {
        self.database = database
        try database.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS run_seen (
                scope INTEGER NOT NULL, source_id TEXT NOT NULL, input INTEGER NOT NULL, line INTEGER,
                id TEXT, content_hash TEXT, payload TEXT,
                PRIMARY KEY (scope, source_id)
            ) WITHOUT ROWID;
            DELETE FROM temp.run_seen;
            """)
    }

    /// The scratch's own numbering, which a dry run needs as much as an
    /// applied one: the store's `scopes` may not have the scope yet.
    private func scope(_ identity: RecordIdentity) -> Int {
        let next = scopes.count + 1
        return scopes.number(for: identity) { next } ?? 0
    }

    /// Records `identity` as first seen in `input` at `line`, or, when it was
    /// seen before, changes nothing and returns that earlier sighting.
    func claim(_ identity: RecordIdentity, input: Int, line: Int?) throws -> RunScratchEntry? {
        let scope = scope(identity)
        try database.statement(
            """
            INSERT INTO temp.run_seen (scope, source_id, input, line) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
            """
        ).run([.int(scope), .text(identity.sourceID), .int(input), line.map(SQLValue.int) ?? .null])
        if database.changes == 1 { return nil }
        return try database.statement(
            """
            SELECT input, line, id, content_hash, payload FROM temp.run_seen WHERE scope = ? AND source_id = ?
            """
        ).firstRow([.int(scope), .text(identity.sourceID)]) { s in
            RunScratchEntry(input: s.int(0), line: s.isNull(1) ? nil : s.int(1), id: s.text(2), contentHash: s.text(3), payload: s.text(4))
        }
    }

    /// A record seen in an earlier input now belongs to this one: a repeat
    /// later in this input is a duplicate of this occurrence.
    func move(_ identity: RecordIdentity, to input: Int, line: Int?) throws {
        try database.statement("UPDATE temp.run_seen SET input = ?, line = ? WHERE scope = ? AND source_id = ?")
            .run([.int(input), line.map(SQLValue.int) ?? .null, .int(scope(identity)), .text(identity.sourceID)])
    }

    /// Dry runs: what would have been written for `identity`.
    func keep(_ change: RecordChange) throws {
        let s = try database.statement("UPDATE temp.run_seen SET id = ?, content_hash = ?, payload = ? WHERE scope = ? AND source_id = ?")
        try s.bind([.text(change.id), .text(change.contentHash)])
        try s.bindText(3, bytes: change.payload)
        try s.bind([.int(scope(change.identity)), .text(change.identity.sourceID)], at: 4)
        try s.step()
    }
}
