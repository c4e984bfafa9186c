import BackfillCore

/// A command as declared: `--help` and parsing are both generated from this,
/// in the manner of swift-argument-parser.
struct CommandSpec: Sendable {
    typealias Option = CommandOption
    typealias Argument = CommandArgument

    let name: String
    let abstract: String
    var discussion: String = ""
    var arguments: [Argument] = []
    var options: [Option] = []
    var subcommands: [CommandSpec] = []
    var run: (@Sendable (ParsedArguments) throws -> ExitCode)? = nil

    static let helpOption = Option(name: "--help", valueName: nil, help: "Show help information.")

    func help(path: [String]) -> String {
        let full = path.joined(separator: " ")
        var text = "OVERVIEW: \(abstract)\n"
        if !discussion.isEmpty { text += "\n" + discussion + "\n" }
        var usage = "USAGE: \(full)"
        if !subcommands.isEmpty && run == nil {
            usage += " <subcommand>"
        } else {
            for a in arguments { usage += " " + (a.required ? "<\(a.name)>" : "[<\(a.name)>]") + (a.variadic ? " ..." : "") }
            for o in options where o.valueName == nil || o.defaultValue != nil || true {
                if o.name == "--help" { continue }
                usage += " [\(o.name)\(o.valueName.map { " <\($0)>" } ?? "")]"
            }
        }
        text += "\n" + usage + "\n"
        if !arguments.isEmpty {
            text += "\nARGUMENTS:\n"
            for a in arguments { text += row("<\(a.name)>", a.help) }
        }
        text += "\nOPTIONS:\n"
        for o in options + [Self.helpOption] {
            var help = o.help
            if let allowed = o.allowed { help += " (values: \(allowed.joined(separator: ", ")))" }
            if let d = o.defaultValue { help += " (default: \(d))" }
            text += row(o.name + (o.valueName.map { " <\($0)>" } ?? ""), help)
        }
        if !subcommands.isEmpty {
            text += "\nSUBCOMMANDS:\n"
            for s in subcommands { text += row(s.name, s.abstract) }
            text += "\n  See '\(full) help <subcommand>' for detailed help.\n"
        }
        return text
    }

    private func row(_ left: String, _ right: String) -> String {
        let width = 26
        let pad = left.count < width ? String(repeating: " ", count: width - left.count) : "\n" + String(repeating: " ", count: width + 2)
        return "  \(left)\(pad)\(right)\n"
    }
}

typealias ParsedArguments = CommandArguments
