import BackfillCore

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
    ]

    /// The migration that added `QueryColumns`: stores older than it have
    /// those columns filled from their payloads once.
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
    /// currency and the headline money field come from `records`' own
    /// columns, so totals per currency parse no JSON.
    static func viewStatements(_ catalog: ContractCatalog) -> [String] {
        // Reference data, rebuilt with the views: each currency's minor-unit
        // digits and 10^digits, so SQL can write an exact total of
        // `<field>_minor` back as a decimal (README, "Querying the store").
        let currencies = "CREATE TABLE currencies (code TEXT PRIMARY KEY, digits INTEGER NOT NULL, factor INTEGER NOT NULL) WITHOUT ROWID"
        let rows = Currency.all.map { c in
            "('\(c.code)', \(c.minorUnits), \(ExactDecimal.power10(c.minorUnits)))"
        }
        return [currencies, "INSERT INTO currencies VALUES " + rows.joined(separator: ", ")]
            + catalog.objectTypes.compactMap { type in
                guard let contract = catalog.contract(for: type) else { return nil }
                var columns = [
                    "id", "source_system", "NULLIF(connection_id, '') AS connection_id", "source_id",
                ]
                let hasCurrency = contract.fieldsByName["currency"] != nil
                for field in contract.fields where !["source_id", "source_system", "connection_id"].contains(field.name) {
                    let value = "json_extract(payload, '$.\(field.name)')"
                    // These two are read from the row's own columns (`QueryColumns`), not the payload.
                    if field.name == "currency" {
                        columns.append("currency")
                        continue
                    }
                    if field.name == contract.headlineMoneyField {
                        columns += ["money AS \"\(field.name)\"", "money_minor AS \"\(field.name)_minor\""]
                        continue
                    }
                    switch field.type {
                    case .money, .decimal:
                        columns.append("CAST(\(value) AS REAL) AS \"\(field.name)\"")
                    default:
                        columns.append("\(value) AS \"\(field.name)\"")
                    }
                    if field.type == .money && hasCurrency {
                        columns.append(
                            minorUnits(of: value, currency: "json_extract(payload, '$.currency')") + " AS \"\(field.name)_minor\"")
                    }
                }
                columns += ["created_at", "updated_at", "version"]
                return "CREATE VIEW \"\(contract.collection)\" AS SELECT "
                    + columns.joined(separator: ", ")
                    + " FROM records WHERE object_type = '\(type)' AND removed_at IS NULL"
            }
    }
}
