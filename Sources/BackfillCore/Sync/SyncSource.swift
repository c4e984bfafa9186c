/// A configured connection, made by its connector's factory from the sync
/// config: the sources its inputs come from, in order.
public protocol SyncConnection: AnyObject {
    /// Name, connector kind and connection_id, as the config gave them.
    var entry: ConnectionEntry { get }
    /// What the connection's run row lists as its inputs.
    var runInputs: [String] { get }
    var normalizer: Normalizer { get }
    /// Everything wrong that can be known before any request or write (a
    /// token not set, a mapping that does not load, a missing drop folder),
    /// each as `file: key.path: message`. Loads what it needs on the way.
    func check(environment: [String: String]) -> [String]
    /// The connection's sources for one run.
    func sources(_ context: SyncContext) throws -> [SyncSource]
    /// What the connection has to report once its sources ran (HTTP timings).
    func finishNotes() -> [String]
}

extension SyncConnection {
    public func finishNotes() -> [String] { [] }
}

/// What a source may use from the run around it.
public struct SyncContext: Sendable {
    public let dryRun: Bool
    public let clock: Clock
    /// A line for the person watching (a retry and its wait), not for the report.
    public let log: @Sendable (String) -> Void

    public init(dryRun: Bool, clock: Clock = SystemClock(), log: @escaping @Sendable (String) -> Void) {
        self.dryRun = dryRun
        self.clock = clock
        self.log = log
    }
}

/// A sequence of inputs (an API resource's pages, the files of a drop),
/// each with the cursor value to store once it has committed, like a Singer
/// stream with its bookmark.
public protocol SyncSource: AnyObject {
    /// The object type its records are counted under in the report.
    var objectType: String { get }
    /// True when one input failing leaves the next worth reading (files);
    /// false when the inputs follow one another (pages: a later page must
    /// not commit a cursor past a failed one).
    var inputsAreIndependent: Bool { get }
    /// What one input is called in notes: "file", "page".
    var inputNoun: String { get }
    /// The next step. `cursor(stream)` reads the stored cursor of one of the
    /// connection's streams; nil under `--full-refresh`.
    func next(cursor: (String) throws -> String?) throws -> SyncStep
    /// Ends the source early: nothing of it is left running.
    func close()
}

extension SyncSource {
    public var inputsAreIndependent: Bool { true }
    public var inputNoun: String { "input" }
    public func close() {}
}

public enum SyncStep {
    case input(SyncInput)
    /// An input that could not be had (a page that failed, a file that
    /// cannot be read), recorded against the run.
    case failed(SourceFailure)
    /// Something to say on stderr and in the report (a glob matching nothing).
    case note(String)
    case end
}

/// One input: a page, a file.
public struct SyncInput {
    /// How the run, its rejects and the report name the input.
    public let label: String
    /// The cursor this input moves, and its value once the input committed;
    /// nil for an input with no cursor (a file given to `import`). An input
    /// whose stored cursor already has this value is skipped.
    public let cursor: (stream: String, value: String)?
    /// Records already known (a fetched page): shown as progress up front.
    public let knownCount: Int?
    public let open: () throws(InputError) -> AnyRecordStream

    public init(
        label: String, cursor: (stream: String, value: String)?, knownCount: Int? = nil,
        open: @escaping () throws(InputError) -> AnyRecordStream
    ) {
        self.label = label
        self.cursor = cursor
        self.knownCount = knownCount
        self.open = open
    }
}

/// Why an input could not be had, by what it means for the run: the one
/// classification the exit code follows.
public struct SourceFailure: Sendable {
    public enum Kind: Sendable {
        /// The input itself is bad or unreadable: recorded, the source goes on (65, or 66 when unreadable).
        case data
        /// Try again later (retries exhausted, too large, past its deadline): the source ends (75).
        case temporary
        /// The server refused the request or redirected it: the source ends (64).
        case refused
        /// The credentials were refused: the connection's remaining sources are skipped (64).
        case credentials
    }

    public let kind: Kind
    public let error: InputError

    public init(_ kind: Kind, _ error: InputError) {
        self.kind = kind
        self.error = error
    }
}
