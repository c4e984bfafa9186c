/// One run of the pipeline over one or more inputs:
/// raw records → normalize → validate → diff against the store → apply.
///
/// Transactions: without `strict`, each input commits in one transaction of
/// its own (its records, history, rejects and the run row together), so one
/// bad file never undoes another. With `strict`, all inputs share one
/// transaction, rolled back if anything is rejected; the run row and its
/// rejects are then written alone. A dry run never opens a write transaction
/// at all: the store is opened read-only and what the run would have written
/// is kept in the store's run scratch (`RunScratch`), so later inputs diff
/// against earlier ones
/// exactly as they would when applied.
public final class ImportRun {
    public enum Mode: String, Sendable {
        case apply
        case dryRun = "dry_run"
    }

    public enum Status: String, Sendable {
        /// Everything applied (or, in a dry run, would be).
        case succeeded
        /// Some records or inputs rejected; the rest applied.
        case partial
        /// `--strict` and something was rejected: nothing applied.
        case rejected
        /// SIGINT or SIGTERM stopped it; the inputs committed before stay.
        case interrupted
        /// The store or the tool failed midway; the inputs committed before stay.
        case failed

        /// How a run row records a run that `error` stopped early.
        public static func stopped(by error: Error) -> Status { error is Interrupted ? .interrupted : .failed }
    }

    /// How the run's writes are grouped into transactions.
    public enum TransactionPolicy: Sendable {
        /// Each input commits alone, with its records, rejects and cursor.
        case perInput
        /// `--strict`: every input in one transaction, rolled back if anything is rejected.
        case allOrNothing
        /// A dry run: each input diffs against one read snapshot; nothing is written.
        case readSnapshot
    }

    public let mode: Mode
    public let strict: Bool
    public let policy: TransactionPolicy
    let store: any RecordStore
    let normalizer: Normalizer
    let validator: Validator
    let differ = Differ()
    /// nil when the fast path is off (`fastPath: false`).
    let fingerprinter: RecordFingerprinter?
    let hint = FastPathHint()
    let applier: Applier
    let observer: RunObserver
    let connector: String
    let connectionID: String?
    let inputs: [String]
    public let startedAt: String

    public private(set) var counts = RunCounts()
    public private(set) var runID: Int?
    public private(set) var inputErrors: [InputError] = []
    /// A strict run's rejects, stored with its run row at the end: issue,
    /// raw input, the input's header (see `RowFileStream`).
    private var heldRejects: [(RecordIssue, String?, String?)] = []
    /// Identities of records rejected in this run: their children are
    /// rejected too (a bad bill's payments must not land without it).
    var rejectedIdentities: Set<String> = []
    private var strictTransactionOpen = false
    /// Duplicate detection within an input; in a dry run, also the content
    /// that would have been written.
    let seen: RunScratch
    /// Inputs by number, as the scratch names them.
    private var inputNumbers: [String: Int] = [:]

    public init(
        store: any RecordStore, mode: Mode, strict: Bool, connector: String, connectionID: String?,
        inputs: [String], normalizer: Normalizer, validator: Validator = Validator(), observer: RunObserver,
        fastPath: Bool = true
    ) throws {
        self.store = store
        self.mode = mode
        self.strict = strict
        self.policy = mode == .dryRun ? .readSnapshot : (strict ? .allOrNothing : .perInput)
        self.normalizer = normalizer
        self.fingerprinter = fastPath ? RecordFingerprinter(catalog: normalizer.catalog, options: normalizer.options) : nil
        self.validator = validator
        self.applier = Applier(store: store)
        self.observer = observer
        self.connector = connector
        self.connectionID = connectionID
        self.inputs = inputs
        self.startedAt = Timestamp.now()
        self.seen = try store.makeRunScratch()
    }

    var writes: Bool { policy != .readSnapshot }

    private func insertRunRow(mode: String) throws -> Int {
        let id = try store.insertRun(mode: mode, connector: connector, connectionID: connectionID, inputs: inputs, startedAt: startedAt)
        for issue in unreadBeforeTheRunRow { try store.insertReject(runID: id, issue: issue, raw: nil, inputHeader: nil) }
        unreadBeforeTheRunRow = []
        return id
    }

