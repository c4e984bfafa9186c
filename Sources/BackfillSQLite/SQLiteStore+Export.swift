import BackfillCore

extension SQLiteStore {
    /// Every record of `objectType`, in a stable order (source system,
    /// connection, source id), optionally filtered. Streams: one row at a time.
    /// Removed records (tombstones) only with `includeRemoved`.
    public func exportRecords(
        objectType: String, connectionID: String?, sourceSystem: String?,
        includeRemoved: Bool, _ body: (ExportedRecord) throws -> Void
    ) throws {
        let s = try database.statement(
            """
            SELECT id, source_system, connection_id, source_id, created_at, updated_at, payload, removed_at FROM records
            WHERE object_type = ?1 AND (?2 IS NULL OR connection_id = ?2) AND (?3 IS NULL OR source_system = ?3)
              AND (?4 OR removed_at IS NULL)
            ORDER BY source_system, connection_id, source_id
            """)
        try s.bind([
            .text(objectType), connectionID.map(SQLValue.text) ?? .null, sourceSystem.map(SQLValue.text) ?? .null,
            .int(includeRemoved ? 1 : 0),
        ])
        while try s.step() {
            let identity = RecordIdentity(objectType: objectType, sourceSystem: s.text(1)!, connectionID: s.text(2)!, sourceID: s.text(3)!)
            try body(
                ExportedRecord(
                    id: s.text(0)!, identity: identity, createdAt: s.text(4)!, updatedAt: s.text(5)!, payload: s.text(6)!,
                    removedAt: s.text(7)))
        }
    }
}
