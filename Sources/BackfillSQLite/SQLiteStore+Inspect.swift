import BackfillCore

/// What the store knows, read back for people: the rejects of a run, the
/// versions of one record, the sync cursors. The commands `rejects`,
/// `history`, `show` and `cursors` print these; none of them writes.

extension SQLiteStore {
    /// The rejects of run `runID`, in the order they were found; with no
    /// run, those of the newest run that has any.
    public func rejects(runID: Int?) throws -> (runID: Int?, rejects: [StoredReject]) {
        guard let run = try runID ?? database.scalarInt("SELECT max(run_id) FROM rejects") else { return (nil, []) }
        let s = try database.statement(
            """
            SELECT file, line, json_path, source_id, field, code, message, raw, input_header
            FROM rejects WHERE run_id = ? ORDER BY id
            """)
        try s.bind([.int(run)])
        var out: [StoredReject] = []
        while try s.step() {
            let origin = Origin(file: s.text(0) ?? "", line: s.isNull(1) ? nil : s.int(1), jsonPath: s.text(2))
            let code = IssueCode(rawValue: s.text(5) ?? "") ?? .invalidValue
            let issue = RecordIssue(origin: origin, sourceID: s.text(3), field: s.text(4), code: code, message: s.text(6) ?? "")
            out.append(StoredReject(runID: run, issue: issue, raw: s.text(7), inputHeader: s.text(8)))
        }
        return (run, out)
    }

    /// Whether run `id` exists.
    public func hasRun(_ id: Int) throws -> Bool {
        try database.scalarInt("SELECT count(*) FROM runs WHERE id = ?", [.int(id)]) == 1
    }

    /// Records of `objectType` with `sourceID`, optionally narrowed by
    /// connection and source system: one source id can exist under several.
    public func histories(objectType: String, sourceID: String, connectionID: String?, sourceSystem: String?) throws -> [RecordHistory] {
        let s = try database.statement(
            """
            SELECT id, source_system, connection_id, created_at, updated_at, version, updated_run, origin, payload, removed_at
            FROM records WHERE object_type = ?1 AND source_id = ?2 AND (?3 IS NULL OR connection_id = ?3)
              AND (?4 IS NULL OR source_system = ?4)
            ORDER BY source_system, connection_id
            """)
        try s.bind([.text(objectType), .text(sourceID), connectionID.map(SQLValue.text) ?? .null, sourceSystem.map(SQLValue.text) ?? .null])
        var found: [(id: String, identity: RecordIdentity, created: String, updated: String, current: RecordVersion)] = []
        while try s.step() {
            let identity = RecordIdentity(objectType: objectType, sourceSystem: s.text(1)!, connectionID: s.text(2)!, sourceID: sourceID)
            let current = RecordVersion(
                version: s.int(5), writtenAt: s.text(4)!, runID: s.int(6), origin: s.text(7),
                payload: s.text(8)!, removedAt: s.text(9))
            found.append((s.text(0)!, identity, s.text(3)!, s.text(4)!, current))
        }
        let older = try database.statement(
            """
            SELECT version, valid_from, written_run, origin, payload, removed_at FROM record_versions
            WHERE record_id = ? ORDER BY version
            """)
        return try found.map { record in
            try older.bind([.text(record.id)])
            var versions: [RecordVersion] = []
            while try older.step() {
                versions.append(
                    RecordVersion(
                        version: older.int(0), writtenAt: older.text(1)!, runID: older.int(2),
                        origin: older.text(3), payload: older.text(4)!, removedAt: older.text(5)))
            }
            return RecordHistory(
                id: record.id, identity: record.identity, createdAt: record.created, updatedAt: record.updated,
                versions: versions + [record.current])
        }
    }

    /// Every sync cursor, by connection and stream.
    public func cursors() throws -> [CursorRow] {
        let s = try database.statement("SELECT connection, stream, cursor, updated_at FROM sync_cursors ORDER BY connection, stream")
        var out: [CursorRow] = []
        while try s.step() {
            out.append(CursorRow(connection: s.text(0) ?? "", stream: s.text(1) ?? "", cursor: s.text(2) ?? "", updatedAt: s.text(3) ?? ""))
        }
        return out
    }
}
