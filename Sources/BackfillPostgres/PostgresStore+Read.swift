import BackfillCore

/// What the store knows, read back: exports, histories, rejects. Text is
/// ordered with `COLLATE "C"` (by bytes), as SQLite orders it, so an export
/// is byte-identical whichever store it comes from and whatever collation
/// the database was created with.
extension PostgresStore {
    public func exportRecords(
        objectType: String, connectionID: String?, sourceSystem: String?,
        includeRemoved: Bool, _ body: (ExportedRecord) throws -> Void
    ) throws {
        let contract = catalog.contract(for: objectType)
        try connection.stream(
            """
            SELECT r.id, s.source_system, s.connection_id, r.source_id, r.created_at, r.updated_at, r.payload, r.currency,
                   r.removed_at
            FROM record_rows r JOIN scopes s ON s.id = r.scope
            WHERE s.object_type = $1 AND ($2::text IS NULL OR s.connection_id = $2) AND ($3::text IS NULL OR s.source_system = $3)
              AND ($4::boolean OR r.removed_run IS NULL)
            ORDER BY s.source_system COLLATE "C", s.connection_id COLLATE "C", r.source_id COLLATE "C"
            """, [objectType, connectionID, sourceSystem, includeRemoved ? "true" : "false"]
        ) { rows in
            let identity = RecordIdentity(
                objectType: objectType, sourceSystem: rows.text(0, 1) ?? "", connectionID: rows.text(0, 2) ?? "",
                sourceID: rows.text(0, 3) ?? "")
            let payload = StoredForm.expandedText(rows.text(0, 6) ?? "", identity: identity, currency: rows.text(0, 7), contract: contract)
            try body(
                ExportedRecord(
                    id: rows.text(0, 0) ?? "", identity: identity, createdAt: rows.text(0, 4) ?? "", updatedAt: rows.text(0, 5) ?? "",
                    payload: payload, removedAt: rows.text(0, 8)))
        }
    }

    public func histories(objectType: String, sourceID: String, connectionID: String?, sourceSystem: String?) throws -> [RecordHistory] {
        let contract = catalog.contract(for: objectType)
        let records = try connection.query(
            """
            SELECT r.row, r.id, s.source_system, s.connection_id, r.created_at, r.updated_at, r.version, r.updated_run,
                   i.name, r.line, r.json_path, r.payload, r.removed_at, r.currency
            FROM record_rows r JOIN scopes s ON s.id = r.scope LEFT JOIN inputs i ON i.id = r.input
            WHERE s.object_type = $1 AND r.source_id = $2 AND ($3::text IS NULL OR s.connection_id = $3)
              AND ($4::text IS NULL OR s.source_system = $4)
            ORDER BY s.source_system COLLATE "C", s.connection_id COLLATE "C"
            """, [objectType, sourceID, connectionID, sourceSystem])
        return try (0..<records.count).map { i in
            let identity = RecordIdentity(
                objectType: objectType, sourceSystem: records.text(i, 2) ?? "", connectionID: records.text(i, 3) ?? "", sourceID: sourceID)
            let older = try connection.query(
                """
                SELECT v.version, v.valid_from, v.written_run, i.name, v.line, v.json_path, v.payload, v.removed_at, v.currency
                FROM version_rows v LEFT JOIN inputs i ON i.id = v.input WHERE v.record_row = $1 ORDER BY v.version
                """, [records.text(i, 0)])
            var versions = (0..<older.count).map { j in
                RecordVersion(
                    version: older.int(j, 0) ?? 0, writtenAt: older.text(j, 1) ?? "", runID: older.int(j, 2) ?? 0,
                    origin: Self.origin(older, j, file: 3),
                    payload: StoredForm.expandedText(
                        older.text(j, 6) ?? "", identity: identity, currency: older.text(j, 8), contract: contract),
                    removedAt: older.text(j, 7))
            }
            versions.append(
                RecordVersion(
                    version: records.int(i, 6) ?? 0, writtenAt: records.text(i, 5) ?? "", runID: records.int(i, 7) ?? 0,
                    origin: Self.origin(records, i, file: 8),
                    payload: StoredForm.expandedText(
                        records.text(i, 11) ?? "", identity: identity, currency: records.text(i, 13), contract: contract),
                    removedAt: records.text(i, 12)))
            return RecordHistory(
                id: records.text(i, 1) ?? "", identity: identity, createdAt: records.text(i, 4) ?? "",
                updatedAt: records.text(i, 5) ?? "", versions: versions)
        }
    }

    /// `file:line` and the like, from the input name, line and JSON path
    /// columns that follow `file`.
    private static func origin(_ rows: Rows, _ i: Int, file: Int) -> String? {
        guard let name = rows.text(i, file) else { return nil }
        return Origin(file: name, line: rows.int(i, file + 1), jsonPath: rows.text(i, file + 2)).description
    }

    public func rejects(runID: Int?) throws -> (runID: Int?, rejects: [StoredReject]) {
        guard let run = try runID ?? connection.scalar("SELECT max(run_id) FROM rejects").flatMap({ Int($0) }) else { return (nil, []) }
        let rows = try connection.query(
            """
            SELECT file, line, json_path, source_id, field, code, message, raw, input_header
            FROM rejects WHERE run_id = $1 ORDER BY id
            """, [String(run)])
        let found = (0..<rows.count).map { i in
            let origin = Origin(file: rows.text(i, 0) ?? "", line: rows.int(i, 1), jsonPath: rows.text(i, 2))
            let code = IssueCode(rawValue: rows.text(i, 5) ?? "") ?? .invalidValue
            let issue = RecordIssue(
                origin: origin, sourceID: rows.text(i, 3), field: rows.text(i, 4), code: code, message: rows.text(i, 6) ?? "")
            return StoredReject(runID: run, issue: issue, raw: rows.text(i, 7), inputHeader: rows.text(i, 8))
        }
        return (run, found)
    }
}
