import Foundation

/// The `sync` configuration file (`config.example.json`). The core reads
/// `version`, `store` and each connection's `name`, `connector` and
/// `connection_id`; the rest of a connection's object belongs to its
/// connector's factory, which reads it into typed settings.
///
/// Errors name the file and key path (`connections[1].token_env`); unknown
/// keys are warnings, not errors, so a newer config still runs on an older
/// binary. Relative paths resolve against the config file's folder. Secrets
/// are never in the file: `token_env` names the environment variable.
public struct SyncConfig {
    public var version: Int
    /// A SQLite file (`store.path`), or a PostgreSQL URL (`store.url`).
    public var storePath: String
    /// `store.password_env`: the environment variable holding the database
    /// password, which is never in the file.
    public var storePasswordEnv: String?
    public var connections: [SyncConnection]
    public var warnings: [String] = []
    public let file: String

    public struct ConfigError: Error, CustomStringConvertible {
        public let file: String
        public let keyPath: String
        public let message: String
        /// No file at the path at all: the caller says how to make one.
        public var isMissing = false
        public var description: String { keyPath == "$" ? "\(file): \(message)" : "\(file): \(keyPath): \(message)" }

        public init(file: String, keyPath: String, message: String, isMissing: Bool = false) {
            self.file = file
            self.keyPath = keyPath
            self.message = message
            self.isMissing = isMissing
        }
    }

    public static func load(
        path: String, factories: [ConnectorFactory],
        catalog: ContractCatalog = .standard
    ) throws(ConfigError) -> SyncConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = UnreadablePath.check(path) ?? .denied
            let message: String
            switch why {
            case .missing: message = "the config file is missing"
            case .directory: message = "is a directory, not a config file"
            case .denied: message = "cannot read the config file (permission denied?)"
            }
            throw ConfigError(file: path, keyPath: "$", message: message, isMissing: why == .missing)
        }
        let root: Value
        do { root = try JSONParser.parse(Array(data)) } catch {
            throw ConfigError(file: path, keyPath: error.path, message: "not JSON: \(error.message) (byte \(error.offset))")
        }
        let reader = ConfigReader(file: path, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path, catalog: catalog)
        return try reader.config(root, factories: factories)
    }
}

/// One connection's entry in the config: what the core reads of it, and
/// the whole object for its connector's factory.
public struct ConnectionEntry {
    public let name: String
    public let connector: String
    public let connectionID: String
    /// `connections[2]`, for messages.
    public let keyPath: String
    public let fields: Fields
    /// Reads this entry's keys, with errors and warnings that name them.
    public let reader: ConfigReader

    /// The keys every entry has, to add to a factory's own for `warnUnknown`.
    public static let commonKeys: Set<String> = ["name", "connector", "connection_id"]

    /// Warns about every key neither the core nor the factory reads.
    public func warnUnknown(besides keys: Set<String>) {
        reader.warnUnknown(fields, known: Self.commonKeys.union(keys), at: keyPath)
    }

    public func string(_ key: String, required: Bool = false) throws(SyncConfig.ConfigError) -> String? {
        try reader.string(fields, key, keyPath, required: required)
    }

    public func number(
        _ key: String, default value: Double, positive: Bool = true, whole: Bool = false,
        maximum: Double? = nil
    ) throws(SyncConfig.ConfigError) -> Double {
        try reader.number(fields, key, keyPath, default: value, positive: positive, whole: whole, maximum: maximum)
    }

    public func fail(_ key: String, _ message: String) -> SyncConfig.ConfigError { reader.fail("\(keyPath).\(key)", message) }

    /// A canonical object type named by `key`.
    public func objectType(_ key: String) throws(SyncConfig.ConfigError) -> String {
        let object = try string(key, required: true)!
        guard reader.catalog.contract(for: object) != nil else { throw fail(key, "'\(object)' is not a canonical object type") }
        return object
    }
}

/// Reads typed values out of the config JSON, naming the key path on error.
public final class ConfigReader {
    public let file: String
    let folder: String
    public let catalog: ContractCatalog
    public private(set) var warnings: [String] = []

    init(file: String, folder: String, catalog: ContractCatalog) {
        self.file = file
        self.folder = folder
        self.catalog = catalog
    }

    public func fail(_ path: String, _ message: String) -> SyncConfig.ConfigError {
        SyncConfig.ConfigError(file: file, keyPath: path, message: message)
    }

