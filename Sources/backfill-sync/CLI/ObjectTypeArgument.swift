import BackfillCore

/// An object type named on the command line (`export expense`, `--object
/// Expense`): matched ignoring case, with the closest suggested for a typo
/// or a plural (`expenses` → `expense`).
enum ObjectTypeArgument {
    static var names: [String] { ContractCatalog.standard.objectTypes }

    static func contract(_ value: String) throws(CommandError) -> ObjectContract {
        let type = try CommandLineParser.choose(value, from: names, for: "the object type")
        return ContractCatalog.standard.contract(for: type)!
    }
}
