import BackfillCore

extension SQLiteStore {
    public func insertRun(mode: String, connector: String, connectionID: String?, inputs: [String], startedAt: String) throws -> Int {
        let inputsJSON = CanonicalJSON.string(.array(inputs.map(Value.string)))
        try database.statement(
            """
            INSERT INTO runs (mode, connector, connection_id, inputs, started_at, status)
            VALUES (?, ?, ?, ?, ?, 'running')
            """
        ).run([.text(mode), .text(connector), connectionID.map(SQLValue.text) ?? .null, .text(inputsJSON), .text(startedAt)])
        let id = database.lastInsertRowID
        noteRunStart(id, startedAt)
        return id
    }

    /// Marks every `running` run `interrupted`; call only holding the lock.
    func closeAbandonedRuns(now: String) throws -> [Int] {
        let found = try database.statement("SELECT id FROM runs WHERE status = 'running' ORDER BY id")
        var ids: [Int] = []
        while try found.step() { ids.append(found.int(0)) }
        guard !ids.isEmpty else { return [] }
        try database.statement("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'").run([.text(now)])
        return ids
    }

    public func updateRun(id: Int, counts: RunCounts, status: String, finishedAt: String?) throws {
        try database.statement(
            """
            UPDATE runs SET created = ?, updated = ?, unchanged = ?, failed = ?, removed = ?, status = ?, finished_at = ?
            WHERE id = ?
            """
        ).run([
            .int(counts.created), .int(counts.updated), .int(counts.unchanged), .int(counts.failed), .int(counts.removed),
            .text(status), finishedAt.map(SQLValue.text) ?? .null, .int(id),
        ])
    }

    /// Message and raw text are redacted: a server that quotes a request's
    /// headers back must not put the token into the store.
    public func insertReject(runID: Int, issue: RecordIssue, raw: String?, inputHeader: String?) throws {
        try database.statement(
            """
            INSERT INTO rejects (run_id, file, line, json_path, source_id, field, code, message, raw, input_header)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run([
            .int(runID), .text(issue.origin.file), issue.origin.line.map(SQLValue.int) ?? .null,
            issue.origin.jsonPath.map(SQLValue.text) ?? .null, issue.sourceID.map(SQLValue.text) ?? .null,
            issue.field.map(SQLValue.text) ?? .null, .text(issue.code.rawValue), .text(Secrets.redact(issue.message)),
            raw.map { .text(Secrets.redact($0)) } ?? .null, inputHeader.map { .text(Secrets.redact($0)) } ?? .null,
        ])
    }

    /// Every run, newest first.
    public func runs(limit: Int) throws -> [RunRecord] {
        let s = try database.statement(
            """
            SELECT id, mode, connector, connection_id, inputs, started_at, finished_at,
                   created, updated, unchanged, failed, status, removed FROM runs ORDER BY id DESC LIMIT ?
            """)
        try s.bind([.int(limit)])
        var rows: [RunRecord] = []
        while try s.step() {
            rows.append(
                RunRecord(
                    id: s.int(0), mode: s.text(1) ?? "", connector: s.text(2) ?? "",
                    connectionID: s.text(3), inputs: s.text(4) ?? "[]", startedAt: s.text(5) ?? "",
                    finishedAt: s.text(6),
                    counts: RunCounts(
                        created: s.int(7), updated: s.int(8), unchanged: s.int(9), failed: s.int(10),
                        removed: s.int(12)),
                    status: s.text(11) ?? ""))
        }
        return rows
    }

    // MARK: Sync cursors

    public func cursor(connection: String, stream: String) throws -> String? {
        try database.scalarText(
            "SELECT cursor FROM sync_cursors WHERE connection = ? AND stream = ?",
            [.text(connection), .text(stream)])
    }

    /// Moves a cursor. Call inside the transaction that writes the records it
    /// covers, so records and cursor commit together.
    public func setCursor(connection: String, stream: String, value: String, now: String) throws {
        try database.statement(
            """
            INSERT INTO sync_cursors (connection, stream, cursor, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (connection, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
            """
        ).run([.text(connection), .text(stream), .text(value), .text(now)])
    }
}
