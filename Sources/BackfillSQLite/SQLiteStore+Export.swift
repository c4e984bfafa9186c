import BackfillCore

extension SQLiteStore {
    /// Every record of `objectType`, in a stable order (source system,
    /// connection, source id), optionally filtered. Streams: one row at a
    /// time, scope by scope, each in the order of the identity index.
    /// Removed records (tombstones) only with `includeRemoved`. Payloads are
    /// expanded to the canonical record (`StoredForm`).
    public func exportRecords(
        objectType: String, connectionID: String?, sourceSystem: String?,
        includeRemoved: Bool, _ body: (ExportedRecord) throws -> Void
    ) throws {
        let scopes = try database.statement(
            """
            SELECT id, source_system, connection_id FROM scopes
            WHERE object_type = ?1 AND (?2 IS NULL OR connection_id = ?2) AND (?3 IS NULL OR source_system = ?3)
            ORDER BY source_system, connection_id
            """)
        try scopes.bind([.text(objectType), connectionID.map(SQLValue.text) ?? .null, sourceSystem.map(SQLValue.text) ?? .null])
        var found: [(number: Int, sourceSystem: String, connectionID: String)] = []
        while try scopes.step() { found.append((scopes.int(0), scopes.text(1) ?? "", scopes.text(2) ?? "")) }
        let contract = catalog.contract(for: objectType)
        let s = try database.statement(
            """
            SELECT r.id, r.source_id, coalesce(r.created_at, cr.started_at), coalesce(r.updated_at, ur.started_at), r.payload,
                   r.currency, coalesce(r.removed_at, rr.started_at)
            FROM record_rows r JOIN runs cr ON cr.id = r.created_run JOIN runs ur ON ur.id = r.updated_run
            LEFT JOIN runs rr ON rr.id = r.removed_run
            WHERE r.scope = ?1 AND (?2 OR (r.removed_run IS NULL AND r.removed_at IS NULL))
            ORDER BY r.source_id
            """)
        for scope in found {
            try s.bind([.int(scope.number), .int(includeRemoved ? 1 : 0)])
            while try s.step() {
                let identity = RecordIdentity(
                    objectType: objectType, sourceSystem: scope.sourceSystem, connectionID: scope.connectionID, sourceID: s.text(1)!)
                let payload = StoredForm.expandedText(s.text(4)!, identity: identity, currency: s.text(5), contract: contract)
                try body(
                    ExportedRecord(
                        id: BinaryColumns.idText(s, 0), identity: identity, createdAt: s.text(2)!, updatedAt: s.text(3)!,
                        payload: payload, removedAt: s.text(6)))
            }
            s.reset()
        }
    }
}
