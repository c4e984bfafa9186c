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
    /// Payloads are expanded to the canonical record (`StoredForm`).
    public func histories(objectType: String, sourceID: String, connectionID: String?, sourceSystem: String?) throws -> [RecordHistory] {
        let s = try database.statement(
            sql: """
                SELECT r.row, r.id, s.source_system, s.connection_id, coalesce(r.created_at, cr.started_at),
                       coalesce(r.updated_at, ur.started_at), r.version, r.updated_run, \(Schema.origin("r")), r.payload,
                       coalesce(r.removed_at, rr.started_at), r.currency
                FROM record_rows r JOIN scopes s ON s.id = r.scope JOIN runs cr ON cr.id = r.created_run
                JOIN runs ur ON ur.id = r.updated_run LEFT JOIN runs rr ON rr.id = r.removed_run LEFT JOIN inputs i ON i.id = r.input
                WHERE s.object_type = ?1 AND r.source_id = ?2 AND (?3 IS NULL OR s.connection_id = ?3)
                  AND (?4 IS NULL OR s.source_system = ?4)
                ORDER BY s.source_system, s.connection_id
                """)
        try s.bind([.text(objectType), .text(sourceID), connectionID.map(SQLValue.text) ?? .null, sourceSystem.map(SQLValue.text) ?? .null])
        let contract = catalog.contract(for: objectType)
        var found: [(row: Int, id: String, identity: RecordIdentity, created: String, updated: String, current: RecordVersion)] = []
        while try s.step() {
            let identity = RecordIdentity(objectType: objectType, sourceSystem: s.text(2)!, connectionID: s.text(3)!, sourceID: sourceID)
            let current = RecordVersion(
                version: s.int(6), writtenAt: s.text(5)!, runID: s.int(7), origin: s.text(8),
                payload: StoredForm.expandedText(s.text(9)!, identity: identity, currency: s.text(11), contract: contract),
                removedAt: s.text(10))
            found.append((s.int(0), BinaryColumns.idText(s, 1), identity, s.text(4)!, s.text(5)!, current))
        }
        let older = try database.statement(
            sql: """
                SELECT v.version, coalesce(v.valid_from, wr.started_at), v.written_run, \(Schema.origin("v")), v.payload,
                       coalesce(v.removed_at, vr.started_at), v.currency
                FROM version_rows v JOIN runs wr ON wr.id = v.written_run LEFT JOIN runs vr ON vr.id = v.removed_run
                LEFT JOIN inputs i ON i.id = v.input
                WHERE v.record_row = ? ORDER BY v.version
                """)
        return try found.map { record in
            try older.bind([.int(record.row)])
            var versions: [RecordVersion] = []
            while try older.step() {
                versions.append(
                    RecordVersion(
                        version: older.int(0), writtenAt: older.text(1)!, runID: older.int(2), origin: older.text(3),
                        payload: StoredForm.expandedText(
                            older.text(4)!, identity: record.identity, currency: older.text(6), contract: contract),
                        removedAt: older.text(5)))
            }
            older.reset()
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