    /// Inputs that could not be opened at all before anything was written:
    /// stored with the run row if one comes, and if none does (every input
    /// was missing) the run leaves no row, since it read nothing.
    private var unreadBeforeTheRunRow: [RecordIssue] = []

    /// Nothing was read: every input was missing or unreadable.
    private var readNothing: Bool {
        runID == nil && inputErrors.count == inputs.count && inputErrors.allSatisfy { $0.kind == .unreadable }
            && counts.changes == 0 && counts.unchanged == 0
    }

    /// Strict runs share one transaction; its run row is written inside it so
    /// the records can name their run, and vanishes with it on rollback.
    private func beginStrictTransactionIfNeeded() throws {
        guard policy == .allOrNothing && !strictTransactionOpen else { return }
        try store.begin(.write)
        strictTransactionOpen = true
        runID = try insertRunRow(mode: "strict")
    }

    private func rollbackStrictTransaction() {
        guard strictTransactionOpen else { return }
        store.rollback()
        strictTransactionOpen = false
        runID = nil
    }

    /// Runs one input through the pipeline. An input-level failure (not
    /// readable, not the format) rolls back that input and is reported; it
    /// never stops the other inputs. `beforeCommit` runs inside the input's
    /// transaction just before it commits (applied runs only): a sync moves
    /// its cursor there, so records and cursor commit together or not at all.
    public func process<S: RecordStream>(input: String, stream: inout S, beforeCommit: (() throws -> Void)? = nil) throws {
        observer.inputStarted(input)
        var fileCounts = RunCounts()
        var fileRejects: [(RecordIssue, String?, String?)] = []
        let header = (stream as? any RowFileStream)?.inputHeader ?? nil
        // A dry run reads the store in one transaction per input too: one
        // consistent snapshot to diff against, and its scratch commits once
        // per input instead of once per record. A strict run's transaction
        // spans the inputs.
        let inputTransaction: TransactionKind?
        switch policy {
        case .perInput: inputTransaction = .write
        case .readSnapshot: inputTransaction = .readSnapshot
        case .allOrNothing: inputTransaction = nil
        }
        try beginStrictTransactionIfNeeded()
        if let kind = inputTransaction { try store.begin(kind) }
        // A run row created in this input's transaction goes with it on rollback.
        let runRowIsNew = policy == .perInput && runID == nil
        // Reading, normalizing and serializing run ahead on a second thread;
        // this thread diffs and writes, in the stream's order.
        let ahead = ReadAhead(stream: stream, prepare: preparer)
        defer { stream = ahead.finish() }
        do {
            if runRowIsNew {
                runID = try insertRunRow(mode: "apply")
            }
            var seenRecords = 0
            let inputNumber = inputNumbers[input] ?? inputNumbers.count + 1
            inputNumbers[input] = inputNumber
            reading: while true {
                let batch: [PreparedRecord]
                switch ahead.next() {
                case .batch(let records): batch = records
                case .failed(let error): throw error
                case .end: break reading
                }
                try Interruption.check()
                try store.prefetch(Self.identities(in: batch))
                // By index, passed borrowed: a for-in loop copies (and
                // retains and releases) every member of every record.
                for i in batch.indices {
                    seenRecords += 1
                    if seenRecords % 1000 == 0 {
                        if let total = ahead.totalBytes {
                            observer.progress(input: input, records: seenRecords, bytes: ahead.bytesRead, of: total)
                        } else {
                            observer.progress(input: input, records: seenRecords)
                        }
                    }
                    if let rejected = try handle(batch[i], input: inputNumber, counts: &fileCounts) {
                        fileRejects.append(contentsOf: rejected.issues.map { ($0, rejected.raw, header) })
                        if policy == .perInput, let runID {
                            for issue in rejected.issues {
                                try store.insertReject(runID: runID, issue: issue, raw: rejected.raw, inputHeader: header)
                            }
                        }
                    }
                }
                ReadAhead<S>.discard(consume batch)
            }
            if policy == .perInput, let runID {
                try store.updateRun(id: runID, counts: counts + fileCounts, status: "running", finishedAt: nil)
            }
            if writes { try beforeCommit?() }
            if inputTransaction != nil { try store.commit() }
            counts = counts + fileCounts
            if strict { heldRejects += fileRejects }
            observer.inputFinished(input, counts: fileCounts)
        } catch let error as InputError {
            // Rolling back also forgets what this input added to the scratch.
            if inputTransaction != nil { store.rollback() }
            if runRowIsNew { runID = nil }
            // Strict: a failed input fails the whole run; nothing is applied.
            rollbackStrictTransaction()
            try recordInputFailure(error, discarded: true)
        } catch {
            if inputTransaction != nil { store.rollback() }
            if runRowIsNew { runID = nil }
            rollbackStrictTransaction()
            observer.inputRolledBack(input)
            throw error
        }
    }

