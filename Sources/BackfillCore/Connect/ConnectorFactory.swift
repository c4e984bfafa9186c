/// A connector as the tool sees it: a plug-in registered by one line in the
/// CLI's `main.swift`. It names its kind, declares its `import` command (if
/// it reads files), and turns its part of a sync config entry into typed
/// settings (if it can sync). The core knows no connector by name.
public protocol ConnectorFactory: Sendable {
    /// The `connector` value in a sync config (`csv_upload`), and what run
    /// rows name it by.
    var kind: String { get }
    /// `backfill-sync import <name> FILE...`; nil when the connector reads no files.
    var importCommand: FileImportCommand? { get }
    /// Whether `connection(_:)` makes sync connections.
    var syncs: Bool { get }
    /// A configured connection from its config entry, reading its own keys
    /// with `entry.reader` (errors name the key path); nil when the connector
    /// is not for `sync`.
    func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection?
}

extension ConnectorFactory {
    public var importCommand: FileImportCommand? { nil }
    public var syncs: Bool { false }
    public func connection(_ entry: ConnectionEntry) throws(SyncConfig.ConfigError) -> SyncConnection? { nil }
}

/// An `import` subcommand a connector declares: its help, its options (the
/// shared import options are added by the CLI), and how it turns parsed
/// options into a way to open files.
public struct FileImportCommand: Sendable {
    public let name: String
    public let abstract: String
    public let discussion: String
    public let fileHelp: String
    public let options: [CommandOption]
    /// Throws `UsageError` for a bad option value.
    public let prepare: @Sendable (_ args: CommandArguments, _ limits: InputLimits) throws -> FileImport

    public init(
        name: String, abstract: String, discussion: String, fileHelp: String, options: [CommandOption],
        prepare: @escaping @Sendable (CommandArguments, InputLimits) throws -> FileImport
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.fileHelp = fileHelp
        self.options = options
        self.prepare = prepare
    }
}

/// How one import reads its files: what the run row names, the normalizer's
/// options, and the opener. `-` is standard input where the connector says so.
public struct FileImport {
    public let connector: String
    public let connectionID: String?
    public let normalizer: Normalizer
    /// The object type rejects are counted under before a record has one.
    public let objectType: String
    public let open: (String) throws(InputError) -> AnyRecordStream
    /// A command that would fix a file whose rows were rejected (`mapping init …`).
    public var suggestion: ((String) -> String?)?

    public init(
        connector: String, connectionID: String?, normalizer: Normalizer = Normalizer(), objectType: String,
        suggestion: ((String) -> String?)? = nil, open: @escaping (String) throws(InputError) -> AnyRecordStream
    ) {
        self.connector = connector
        self.connectionID = connectionID
        self.normalizer = normalizer
        self.objectType = objectType
        self.suggestion = suggestion
        self.open = open
    }
}
