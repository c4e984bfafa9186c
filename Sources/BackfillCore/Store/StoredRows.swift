/// What a store holds besides the records themselves, as values every
/// backend returns: runs, rejects, versions, cursors and exported records.

/// Counts of what a run did, per record.
public struct RunCounts: Sendable, Equatable {
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var failed = 0
    /// Records marked removed (tombstoned) because their provider dropped them.
    public var removed = 0

    public init(created: Int = 0, updated: Int = 0, unchanged: Int = 0, failed: Int = 0, removed: Int = 0) {
        self.created = created
        self.updated = updated
        self.unchanged = unchanged
        self.failed = failed
        self.removed = removed
    }

    public static func + (a: RunCounts, b: RunCounts) -> RunCounts {
        RunCounts(
            created: a.created + b.created, updated: a.updated + b.updated,
            unchanged: a.unchanged + b.unchanged, failed: a.failed + b.failed, removed: a.removed + b.removed)
    }

    public var changes: Int { created + updated + removed }
}

/// A row of the `runs` table.
public struct RunRecord: Sendable {
    public let id: Int
    public let mode: String
    public let connector: String
    public let connectionID: String?
    public let inputs: String
    public let startedAt: String
    public let finishedAt: String?
    public let counts: RunCounts
    public let status: String

    public init(
        id: Int, mode: String, connector: String, connectionID: String?, inputs: String, startedAt: String, finishedAt: String?,
        counts: RunCounts, status: String
    ) {
        self.id = id
        self.mode = mode
        self.connector = connector
        self.connectionID = connectionID
        self.inputs = inputs
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.counts = counts
        self.status = status
    }
}

/// One stored reject.
public struct StoredReject: Sendable {
    public let runID: Int
    public let issue: RecordIssue
    /// The input exactly as read (a CSV row; a JSON element), when there is one.
    public let raw: String?
    /// For a row-file input: `{"text": preamble and header, "delimiter": …}`.
    public let inputHeader: String?

    public init(runID: Int, issue: RecordIssue, raw: String?, inputHeader: String?) {
        self.runID = runID
        self.issue = issue
        self.raw = raw
        self.inputHeader = inputHeader
    }
}

/// One version of a record, oldest first in a history.
public struct RecordVersion: Sendable {
    public let version: Int
    /// When it was written, and by which run.
    public let writtenAt: String
    public let runID: Int
    public let origin: String?
    public let payload: String
    /// Set on the version that marked the record removed.
    public let removedAt: String?

    public init(version: Int, writtenAt: String, runID: Int, origin: String?, payload: String, removedAt: String?) {
        self.version = version
        self.writtenAt = writtenAt
        self.runID = runID
        self.origin = origin
        self.payload = payload
        self.removedAt = removedAt
    }
}

/// A record found by type and source id, with every version it has had.
public struct RecordHistory: Sendable {
    public let id: String
    public let identity: RecordIdentity
    public let createdAt: String
    public let updatedAt: String
    public let versions: [RecordVersion]
    public var current: RecordVersion { versions[versions.count - 1] }
    /// The current version as `export` writes it.
    public var exported: ExportedRecord {
        ExportedRecord(
            id: id, identity: identity, createdAt: createdAt, updatedAt: updatedAt, payload: current.payload,
            removedAt: current.removedAt)
    }

    public init(id: String, identity: RecordIdentity, createdAt: String, updatedAt: String, versions: [RecordVersion]) {
        self.id = id
        self.identity = identity
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.versions = versions
    }
}

/// One sync cursor.
public struct CursorRow: Sendable {
    public let connection: String
    public let stream: String
    public let cursor: String
    public let updatedAt: String

    public init(connection: String, stream: String, cursor: String, updatedAt: String) {
        self.connection = connection
        self.stream = stream
        self.cursor = cursor
        self.updatedAt = updatedAt
    }
}

/// A stored record as `export` shows it.
public struct ExportedRecord: Sendable {
    public let id: String
    public let identity: RecordIdentity
    public let createdAt: String
    public let updatedAt: String
    public let payload: String
    /// When the record was marked removed; nil for live records.
    public let removedAt: String?

    /// The payload with the store's fields added: `id`, identity, and the
    /// store's `created_at` / `updated_at`.
    public func canonicalValue() throws -> Value {
        guard case .object(var fields) = try JSONParser.parse(payload) else { return .object([:]) }
        fields["id"] = .string(id)
        fields["source_system"] = .string(identity.sourceSystem)
        fields["connection_id"] = identity.connectionID.isEmpty ? .null : .string(identity.connectionID)
        fields["source_id"] = .string(identity.sourceID)
        fields["created_at"] = .string(createdAt)
        fields["updated_at"] = .string(updatedAt)
        if let removedAt { fields["removed_at"] = .string(removedAt) }
        return .object(fields)
    }

    public init(id: String, identity: RecordIdentity, createdAt: String, updatedAt: String, payload: String, removedAt: String?) {
        self.id = id
        self.identity = identity
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.payload = payload
        self.removedAt = removedAt
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case newerSchema(path: String, version: Int, supported: Int)
    case olderSchema(path: String, version: Int)

    public var description: String {
        switch self {
        case .newerSchema(let path, let version, let supported):
            return
                "\(path): store schema version \(version) is newer than this backfill-sync supports (\(supported)); upgrade backfill-sync"
        case .olderSchema(let path, let version):
            return
                "\(path): store schema version \(version) is older than this backfill-sync; run any import without --dry-run once to migrate it"
        }
    }
}