    public func warnUnknown(_ object: Fields, known: Set<String>, at path: String) {
        for key in object.keys.sorted() where !known.contains(key) {
            warnings.append("\(file): \(path.isEmpty ? key : path + "." + key): unknown key, ignored")
        }
    }

    public func string(_ o: Fields, _ key: String, _ path: String, required: Bool = false) throws(SyncConfig.ConfigError) -> String? {
        switch o[key] {
        case nil, .null?:
            if required { throw fail("\(path).\(key)", "is required") }
            return nil
        case .string(let s)?:
            if s.isEmpty && required { throw fail("\(path).\(key)", "must not be empty") }
            return s
        default: throw fail("\(path).\(key)", "must be a string")
        }
    }

    public func number(
        _ o: Fields, _ key: String, _ path: String, default value: Double, positive: Bool = true,
        whole: Bool = false, maximum: Double? = nil
    ) throws(SyncConfig.ConfigError) -> Double {
        guard let v = o[key], !v.isNull else { return value }
        guard case .number(let text) = v, let n = Double(text) else { throw fail("\(path).\(key)", "must be a number") }
        if whole && n.rounded() != n { throw fail("\(path).\(key)", "must be a whole number") }
        // Whole numbers become Int: beyond this they are no real setting,
        // and the conversion of a larger Double would trap.
        if whole && n > 1_000_000_000 { throw fail("\(path).\(key)", "must be at most 1000000000") }
        if !n.isFinite { throw fail("\(path).\(key)", "must be a finite number") }
        if positive && n <= 0 { throw fail("\(path).\(key)", "must be greater than 0") }
        if !positive && n < 0 { throw fail("\(path).\(key)", "must not be negative") }
        if let maximum, n > maximum { throw fail("\(path).\(key)", "must be at most \(Int(maximum))") }
        return n
    }

    /// A path from the config, relative to the config file's folder.
    public func resolve(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : URL(fileURLWithPath: folder).appendingPathComponent(relative).standardized.path
    }

    func config(_ root: Value, factories: [ConnectorFactory]) throws(SyncConfig.ConfigError) -> SyncConfig {
        guard case .object(let top) = root else { throw fail("$", "expected a JSON object") }
        warnUnknown(top, known: ["version", "store", "connections"], at: "")
        guard case .number(let v)? = top["version"], v == "1" else {
            throw fail("version", "must be 1 (this backfill-sync reads config version 1)")
        }
        var storePath = resolve("backfill.sqlite")
        var storePasswordEnv: String?
        if let store = top["store"] {
            guard case .object(let s) = store else { throw fail("store", "must be an object") }
            warnUnknown(s, known: ["path", "url", "password_env"], at: "store")
            let path = try string(s, "path", "store")
            if let p = path { storePath = resolve(p) }
            if let url = try string(s, "url", "store") {
                guard path == nil else { throw fail("store", "give path (SQLite) or url (PostgreSQL), not both") }
                guard url.lowercased().hasPrefix("postgres://") || url.lowercased().hasPrefix("postgresql://") else {
                    throw fail("store.url", "must be a postgres:// or postgresql:// URL")
                }
                storePath = url
            }
            storePasswordEnv = try string(s, "password_env", "store")
        }
        guard case .array(let items)? = top["connections"] else { throw fail("connections", "is required: a list of connections") }
        var connections: [SyncConnection] = []
        var names: Set<String> = []
        for (i, item) in items.enumerated() {
            let path = "connections[\(i)]"
            guard case .object(let o) = item else { throw fail(path, "must be an object") }
            let name = try string(o, "name", path, required: true)!
            guard names.insert(name).inserted else { throw fail("\(path).name", "'\(name)' is used by another connection") }
            let kindText = try string(o, "connector", path, required: true)!
            guard let factory = factories.first(where: { $0.kind == kindText }) else {
                let kinds = factories.filter { $0.syncs }.map(\.kind)
                throw fail("\(path).connector", "'\(kindText)' is not a connector; use one of \(kinds.joined(separator: ", "))")
            }
            let entry = ConnectionEntry(
                name: name, connector: kindText,
                connectionID: try string(o, "connection_id", path, required: true)!,
                keyPath: path, fields: o, reader: self)
            guard let connection = try factory.connection(entry) else {
                throw fail("\(path).connector", "'\(kindText)' cannot sync; it only imports files")
            }
            connections.append(connection)
        }
        var config = SyncConfig(version: 1, storePath: storePath, connections: connections, warnings: warnings, file: file)
        config.storePasswordEnv = storePasswordEnv
        return config
    }
}
