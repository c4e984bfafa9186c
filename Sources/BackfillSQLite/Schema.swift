import BackfillCore
import Foundation

/// The store's schema as an ordered list of migrations. `PRAGMA user_version`
/// records how many have run (https://sqlite.org/pragma.html#pragma_user_version);
/// a migration is never edited once released, only followed by another.
enum Schema {
    static let migrations: [String] = [
        // 1: records with their history, runs, rejects, sync cursors.
        """
        CREATE TABLE runs (
            id            INTEGER PRIMARY KEY,
            mode          TEXT NOT NULL,               -- apply | strict
            connector     TEXT NOT NULL,               -- csv_upload, layer, backfill_api
            connection_id TEXT,
            inputs        TEXT NOT NULL,               -- JSON array of files or streams
            started_at    TEXT NOT NULL,
            finished_at   TEXT,
            created       INTEGER NOT NULL DEFAULT 0,
            updated       INTEGER NOT NULL DEFAULT 0,
            unchanged     INTEGER NOT NULL DEFAULT 0,
            failed        INTEGER NOT NULL DEFAULT 0,
            status        TEXT NOT NULL                -- running | succeeded | partial | rejected | failed
        );
        CREATE TABLE records (
            id            TEXT PRIMARY KEY,            -- canonical id: assigned once, never changed
            object_type   TEXT NOT NULL,
            source_system TEXT NOT NULL,
            connection_id TEXT NOT NULL DEFAULT '',    -- '' = no connection (UNIQUE treats NULLs as distinct)
            source_id     TEXT NOT NULL,
            version       INTEGER NOT NULL,
            content_hash  TEXT NOT NULL,               -- SHA-256 of the canonical payload
            payload       TEXT NOT NULL,               -- canonical JSON, sorted keys, decimals as strings
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            created_run   INTEGER NOT NULL REFERENCES runs(id),
            updated_run   INTEGER NOT NULL REFERENCES runs(id),
            origin        TEXT,                        -- file:line the current version came from
            UNIQUE (object_type, source_system, connection_id, source_id)
        );
        CREATE TABLE record_versions (
            record_id     TEXT NOT NULL REFERENCES records(id),
            version       INTEGER NOT NULL,
            content_hash  TEXT NOT NULL,
            payload       TEXT NOT NULL,
            valid_from    TEXT NOT NULL,               -- when this version was written
            written_run   INTEGER NOT NULL REFERENCES runs(id),
            replaced_at   TEXT NOT NULL,
            replaced_run  INTEGER NOT NULL REFERENCES runs(id),  -- the run that changed it
            origin        TEXT,
            PRIMARY KEY (record_id, version)
        ) WITHOUT ROWID;
        CREATE TABLE rejects (
            id            INTEGER PRIMARY KEY,
            run_id        INTEGER NOT NULL REFERENCES runs(id),
            file          TEXT,
            line          INTEGER,
            json_path     TEXT,
            source_id     TEXT,
            field         TEXT,
            code          TEXT NOT NULL,
            message       TEXT NOT NULL,
            raw           TEXT                         -- the input row exactly as read
        );
        CREATE INDEX rejects_run ON rejects(run_id);
        CREATE TABLE sync_cursors (
            connection    TEXT NOT NULL,
            stream        TEXT NOT NULL,
            cursor        TEXT NOT NULL,               -- JSON: what a resumed run needs
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (connection, stream)
        ) WITHOUT ROWID;
        CREATE TABLE store_meta (
            key           TEXT PRIMARY KEY,
            value         TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 2: tombstones and ownership. A record can be marked removed (a new
        // version, never a physical delete), and child records (a bill's
        // payments) name their parent so a provider's "this is the complete
        // set" can be reconciled.
        """
        ALTER TABLE records ADD COLUMN parent_id TEXT;      -- canonical id of the owning record
        ALTER TABLE records ADD COLUMN removed_at TEXT;     -- set when the provider removed it
        ALTER TABLE records ADD COLUMN removed_run INTEGER REFERENCES runs(id);
        ALTER TABLE record_versions ADD COLUMN removed_at TEXT;
        ALTER TABLE runs ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX records_parent ON records(parent_id, object_type) WHERE parent_id IS NOT NULL;
        """,
        // 3: a reject of a row-file input (CSV) keeps the text above its row
        // (preamble and header, with the file's delimiter), so `rejects
        // --format csv` can write a file the user fixes and imports again.
        // One name per connector: imports recorded Layer runs as `layer`,
        // syncs as `layer_bills`; the connector's name is `layer_bills`.
        """
        ALTER TABLE rejects ADD COLUMN input_header TEXT;  -- JSON {"text": …, "delimiter": …}, row-file inputs only
        UPDATE runs SET connector = 'layer_bills' WHERE connector = 'layer';
        """,
        // 4: the columns the views read without parsing JSON (`QueryColumns`):
        // a record's currency and headline money, as REAL and in minor units.
        // Existing rows are filled from their payloads by `Store.migrate`,
        // which knows each type's headline field from the catalog.
        """
        ALTER TABLE records ADD COLUMN currency TEXT;
        ALTER TABLE records ADD COLUMN money REAL;
        ALTER TABLE records ADD COLUMN money_minor INTEGER;
        """,
        // 5: schema v3, compact and with no random key on the write path.
        // The canonical id was the primary key: a UUID from SHA-256, so every
        // insert landed on a random page of an index that outgrew the page
        // cache. Rows are now found through their identity, whose index is
        // (scope number, source id): small and mostly in order. History and
        // parents refer to the table's own row number. Ids and hashes are
        // bytes (`BinaryColumns`). The origin names its input by number. The
        // payload is compact (`StoredForm`); rows carried over keep their
        // full payloads, which expand to themselves. Timestamps are the
        // run's `started_at`, read through the run, and stored only when
        // they differ (rows written before this schema may). `records` and
        // `record_versions` become views with their old columns.
        """
        CREATE TABLE scopes (
            id            INTEGER PRIMARY KEY,
            object_type   TEXT NOT NULL,
            source_system TEXT NOT NULL,
            connection_id TEXT NOT NULL,                -- '' = no connection
            UNIQUE (object_type, source_system, connection_id)
        );
        CREATE TABLE inputs (
            id            INTEGER PRIMARY KEY,
            name          TEXT NOT NULL UNIQUE          -- a file path, or an API stream and page
        );
        CREATE TABLE record_rows (
            row           INTEGER PRIMARY KEY,
            scope         INTEGER NOT NULL REFERENCES scopes(id),
            source_id     TEXT NOT NULL,
            id            BLOB NOT NULL,                -- canonical id: 16 bytes of a UUID, or a provider's other text
            version       INTEGER NOT NULL,
            content_hash  BLOB NOT NULL,                -- SHA-256 of the full canonical record
            fingerprint   BLOB,                         -- of the raw record last written: the fast path's key
            payload       TEXT NOT NULL,                -- compact canonical JSON (StoredForm)
            created_run   INTEGER NOT NULL REFERENCES runs(id),
            updated_run   INTEGER NOT NULL REFERENCES runs(id),
            input         INTEGER REFERENCES inputs(id), -- where the current version came from
            line          INTEGER,
            json_path     TEXT,
            parent_row    INTEGER REFERENCES record_rows(row),
            removed_run   INTEGER REFERENCES runs(id),
            currency      TEXT,
            money         REAL,
            money_minor   INTEGER,
            legacy_origin TEXT,                         -- the origin of a row carried over from schema v2
            created_at    TEXT,                         -- set only where not the run's started_at
            updated_at    TEXT,
            removed_at    TEXT,
            UNIQUE (scope, source_id)
        );
        CREATE INDEX record_rows_parent ON record_rows(parent_row) WHERE parent_row IS NOT NULL;
        CREATE TABLE version_rows (
            record_row    INTEGER NOT NULL REFERENCES record_rows(row),
            version       INTEGER NOT NULL,
            content_hash  BLOB NOT NULL,
            payload       TEXT NOT NULL,
            currency      TEXT,                         -- this version's, for expanding its payload
            written_run   INTEGER NOT NULL REFERENCES runs(id),
            replaced_run  INTEGER NOT NULL REFERENCES runs(id),
            input         INTEGER REFERENCES inputs(id),
            line          INTEGER,
            json_path     TEXT,
            removed_run   INTEGER REFERENCES runs(id),
            legacy_origin TEXT,
            valid_from    TEXT,                         -- set only where not the written run's started_at
            replaced_at   TEXT,
            removed_at    TEXT,
            PRIMARY KEY (record_row, version)
        ) WITHOUT ROWID;
        INSERT INTO scopes (object_type, source_system, connection_id)
            SELECT DISTINCT object_type, source_system, connection_id FROM records ORDER BY 1, 2, 3;
        INSERT INTO record_rows (row, scope, source_id, id, version, content_hash, payload, created_run, updated_run,
                                 parent_row, removed_run, currency, money, money_minor, legacy_origin,
                                 created_at, updated_at, removed_at)
            SELECT r.rowid, s.id, r.source_id, backfill_id(r.id), r.version, backfill_hash(r.content_hash), r.payload,
                   r.created_run, r.updated_run, (SELECT p.rowid FROM records p WHERE p.id = r.parent_id), r.removed_run,
                   r.currency, r.money, r.money_minor, r.origin,
                   nullif(r.created_at, (SELECT started_at FROM runs WHERE id = r.created_run)),
                   nullif(r.updated_at, (SELECT started_at FROM runs WHERE id = r.updated_run)),
                   nullif(r.removed_at, (SELECT started_at FROM runs WHERE id = r.removed_run))
            FROM records r JOIN scopes s USING (object_type, source_system, connection_id) ORDER BY r.rowid;
        INSERT INTO version_rows (record_row, version, content_hash, payload, currency, written_run, replaced_run,
                                  legacy_origin, valid_from, replaced_at, removed_at)
            SELECT r.rowid, v.version, backfill_hash(v.content_hash), v.payload, json_extract(v.payload, '$.currency'),
                   v.written_run, v.replaced_run, v.origin,
                   nullif(v.valid_from, (SELECT started_at FROM runs WHERE id = v.written_run)),
                   nullif(v.replaced_at, (SELECT started_at FROM runs WHERE id = v.replaced_run)), v.removed_at
            FROM record_versions v JOIN records r ON r.id = v.record_id;
        DROP TABLE record_versions;
        DROP INDEX records_parent;
        DROP TABLE records;
        """,
    ]

    /// The migration that added `QueryColumns`: stores older than it have
    /// those columns filled from their payloads once, right after it.
    static let queryColumnsMigration = 4

    /// A money value's exact minor units from its decimal text (stored at
    /// the currency's scale, so the text without its point), or NULL when
    /// the record has no currency.
    static func minorUnits(of value: String, currency: String) -> String {
        "CASE WHEN \(currency) IS NOT NULL THEN CAST(replace(\(value), '.', '') AS INTEGER) END"
    }

    /// Fills `QueryColumns` of rows written before migration 4, type by type.
    static func queryColumnBackfill(_ catalog: ContractCatalog) -> [String] {
        catalog.objectTypes.compactMap { type in
            guard let contract = catalog.contract(for: type) else { return nil }
            let currency = contract.fieldsByName["currency"] != nil ? "json_extract(payload, '$.currency')" : "NULL"
            guard let field = contract.headlineMoneyField else {
                return "UPDATE records SET currency = \(currency) WHERE object_type = '\(type)'"
            }
            let value = "json_extract(payload, '$.\(field)')"
            return "UPDATE records SET currency = \(currency), money = CAST(\(value) AS REAL), "
                + "money_minor = \(minorUnits(of: value, currency: currency)) WHERE object_type = '\(type)'"
        }
    }

    /// One view per object type, canonical fields as columns, so
    /// `select document_date, amount from expenses` works in the sqlite3 shell.
    ///
    /// Columns carry the storage class SQL needs to compare and sort them:
    /// money and decimals are REAL (the payload holds them as exact decimal
    /// text, which would compare as text: `'999.99' > '5000.00'`), integers
    /// INTEGER, booleans 0/1, dates ISO text, nested objects JSON text.
    /// REAL is right for `where`, `order by`, `min`/`max` and `avg`, but a
    /// `sum` of REALs drifts in the last digits, so each top-level money
    /// field also comes as `<field>_minor`: an exact INTEGER count of the
    /// currency's minor units (cents; yen; fils), which is the payload's
    /// decimal text without its point, since money is stored at the
    /// currency's scale. It is NULL when the record has no currency. The
    /// currency and the headline money field come from the row's own
    /// columns, so totals per currency parse no JSON. Fields the compact
    /// payload leaves out come back as `StoredForm` restores them.
    ///
    /// `records` and `record_versions` show the tables of schema v2, with
    /// ids and hashes as text, for queries written against them.
    static func viewStatements(_ catalog: ContractCatalog) -> [String] {
        // Reference data, rebuilt with the views: each currency's minor-unit
        // digits and 10^digits, so SQL can write an exact total of
        // `<field>_minor` back as a decimal (README, "Querying the store").
        let currencies = "CREATE TABLE currencies (code TEXT PRIMARY KEY, digits INTEGER NOT NULL, factor INTEGER NOT NULL) WITHOUT ROWID"
        let rows = Currency.all.map { c in
            "('\(c.code)', \(c.minorUnits), \(ExactDecimal.power10(c.minorUnits)))"
        }
        return [currencies, "INSERT INTO currencies VALUES " + rows.joined(separator: ", "), recordsView, recordVersionsView]
            + catalog.objectTypes.compactMap { type in
                guard let contract = catalog.contract(for: type) else { return nil }
                var columns = [
                    "\(uuid("r.id")) AS id", "s.source_system", "NULLIF(s.connection_id, '') AS connection_id", "r.source_id",
                ]
                let hasCurrency = contract.fieldsByName["currency"] != nil
                for field in contract.fields where !["source_id", "source_system", "connection_id"].contains(field.name) {
                    let value = payloadValue(field.name, contract: contract)
                    // These two are read from the row's own columns (`QueryColumns`), not the payload.
                    if field.name == "currency" {
                        columns.append("r.currency AS currency")
                        continue
                    }
                    if field.name == contract.headlineMoneyField {
                        columns += ["r.money AS \"\(field.name)\"", "r.money_minor AS \"\(field.name)_minor\""]
                        continue
                    }
                    switch field.type {
                    case .money, .decimal:
                        columns.append("CAST(\(value) AS REAL) AS \"\(field.name)\"")
                    default:
                        columns.append("\(value) AS \"\(field.name)\"")
                    }
                    if field.type == .money && hasCurrency {
                        columns.append(minorUnits(of: value, currency: "r.currency") + " AS \"\(field.name)_minor\"")
                    }
                }
                columns += [
                    "coalesce(r.created_at, cr.started_at) AS created_at", "coalesce(r.updated_at, ur.started_at) AS updated_at",
                    "r.version",
                ]
                return "CREATE VIEW \"\(contract.collection)\" AS SELECT "
                    + columns.joined(separator: ", ")
                    + " FROM record_rows r JOIN scopes s ON s.id = r.scope JOIN runs cr ON cr.id = r.created_run"
                    + " JOIN runs ur ON ur.id = r.updated_run"
                    + " WHERE s.object_type = '\(type)' AND r.removed_run IS NULL AND r.removed_at IS NULL"
            }
    }

    /// A field of the payload, restored as `StoredForm` would when the
    /// compact payload leaves it out.
    static func payloadValue(_ field: String, contract: ObjectContract) -> String {
        StoredForm.sqlValue(field, contract: contract, stored: { "json_extract(r.payload, '$.\($0)')" }, literal: literal)
    }

    /// A contract default as the SQL value `json_extract` gives for it.
    static func literal(_ value: Value) -> String {
        switch value {
        case .null: return "NULL"
        case .bool(let b): return b ? "1" : "0"
        case .number(let n): return n
        case .string(let s): return quoted(s)
        default: return quoted(CanonicalJSON.string(value))
        }
    }

    static func quoted(_ text: String) -> String { StoredForm.sqlQuoted(text) }

    /// An id column as text: a stored UUID's bytes formatted as `UUIDText` does.
    static func uuid(_ column: String) -> String {
        let h = "hex(\(column))"
        return "CASE WHEN typeof(\(column)) = 'blob' THEN lower(substr(\(h), 1, 8) || '-' || substr(\(h), 9, 4) || '-' || "
            + "substr(\(h), 13, 4) || '-' || substr(\(h), 17, 4) || '-' || substr(\(h), 21)) ELSE \(column) END"
    }

    static func hash(_ column: String) -> String {
        "CASE WHEN typeof(\(column)) = 'blob' THEN lower(hex(\(column))) ELSE \(column) END"
    }

    /// `file:line`, `file:$.path` or `file:line $.path`, as `Origin` writes it.
    static func origin(_ t: String) -> String {
        "coalesce(\(t).legacy_origin, i.name || coalesce(':' || \(t).line, '') "
            + "|| coalesce(CASE WHEN \(t).line IS NULL THEN ':' ELSE ' ' END || \(t).json_path, ''))"
    }

    static let recordsView = """
        CREATE VIEW records AS SELECT r.row AS row, \(uuid("r.id")) AS id, s.object_type, s.source_system, s.connection_id,
            r.source_id, r.version, \(hash("r.content_hash")) AS content_hash, r.payload,
            coalesce(r.created_at, cr.started_at) AS created_at, coalesce(r.updated_at, ur.started_at) AS updated_at,
            r.created_run, r.updated_run, \(origin("r")) AS origin, \(uuid("p.id")) AS parent_id,
            coalesce(r.removed_at, rr.started_at) AS removed_at, r.removed_run, r.currency, r.money, r.money_minor
        FROM record_rows r JOIN scopes s ON s.id = r.scope JOIN runs cr ON cr.id = r.created_run
        JOIN runs ur ON ur.id = r.updated_run LEFT JOIN runs rr ON rr.id = r.removed_run
        LEFT JOIN inputs i ON i.id = r.input LEFT JOIN record_rows p ON p.row = r.parent_row
        """

    static let recordVersionsView = """
        CREATE VIEW record_versions AS SELECT \(uuid("r.id")) AS record_id, v.version,
            \(hash("v.content_hash")) AS content_hash, v.payload, coalesce(v.valid_from, wr.started_at) AS valid_from,
            v.written_run, coalesce(v.replaced_at, pr.started_at) AS replaced_at, v.replaced_run, \(origin("v")) AS origin,
            coalesce(v.removed_at, vr.started_at) AS removed_at
        FROM version_rows v JOIN record_rows r ON r.row = v.record_row JOIN runs wr ON wr.id = v.written_run
        JOIN runs pr ON pr.id = v.replaced_run LEFT JOIN runs vr ON vr.id = v.removed_run LEFT JOIN inputs i ON i.id = v.input
        """
}