    /// What a batch's records will look up: their own identities and their parents'.
    private static func identities(in batch: [PreparedRecord]) -> [RecordIdentity] {
        var out: [RecordIdentity] = []
        out.reserveCapacity(batch.count)
        for i in batch.indices {
            if let identity = batch[i].deferred ?? batch[i].record?.identity { out.append(identity) }
            if let parent = batch[i].raw.parent { out.append(parent) }
        }
        return out
    }

    /// Reports an input that failed before it yielded a record: missing,
    /// unreadable, empty, or with a header that cannot be used.
    public func inputFailedToOpen(_ error: InputError) throws {
        try recordInputFailure(error, discarded: false)
    }

    private func recordInputFailure(_ error: InputError, discarded: Bool) throws {
        counts.failed += 1
        inputErrors.append(error)
        observer.inputFailed(error, discarded: discarded)
        guard policy == .perInput else {
            heldRejects.append((error.asIssue, nil, nil))
            return
        }
        if error.kind == .unreadable && runID == nil {
            unreadBeforeTheRunRow.append(error.asIssue)
            return
        }
        try store.transaction {
            if runID == nil {
                runID = try insertRunRow(mode: "apply")
            }
            try store.insertReject(runID: runID!, issue: error.asIssue, raw: nil, inputHeader: nil)
            try store.updateRun(id: runID!, counts: counts, status: "running", finishedAt: nil)
        }
    }

    /// Closes the run: commits (or, strict with rejects, rolls back) and
    /// records the final status. `stopped` ends it early, as `interrupted`
    /// or `failed`: the input in flight was already rolled back, a strict
    /// run's shared transaction is, and the run row says so with the counts
    /// of what did commit. Every run that wrote anything ends with a row
    /// that is not `running`.
    @discardableResult
    public func finish(stopped: Status? = nil) throws -> Status {
        let status: Status = stopped ?? (counts.failed == 0 ? .succeeded : (strict ? .rejected : .partial))
        guard writes, !readNothing else { return status }
        let now = Timestamp.now()
        if stopped != nil {
            if strict {
                rollbackStrictTransaction()
                counts = RunCounts()  // nothing of a strict run commits unless all of it does
            }
            try store.transaction {
                if runID == nil { runID = try insertRunRow(mode: strict ? "strict" : "apply") }
                try store.updateRun(id: runID!, counts: counts, status: status.rawValue, finishedAt: now)
            }
            return status
        }
        if strict && status == .rejected {
            rollbackStrictTransaction()
            try store.transaction {
                let id = try insertRunRow(mode: "strict")
                runID = id
                for (issue, raw, header) in heldRejects { try store.insertReject(runID: id, issue: issue, raw: raw, inputHeader: header) }
                try store.updateRun(id: id, counts: counts, status: status.rawValue, finishedAt: now)
            }
            return status
        }
        if strict {
            try beginStrictTransactionIfNeeded()
            try store.updateRun(id: runID!, counts: counts, status: status.rawValue, finishedAt: now)
            try store.commit()
            strictTransactionOpen = false
            return status
        }
        try store.transaction {
            if runID == nil {
                runID = try insertRunRow(mode: "apply")
            }
            try store.updateRun(id: runID!, counts: counts, status: status.rawValue, finishedAt: now)
        }
        return status
    }
}
