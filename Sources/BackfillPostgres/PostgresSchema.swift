import BackfillCore

/// The PostgreSQL store's schema: the tables of SQLite's schema v3, as an
/// ordered list of migrations recorded in `store_meta` (`schema_version`).
/// A migration is never edited once released, only followed by another.
///
/// Where it differs from SQLite, and why:
/// - The identity has a real `UNIQUE` constraint (`record_identity`), which
///   the write path's `ON CONFLICT` names: two sessions can never hold two
///   rows for one record.
/// - A child names its parent by canonical id (`parent_id`), not row number:
///   rows are written in batches, and a parent created in the same batch has
///   no row number yet.
/// - Timestamps are stored on every row (text, exactly as exports write
///   them), and money is `numeric`, exact.
/// - Ids are text: canonical ids are UUIDs, but a provider may give others.
/// The payload is the engine's compact canonical text (`StoredForm`), never
/// `jsonb`, which reorders keys and rewrites numbers: exports stay byte
/// identical. Per-type views parse it as `jsonb` for querying.
enum PostgresSchema {
    static let migrations: [String] = [
        // 1: records with their history, runs, rejects, sync cursors.
        """
        CREATE TABLE runs (
            id            bigserial PRIMARY KEY,
            mode          text NOT NULL,
            connector     text NOT NULL,
            connection_id text,
            inputs        text NOT NULL,               -- JSON array of files or streams
            started_at    text NOT NULL,
            finished_at   text,
            created       bigint NOT NULL DEFAULT 0,
            updated       bigint NOT NULL DEFAULT 0,
            unchanged     bigint NOT NULL DEFAULT 0,
            failed        bigint NOT NULL DEFAULT 0,
            removed       bigint NOT NULL DEFAULT 0,
            status        text NOT NULL                -- running | succeeded | partial | rejected | failed | interrupted
        );
        CREATE TABLE scopes (
            id            serial PRIMARY KEY,
            object_type   text NOT NULL,
            source_system text NOT NULL,
            connection_id text NOT NULL,               -- '' = no connection
            UNIQUE (object_type, source_system, connection_id)
        );
        CREATE TABLE inputs (
            id            serial PRIMARY KEY,
            name          text NOT NULL UNIQUE         -- a file path, or an API stream and page
        );
        CREATE TABLE record_rows (
            row           bigserial PRIMARY KEY,
            scope         integer NOT NULL REFERENCES scopes(id),
            source_id     text NOT NULL,
            id            text NOT NULL,               -- canonical id: assigned once, never changed
            version       integer NOT NULL,
            content_hash  bytea NOT NULL,              -- SHA-256 of the full canonical record
            fingerprint   bytea,                       -- of the raw record last written: the fast path's key
            payload       text NOT NULL,               -- compact canonical JSON (StoredForm), byte-exact
            created_run   bigint NOT NULL REFERENCES runs(id),
            updated_run   bigint NOT NULL REFERENCES runs(id),
            input         integer REFERENCES inputs(id),
            line          integer,
            json_path     text,
            parent_id     text,                        -- canonical id of the owning record
            removed_run   bigint REFERENCES runs(id),
            currency      text,
            money         numeric,
            money_minor   bigint,
            created_at    text NOT NULL,
            updated_at    text NOT NULL,
            removed_at    text,
            CONSTRAINT record_identity UNIQUE (scope, source_id)
        );
        CREATE INDEX record_rows_parent ON record_rows (parent_id) WHERE parent_id IS NOT NULL;
        CREATE TABLE version_rows (
            record_row    bigint NOT NULL REFERENCES record_rows(row),
            version       integer NOT NULL,
            content_hash  bytea NOT NULL,
            payload       text NOT NULL,
            currency      text,
            written_run   bigint NOT NULL REFERENCES runs(id),
            replaced_run  bigint NOT NULL REFERENCES runs(id),
            input         integer REFERENCES inputs(id),
            line          integer,
            json_path     text,
            removed_run   bigint REFERENCES runs(id),
            valid_from    text NOT NULL,
            replaced_at   text NOT NULL,
            removed_at    text,
            PRIMARY KEY (record_row, version)
        );
        CREATE TABLE rejects (
            id            bigserial PRIMARY KEY,
            run_id        bigint NOT NULL REFERENCES runs(id),
            file          text,
            line          integer,
            json_path     text,
            source_id     text,
            field         text,
            code          text NOT NULL,
            message       text NOT NULL,
            raw           text,
            input_header  text
        );
        CREATE INDEX rejects_run ON rejects (run_id);
        CREATE TABLE sync_cursors (
            connection    text NOT NULL,
            stream        text NOT NULL,
            cursor        text NOT NULL,
            updated_at    text NOT NULL,
            PRIMARY KEY (connection, stream)
        );
        """,
        // 2: no foreign keys on the record and version tables. PostgreSQL
        // checks each one with a row trigger and a query, which cost about
        // 16 µs a row, more than half of a first import's time on the server.
        // The write path alone fills these columns, with the scope, run and
        // input of the transaction that writes the row, and nothing deletes
        // from the tables they point to; `rejects` keeps its key.
        """
        ALTER TABLE record_rows
            DROP CONSTRAINT record_rows_scope_fkey, DROP CONSTRAINT record_rows_created_run_fkey,
            DROP CONSTRAINT record_rows_updated_run_fkey, DROP CONSTRAINT record_rows_input_fkey,
            DROP CONSTRAINT record_rows_removed_run_fkey;
        ALTER TABLE version_rows
            DROP CONSTRAINT version_rows_record_row_fkey, DROP CONSTRAINT version_rows_written_run_fkey,
            DROP CONSTRAINT version_rows_replaced_run_fkey, DROP CONSTRAINT version_rows_input_fkey,
            DROP CONSTRAINT version_rows_removed_run_fkey;
        """,
    ]

