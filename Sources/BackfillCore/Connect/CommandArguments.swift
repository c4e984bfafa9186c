/// A command's options and arguments as declared, and as parsed: the CLI
/// generates `--help` and parsing from these, and a connector declares its
/// `import` command with them without depending on the CLI.
public struct CommandOption: Sendable {
    public let name: String
    /// nil for a flag.
    public let valueName: String?
    public let help: String
    public var allowed: [String]?
    public var defaultValue: String?
    public var repeatable: Bool

    public init(
        name: String, valueName: String?, help: String, allowed: [String]? = nil, defaultValue: String? = nil,
        repeatable: Bool = false
    ) {
        self.name = name
        self.valueName = valueName
        self.help = help
        self.allowed = allowed
        self.defaultValue = defaultValue
        self.repeatable = repeatable
    }
}

public struct CommandArgument: Sendable {
    public let name: String
    public let help: String
    public var variadic: Bool
    public var required: Bool

    public init(name: String, help: String, variadic: Bool = false, required: Bool = true) {
        self.name = name
        self.help = help
        self.variadic = variadic
        self.required = required
    }
}

/// What the parser found for one command.
public struct CommandArguments: Sendable {
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []

    public init() {}

    public func value(_ name: String) -> String? { values[name]?.last }
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The contract `--object` names, which every command reading records of
    /// one type requires.
    public func objectContract(catalog: ContractCatalog = .standard) throws(UsageError) -> ObjectContract {
        guard let type = value("--object"), let contract = catalog.contract(for: type) else {
            throw UsageError("--object <type> is required (one of: \(catalog.objectTypes.joined(separator: ", "))).")
        }
        return contract
    }
}

/// A wrong option value or a missing one, said to the user as is (exit 64).
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
