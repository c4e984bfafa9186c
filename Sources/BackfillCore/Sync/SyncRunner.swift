/// The one loop every import and sync runs through: for each source, each
/// input in one transaction with its cursor move, skipping inputs whose
/// cursor has not moved, and every failure classified here, once.
///
/// - A data failure (a bad file, a bad record) is recorded and the run goes on.
/// - A failed request ends its source (temporary, refused) or, when the
///   credentials are refused, the connection.
/// - A failure of the tool inside one input ends that input (and, for pages,
///   its source), recorded against it: the other inputs still run.
/// - A signal or a failing store (`stopsTheRun`) ends everything: the run
///   row is closed with what committed.
public final class SyncRunner {
    let store: any RecordStore
    public let mode: ImportRun.Mode
    let fullRefresh: Bool
    let observer: any RunObserver
    /// When the observer counts per connection and object type (a sync's
    /// report), the runner tells it which one each record belongs to.
    private let breakdown: BreakdownObserver?
    /// Notes as they come: on stderr at once, in the report at the end.
    public var warn: (String) -> Void = { _ in }
    public private(set) var notes: [String] = []
    public private(set) var failures = FailureCounts()

    public struct FailureCounts: Sendable, Equatable {
        public var credentials = 0
        public var refused = 0
        public var temporary = 0
        /// Inputs or connections stopped by a failure of the tool (exit 70).
        public var `internal` = 0
    }

    /// Off (`BACKFILL_FAST_PATH=off`), every record is normalized and
    /// compared by content: the slow path the fast one must agree with.
    let fastPath: Bool

    public init(
        store: any RecordStore, mode: ImportRun.Mode, fullRefresh: Bool = false, observer: any RunObserver,
        fastPath: Bool = RecordFingerprinter.enabledByEnvironment
    ) {
        self.store = store
        self.fastPath = fastPath
        self.mode = mode
        self.fullRefresh = fullRefresh
        self.observer = observer
        breakdown = observer as? BreakdownObserver
        if fullRefresh { notes.append("--full-refresh: cursors were ignored; every page and file was read again") }
    }

    /// One connection of a sync, in a run of its own.
    public func sync(_ connection: SyncConnection, context: SyncContext) throws -> RunResult {
        let entry = connection.entry
        breakdown?.connection = entry.name
        let run = try ImportRun(
            store: store, mode: mode, strict: false, connector: entry.connector,
            connectionID: entry.connectionID, inputs: connection.runInputs,
            normalizer: connection.normalizer, observer: observer, fastPath: fastPath)
        return close(run) {
            defer { notes += connection.finishNotes() }
            let sources: [SyncSource]
            do { sources = try connection.sources(context) } catch  where !error.stopsTheRun {
                try recordInternalFailure(error, input: entry.name, in: run, connection: entry.name)
                return
            }
            for source in sources {
                if try !drive(source, in: run, connection: entry.name) { break }
            }
        }
    }

    /// Files named on the command line, all in one run (`import`).
    public func importFiles(_ files: [String], with fileImport: FileImport, strict: Bool) throws -> RunResult {
        let run = try ImportRun(
            store: store, mode: mode, strict: strict, connector: fileImport.connector,
            connectionID: fileImport.connectionID, inputs: files, normalizer: fileImport.normalizer,
            observer: observer, fastPath: fastPath)
        return close(run) {
            _ = try drive(FileSource(files: files, objectType: fileImport.objectType, open: fileImport.open), in: run, connection: nil)
        }
    }

    /// Runs `body`, then closes the run: as stopped when something ended it
    /// early, and with the stop in the result for the caller to report.
    private func close(_ run: ImportRun, _ body: () throws -> Void) -> RunResult {
        var stop: Error?
        do { try body() } catch { stop = error }
        var status: ImportRun.Status
        do {
            status = try run.finish(stopped: stop.map(ImportRun.Status.stopped(by:)))
        } catch {
            // Not even the run row could be written (the store is busy or
            // full): the next run that takes the lock marks it interrupted.
            stop = stop ?? error
            status = .stopped(by: stop!)
        }
        return RunResult(
            status: status, counts: run.counts, runID: run.runID, stoppedBy: stop,
            unreadableInputs: run.inputErrors.contains { $0.kind == .unreadable })
    }