    /// Where each batch of writes waits before it is merged (`PostgresStore.flush`):
    /// one per session, emptied at every commit.
    static let stagingTable = """
        CREATE TEMP TABLE IF NOT EXISTS backfill_stage (
            op char(1) NOT NULL, scope integer NOT NULL, source_id text NOT NULL, id text, content_hash bytea,
            fingerprint bytea, payload text, input integer, line integer, json_path text, parent_id text,
            currency text, money numeric, money_minor bigint, run bigint NOT NULL, at text NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    /// One view per object type, canonical fields as columns:
    /// `select document_date, amount from backfill.expenses`. Money and
    /// decimals are `numeric` (exact, so `sum` is exact too), integers
    /// `bigint`, booleans `boolean`, nested objects `jsonb`. Fields the
    /// compact payload leaves out come back as `StoredForm` restores them.
    static func viewStatements(_ catalog: ContractCatalog) -> [String] {
        catalog.objectTypes.compactMap { type in
            guard let contract = catalog.contract(for: type) else { return nil }
            var columns = ["r.id", "s.source_system", "NULLIF(s.connection_id, '') AS connection_id", "r.source_id"]
            for field in contract.fields where !["source_id", "source_system", "connection_id"].contains(field.name) {
                if field.name == "currency" {
                    columns.append("r.currency")
                } else if field.name == contract.headlineMoneyField {
                    columns += ["r.money AS \"\(field.name)\"", "r.money_minor AS \"\(field.name)_minor\""]
                } else {
                    columns.append("(\(payloadValue(field.name, contract: contract)))\(cast(field.type)) AS \"\(field.name)\"")
                }
            }
            columns += ["r.created_at", "r.updated_at", "r.version"]
            return "CREATE VIEW \"\(contract.collection)\" AS SELECT " + columns.joined(separator: ", ")
                + " FROM record_rows r JOIN scopes s ON s.id = r.scope"
                + " WHERE s.object_type = \(quoted(type)) AND r.removed_run IS NULL AND r.removed_at IS NULL"
        }
    }

    private static func cast(_ type: FieldType) -> String {
        switch type {
        case .money, .decimal: return "::numeric"
        case .integer: return "::bigint"
        case .boolean: return "::boolean"
        case .string, .date, .dateTime: return ""
        default: return "::jsonb"
        }
    }

    /// A field of the payload as text, restored as `StoredForm` would when
    /// the compact payload leaves it out.
    static func payloadValue(_ field: String, contract: ObjectContract) -> String {
        StoredForm.sqlValue(field, contract: contract, stored: { "(r.payload::jsonb ->> \(quoted($0)))" }, literal: literal)
    }

    /// A contract default as the text `->>` gives for it.
    static func literal(_ value: Value) -> String {
        switch value {
        case .null: return "NULL"
        case .bool(let b): return b ? "'true'" : "'false'"
        case .number(let n): return quoted(n)
        case .string(let s): return quoted(s)
        default: return quoted(CanonicalJSON.string(value))
        }
    }

    static func quoted(_ text: String) -> String { StoredForm.sqlQuoted(text) }
}
