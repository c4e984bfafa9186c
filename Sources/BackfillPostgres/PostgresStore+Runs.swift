import BackfillCore

extension PostgresStore {
    public func insertRun(mode: String, connector: String, connectionID: String?, inputs: [String], startedAt: String) throws -> Int {
        let inputsJSON = CanonicalJSON.string(.array(inputs.map(Value.string)))
        let id = try connection.scalar(
            """
            INSERT INTO runs (mode, connector, connection_id, inputs, started_at, status)
            VALUES ($1, $2, $3, $4, $5, 'running') RETURNING id
            """, [mode, connector, connectionID, inputsJSON, startedAt])
        return id.flatMap { Int($0) } ?? 0
    }

    /// Marks `running` runs on `connections` `interrupted`; call only holding
    /// their locks. Runs on other connections belong to other workers.
    func closeAbandonedRuns(connections: [String], now: String) throws -> [Int] {
        let rows = try connection.query(
            """
            UPDATE runs SET status = 'interrupted', finished_at = $1
            WHERE status = 'running' AND coalesce(connection_id, '') = ANY ($2::text[]) RETURNING id
            """, [now, ArrayLiteral.texts(connections)])
        return (0..<rows.count).compactMap { rows.int($0, 0) }.sorted()
    }

    public func updateRun(id: Int, counts: RunCounts, status: String, finishedAt: String?) throws {
        try connection.query(
            """
            UPDATE runs SET created = $1, updated = $2, unchanged = $3, failed = $4, removed = $5, status = $6, finished_at = $7
            WHERE id = $8
            """,
            [
                String(counts.created), String(counts.updated), String(counts.unchanged), String(counts.failed),
                String(counts.removed), status, finishedAt, String(id),
            ])
    }

    /// Message, raw text and header are redacted (`RecordStore.insertReject`).
    public func insertReject(runID: Int, issue: RecordIssue, raw: String?, inputHeader: String?) throws {
        try connection.query(
            """
            INSERT INTO rejects (run_id, file, line, json_path, source_id, field, code, message, raw, input_header)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            [
                String(runID), issue.origin.file, issue.origin.line.map(String.init), issue.origin.jsonPath, issue.sourceID,
                issue.field, issue.code.rawValue, Secrets.redact(issue.message), raw.map(Secrets.redact),
                inputHeader.map(Secrets.redact),
            ].map(PostgresText.storable))
    }

    public func runs(limit: Int) throws -> [RunRecord] {
        let rows = try connection.query(
            """
            SELECT id, mode, connector, connection_id, inputs, started_at, finished_at,
                   created, updated, unchanged, failed, status, removed FROM runs ORDER BY id DESC LIMIT $1
            """, [String(limit)])
        return (0..<rows.count).map { i in
            RunRecord(
                id: rows.int(i, 0) ?? 0, mode: rows.text(i, 1) ?? "", connector: rows.text(i, 2) ?? "", connectionID: rows.text(i, 3),
                inputs: rows.text(i, 4) ?? "[]", startedAt: rows.text(i, 5) ?? "", finishedAt: rows.text(i, 6),
                counts: RunCounts(
                    created: rows.int(i, 7) ?? 0, updated: rows.int(i, 8) ?? 0, unchanged: rows.int(i, 9) ?? 0,
                    failed: rows.int(i, 10) ?? 0, removed: rows.int(i, 12) ?? 0),
                status: rows.text(i, 11) ?? "")
        }
    }

    public func hasRun(_ id: Int) throws -> Bool {
        try connection.scalar("SELECT count(*) FROM runs WHERE id = $1", [String(id)]) == "1"
    }

    // MARK: Sync cursors

    public func cursor(connection id: String, stream: String) throws -> String? {
        try connection.scalar("SELECT cursor FROM sync_cursors WHERE connection = $1 AND stream = $2", [id, stream])
    }

    /// Inside the transaction that writes the records it covers.
    public func setCursor(connection id: String, stream: String, value: String, now: String) throws {
        try connection.query(
            """
            INSERT INTO sync_cursors (connection, stream, cursor, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (connection, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
            """, [id, stream, value, now])
    }

    public func cursors() throws -> [CursorRow] {
        let rows = try connection.query(
            "SELECT connection, stream, cursor, updated_at FROM sync_cursors ORDER BY connection COLLATE \"C\", stream COLLATE \"C\"")
        return (0..<rows.count).map { i in
            CursorRow(
                connection: rows.text(i, 0) ?? "", stream: rows.text(i, 1) ?? "", cursor: rows.text(i, 2) ?? "",
                updatedAt: rows.text(i, 3) ?? "")
        }
    }
}

/// PostgreSQL `text` holds no NUL character. A reject keeps the input as
/// read, which may hold one (a binary file given as CSV): it is stored as
/// U+FFFD rather than failing the insert, which would lose the whole input.
enum PostgresText {
    static func storable(_ text: String?) -> String? {
        guard let text, text.utf8.contains(0) else { return text }
        return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }
}