    /// One source's inputs. False when the connection's other sources must
    /// be skipped (its credentials were refused).
    private func drive(_ source: SyncSource, in run: ImportRun, connection: String?) throws -> Bool {
        breakdown?.stream = source.objectType
        var skipped = 0
        defer {
            if skipped > 0 {
                notes.append(
                    "\(connection.map { "\($0): " } ?? "")\(skipped) \(source.inputNoun)(s) unchanged since their last import, skipped")
            }
        }
        let cursor: (String) throws -> String? = { [store, fullRefresh] stream in
            guard let connection, !fullRefresh else { return nil }
            return try store.cursor(connection: connection, stream: stream)
        }
        while true {
            try Interruption.check()
            let step: SyncStep
            do { step = try source.next(cursor: cursor) } catch  where !error.stopsTheRun {
                source.close()
                try recordInternalFailure(error, input: connection ?? "input", in: run, connection: connection)
                return true
            }
            switch step {
            case .end:
                return true
            case .note(let note):
                say(note, connection: nil)
            case .failed(let failure):
                try run.inputFailedToOpen(failure.error)
                switch failure.kind {
                case .data: continue
                case .temporary: failures.temporary += 1
                case .refused: failures.refused += 1
                case .credentials: failures.credentials += 1
                }
                source.close()
                return failure.kind != .credentials
            case .input(let input):
                if let (stream, value) = input.cursor, connection != nil, try cursor(stream) == value {
                    skipped += 1
                    continue
                }
                do {
                    try process(input, in: run, connection: connection)
                } catch  where !error.stopsTheRun {
                    try recordInternalFailure(error, input: input.label, in: run, connection: connection)
                    if !source.inputsAreIndependent {
                        source.close()
                        return true
                    }
                } catch {
                    source.close()
                    throw error
                }
            }
        }
    }

    private func process(_ input: SyncInput, in run: ImportRun, connection: String?) throws {
        if let count = input.knownCount { observer.progress(input: input.label, records: count) }
        var records: AnyRecordStream
        do { records = try input.open() } catch {
            try run.inputFailedToOpen(error)
            return
        }
        // What the header says is shown before the rows it explains.
        let opened = records.notes
        for note in opened { say(note, connection: connection) }
        let store = self.store
        try run.process(input: input.label, stream: &records) {
            if let (stream, value) = input.cursor, let connection {
                try store.setCursor(connection: connection, stream: stream, value: value, now: Timestamp.now())
            }
        }
        for note in records.notes.dropFirst(opened.count) { say(note, connection: connection) }
    }

    private func say(_ note: String, connection: String?) {
        warn(note)
        notes.append(connection.map { "\($0): \(note)" } ?? note)
    }

    /// A failure of the tool, not of the data, recorded against the input
    /// (a page, file or connection) it ended.
    private func recordInternalFailure(_ error: Error, input: String, in run: ImportRun, connection: String?) throws {
        failures.internal += 1
        let scope = connection.map { "connection '\($0)': " } ?? ""
        try run.inputFailedToOpen(
            InputError(
                kind: .malformed, origin: Origin(file: input), code: .internalError,
                message: "\(scope)\(input) stopped: \(ErrorText.of(error))"))
    }
}

/// How one run ended, for the report and the exit code.
public struct RunResult {
    public let status: ImportRun.Status
    public let counts: RunCounts
    public let runID: Int?
    /// What ended the run early (a signal, the store failing), if anything.
    public let stoppedBy: Error?
    /// An input was missing or unreadable (exit 66).
    public let unreadableInputs: Bool
}
