/// Every canonical contract, parsed once from `ContractCatalog.text`.
///
/// The pipeline reads contracts as data: one normalizer and one validator
/// serve all 21 types, so a new field is one line in the catalog.
public struct ContractCatalog: Sendable {
    public let contracts: [String: ObjectContract]
    public let shapes: [String: Shape]
    /// Object types in catalog order (the order of the API reference).
    public let objectTypes: [String]
    /// SHA-256 of the catalog's text: part of every record fingerprint
    /// (`RecordFingerprinter`), so a changed contract makes them all miss.
    public let fingerprint: String

    /// The fields every record carries, whatever its type.
    public static let identityFields: [FieldSpec] = [
        FieldSpec(name: "source_id", type: .string, required: true, enumValues: nil, defaultValue: nil),
        FieldSpec(name: "source_system", type: .string, required: true, enumValues: nil, defaultValue: nil),
        FieldSpec(name: "connection_id", type: .string, required: false, enumValues: nil, defaultValue: nil),
    ]

    public static let standard: ContractCatalog = {
        do {
            return try ContractCatalog(text: standardContracts)
        } catch {
            fatalError("contract catalog does not parse: \(error)")
        }
    }()

    public func contract(for objectType: String) -> ObjectContract? {
        contracts[objectType]
    }

    public func shape(_ name: String) -> Shape? {
        shapes[name]
    }

    struct CatalogError: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "catalog line \(line): \(message)" }
    }

    init(text: String) throws {
        var contracts: [String: ObjectContract] = [:]
        var shapes: [String: Shape] = [:]
        var order: [String] = []
        var header: [String] = []
        var headerLine = 0
        var fields: [FieldSpec] = []
        /// Every shape a field names, with its line: checked once all are read.
        var references: [(shape: String, line: Int)] = []
        let knownOptions: Set = ["collection", "path", "docdate", "total", "native", "alias"]

        func flush() throws {
            guard let kind = header.first else { return }
            let name = header[1]
            if kind == "shape" {
                shapes[name] = Shape(name: name, fields: fields)
            } else {
                var options: [String: String] = [:]
                for option in header.dropFirst(2) {
                    let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                    // A misspelt key would silently fall back to a default path or collection.
                    guard knownOptions.contains(parts[0]), parts.count == 2 else {
                        throw CatalogError(
                            line: headerLine,
                            message: "unknown option '\(option)' of object \(name) "
                                + "(known: \(knownOptions.sorted().joined(separator: ", ")), each as key=value)")
                    }
                    options[parts[0]] = parts[1]
                }
                var aliases: [String: String] = [:]
                if let alias = options["alias"] {
                    for pair in alias.split(separator: ";") {
                        let p = pair.split(separator: ":").map(String.init)
                        aliases[p[0]] = p[1]
                    }
                }
                contracts[name] = ObjectContract(
                    objectType: name,
                    collection: options["collection"] ?? name + "s",
                    apiPath: options["path"] ?? "/v1/" + name + "s",
                    fields: ContractCatalog.identityFields + fields,
                    documentDateSource: options["docdate"],
                    totalField: options["total"],
                    nativeIDField: options["native"],
                    aliases: aliases
                )
                order.append(name)
            }
            header = []
            fields = []
        }

        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingSpaces()
            if line.isEmpty { continue }
            let words = line.split(separator: " ").map(String.init)
            if words[0] == "object" || words[0] == "shape" {
                try flush()
                guard words.count >= 2 else { throw CatalogError(line: number + 1, message: "'\(words[0])' needs a name") }
                header = words
                headerLine = number + 1
                continue
            }
            guard words.count >= 2, let type = FieldType(catalogName: words[1]) else {
                throw CatalogError(line: number + 1, message: "bad field line '\(line)'")
            }
            var required = false
            var enumValues: [String]?
            var defaultValue: Value?
            for word in words.dropFirst(2) {
                if word == "required" {
                    required = true
                } else if word.hasPrefix("enum=") {
                    enumValues = word.dropFirst(5).split(separator: ",").map(String.init)
                } else if word.hasPrefix("default=") {
                    defaultValue = try JSONParser.parse(String(word.dropFirst(8)))
                } else {
                    throw CatalogError(line: number + 1, message: "unknown flag '\(word)'")
                }
            }
            if case .shapeArray(let shape) = type { references.append((shape, number + 1)) }
            if case .shape(let shape) = type { references.append((shape, number + 1)) }
            fields.append(
                FieldSpec(
                    name: words[0], type: type, required: required,
                    enumValues: enumValues, defaultValue: defaultValue))
        }
        try flush()
        // A field naming a shape that does not exist would validate nothing inside it.
        for reference in references where shapes[reference.shape] == nil {
            throw CatalogError(line: reference.line, message: "no shape named '\(reference.shape)'")
        }
        self.contracts = contracts
        self.shapes = shapes
        self.objectTypes = order
        self.fingerprint = SHA256.hex(Array(text.utf8))
    }
}
